/**
 * The network and the workload: message loss, heal all, a partition drawn by sides in one step,
 * election timers aligned or spread (split votes on demand), and the background client load.
 */
import { useShallow } from 'zustand/shallow';
import { minorityNodes, selectNodeIds, sideGroups } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { usePendingValue } from '../usePendingValue';

const loads = [0, 2, 10, 20, 50];

export function NetworkPanel() {
  const [lossRate, chooseLoss] = usePendingValue(usePlayground((s) => s.sim?.network.lossRate ?? 0));
  const load = usePlayground((s) => s.sim?.loadOpsPerSec ?? 0);
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
        <button type="button" data-testid="heal-all" onClick={a.healAll} disabled={!anyCut} aria-label="Heal all links" title="Heal every link (H)">Heal all</button>
        <label>
          background clients
          <select data-testid="client-load" value={load} onChange={(e) => a.setLoad(Number(e.target.value))} aria-label="Background client load">
            {loads.map((n) => <option key={n} value={n}>{n === 0 ? 'off' : `${n} ops/s`}</option>)}
          </select>
        </label>
      </div>
      <Partition />
      <div className="row">
        <span className="quiet">Election timers:</span>
        <button type="button" data-testid="timers-align" onClick={() => a.electionTimers('align')} title="Every node that does not lead times out now, together: a split vote is likely (A)">Align</button>
        <button type="button" data-testid="timers-spread" onClick={() => a.electionTimers('spread')} title="Restart the timers far apart, so one node times out well before the others (P)">Spread</button>
      </div>
    </section>
  );
}

/** Partition by sides: click nodes to put them on side B, then cut every link between the sides at once. */
function Partition() {
  const ids = usePlayground(selectNodeIds).split(',');
  const sides = usePlayground((s) => s.ui.sides);
  const minority = usePlayground(useShallow((s) => [...minorityNodes(ids, s.sim?.cutLinks ?? [])]));
  const a = useActions();
  const groups = sideGroups(ids, sides);
  return (
    <div className="row partition" data-testid="partition-editor">
      <span className="quiet">Sides:</span>
      {ids.map((id) => {
        const side = sides[id] === 'B' ? 'B' : 'A';
        return (
          <button type="button" key={id} className={`side side-${side}`} data-testid={`side-${id}`} data-side={side} aria-pressed={side === 'B'}
            onClick={() => a.setSide(id, side === 'A' ? 'B' : 'A')} title={`${id} is on side ${side}: click to move it`}>
            {id} {side}
          </button>
        );
      })}
      <button type="button" data-testid="partition" disabled={groups.length !== 2} onClick={a.partition}
        title="Cut every link between side A and side B (and heal the others)">
        Partition {groups.length === 2 ? `${groups[0]!.length} | ${groups[1]!.length}` : ''}
      </button>
      {minority.length > 0 && <span className="minority-note" data-testid="minority">minority: {minority.join(', ')} (cannot elect or commit)</span>}
    </div>
  );
}
