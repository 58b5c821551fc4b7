/** Network and workload knobs: message loss, heal all, background client load, the unsafe commit rule. */
import { useActions, usePlayground } from '../context';
import { usePendingValue } from '../usePendingValue';

const loads = [0, 2, 10, 20];

export function FaultPanel() {
  const [lossRate, chooseLoss] = usePendingValue(usePlayground((s) => s.sim?.network.lossRate ?? 0));
  const load = usePlayground((s) => s.sim?.loadOpsPerSec ?? 0);
  const unsafe = usePlayground((s) => s.ui.unsafe);
  const anyCut = usePlayground((s) => (s.sim?.cutLinks.length ?? 0) > 0);
  const a = useActions();
  return (
    <section className="panel fault-panel" aria-label="Network and workload">
      <h2>Network</h2>
      <div className="row">
        <label className="loss">
          message loss <output>{Math.round(lossRate * 100)}%</output>
          <input type="range" data-testid="loss-rate" aria-label="Message loss rate" min={0} max={0.5} step={0.05} value={lossRate}
            onChange={(e) => {
              chooseLoss(Number(e.target.value));
              a.setLossRate(Number(e.target.value));
            }} />
        </label>
        <button type="button" data-testid="heal-all" onClick={a.healAll} disabled={!anyCut} aria-label="Heal all links">Heal all</button>
      </div>
      <label className="row">
        background clients
        <select data-testid="client-load" value={load} onChange={(e) => a.setLoad(Number(e.target.value))} aria-label="Background client load">
          {loads.map((n) => <option key={n} value={n}>{n === 0 ? 'off' : `${n} ops/s`}</option>)}
        </select>
      </label>
      <label className="row check unsafe" title="Raft (5.4.2) forbids a leader to commit an entry of an earlier term by counting replicas. Turn this on to see why: run Figure 8.">
        <input type="checkbox" data-testid="unsafe-toggle" checked={unsafe} onChange={(e) => a.setUnsafe(e.target.checked)} />
        unsafe: commit old-term entries by counting replicas (restarts the run)
      </label>
    </section>
  );
}
