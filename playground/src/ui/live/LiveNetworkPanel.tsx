/** Live mode's network controls: heal all, and the faults each real node applies (the simulator's knobs are not here, and it says why). */
import { useShallow } from 'zustand/shallow';
import { useActions, usePlayground } from '../context';

export function LiveNetworkPanel() {
  const anyCut = usePlayground((s) => (s.sim?.cutLinks.length ?? 0) > 0);
  const faults = usePlayground(useShallow((s) => (s.sim?.nodes ?? []).flatMap((n) => [
    ...(n.live?.dropTo ?? []).map((p) => `${n.id} sends nothing to ${p}`),
    ...(n.live?.dropFrom ?? []).map((p) => `${n.id} ignores ${p}`),
  ])));
  const a = useActions();
  return (
    <section className="panel fault-panel" aria-label="Network">
      <h2>Network</h2>
      <div className="row">
        <button type="button" data-testid="heal-all" onClick={a.healAll} disabled={!anyCut} aria-label="Heal all links">Heal all</button>
        <span className="quiet">Click a link on the ring to cut it (both ways or one way) or heal it.</span>
      </div>
      <ul className="fault-list" data-testid="live-faults">
        {faults.length === 0 ? <li className="quiet">No faults: every node talks to every other.</li> : faults.map((f) => <li key={f}>{f}</li>)}
      </ul>
      <p className="quiet">
        Each node drops the traffic it is told to (its fault endpoint, driven by the supervisor). Message loss, background clients
        and the unsafe commit rule are simulator knobs.
      </p>
    </section>
  );
}
