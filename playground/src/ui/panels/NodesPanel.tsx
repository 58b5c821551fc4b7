/**
 * A row per node with its state and the fault buttons (kill, restart, isolate, reconnect, time
 * out). In live mode the same buttons act on the real processes; "time out" is simulator-only.
 */
import { useShallow } from 'zustand/shallow';
import { canKill, canRestart, isIsolated, roleLabel, selectIsLive, selectNodeIds } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { Term } from '../learn/Term';

export function NodesPanel() {
  const ids = usePlayground(selectNodeIds).split(',');
  return (
    <section className="panel nodes-panel" aria-label="Nodes">
      <h2>Nodes</h2>
      <table>
        <thead>
          <tr><th scope="col">node</th><th scope="col">role</th><th scope="col"><Term word="term" /></th><th scope="col"><Term word="commit" /></th><th scope="col">actions</th></tr>
        </thead>
        <tbody>{ids.map((id) => <NodeRow key={id} id={id} ids={ids} />)}</tbody>
      </table>
    </section>
  );
}

function NodeRow({ id, ids }: { id: string; ids: string[] }) {
  // Only what the row shows: the election timer ticks every 10 ms and must not redraw the table.
  const node = usePlayground(useShallow((s) => {
    const n = s.sim?.nodes.find((x) => x.id === id);
    return n ? { up: n.up, role: n.role, term: n.term, commitIndex: n.commitIndex, label: roleLabel(n), canKill: canKill(n), canRestart: canRestart(n) } : null;
  }));
  const live = usePlayground(selectIsLive);
  const isolated = usePlayground((s) => isIsolated(s.sim?.cutLinks ?? [], id, ids));
  const anyCut = usePlayground((s) => (s.sim?.cutLinks ?? []).some((l) => l.startsWith(`${id}>`) || l.endsWith(`>${id}`)));
  const selected = usePlayground((s) => s.ui.selectedNode === id);
  const a = useActions();
  if (!node) return null;
  return (
    <tr className={`${selected ? 'selected' : ''}${node.up ? '' : ' down'}`}>
      <th scope="row"><button type="button" className="link-button" onClick={() => a.selectNode(selected ? null : id)} aria-label={`Details of ${id}`}>{id}</button></th>
      <td><span className={`role-chip role-${node.up ? (node.role === 'preCandidate' ? 'precandidate' : node.role) : 'down'}`}>{node.label}</span>{isolated && <span className="tag">isolated</span>}</td>
      <td>{node.term}</td>
      <td>{node.commitIndex}</td>
      <td className="node-actions">
        <button type="button" data-testid={`kill-${id}`} disabled={!node.canKill} onClick={() => a.crash(id)} aria-label={`Kill ${id}`}
          title={live ? 'SIGKILL the process: memory is lost, the disk survives' : 'Crash: memory is lost, the disk survives'}>Kill</button>
        <button type="button" data-testid={`restart-${id}`} disabled={!node.canRestart} onClick={() => a.restart(id)} aria-label={`Restart ${id}`}
          title={live ? 'Start the process again: same id, same data directory' : 'Start again from what is on disk'}>Restart</button>
        <button type="button" data-testid={`isolate-${id}`} disabled={isolated} onClick={() => a.isolate(id)} aria-label={`Isolate ${id}`} title="Cut every link to and from this node">Isolate</button>
        <button type="button" data-testid={`reconnect-${id}`} disabled={!anyCut} onClick={() => a.reconnect(id)} aria-label={`Reconnect ${id}`} title="Heal every link to and from this node">Reconnect</button>
        {!live && <button type="button" data-testid={`campaign-${id}`} disabled={!node.up || node.role === 'leader'} onClick={() => a.campaign(id)} aria-label={`Time out ${id}`} title="Let its election timer fire now">Time out</button>}
      </td>
    </tr>
  );
}
