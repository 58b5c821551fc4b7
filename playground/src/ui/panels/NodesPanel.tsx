/**
 * A row per node with its state and the fault buttons (kill, restart, isolate, reconnect, time
 * out). In live mode the same buttons act on the real processes; "time out" is simulator-only, and
 * so is membership: a learner or non-member is marked next to its role, and the simulator adds a
 * server, promotes, removes and hands leadership over from here (each the operator's request to
 * the leader).
 */
import { useShallow } from 'zustand/shallow';
import { serversMax } from '../../engine/scenario-format';
import { canKill, canRestart, isIsolated, roleLabel, selectIsLive, selectLeaderId, selectNodeIds } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { Term } from '../learn/Term';

export function NodesPanel() {
  const ids = usePlayground(selectNodeIds).split(',');
  const live = usePlayground(selectIsLive);
  const a = useActions();
  return (
    <section className="panel nodes-panel" aria-label="Nodes">
      <h2>Nodes{!live && (
        <button type="button" className="heading-action" data-testid="nodes-add-server" disabled={ids.length >= serversMax} onClick={() => a.addServer()}
          title="Start a new, empty server; the leader adds it as a learner">+ Add a server</button>
      )}</h2>
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
    return n ? { up: n.up, role: n.role, term: n.term, commitIndex: n.commitIndex, label: roleLabel(n), canKill: canKill(n), canRestart: canRestart(n), member: n.member ?? 'voter' } : null;
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
      <td><span className={`role-chip role-${node.up ? (node.role === 'preCandidate' ? 'precandidate' : node.role) : 'down'}`}>{node.label}</span>{node.member !== 'voter' && <span className="member-chip">{node.member === 'learner' ? 'learner' : 'not a member'}</span>}{isolated && <span className="tag">isolated</span>}</td>
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
        {!live && <MemberButtons id={id} member={node.member} up={node.up} leads={node.role === 'leader'} />}
      </td>
    </tr>
  );
}

/** The operator's requests for one node, sent to the leader: only those that make sense for its place in the membership. */
function MemberButtons({ id, member, up, leads }: { id: string; member: 'voter' | 'learner' | 'none'; up: boolean; leads: boolean }) {
  const leader = usePlayground(selectLeaderId);
  const a = useActions();
  const why = leader === null ? 'No leader to ask right now' : null;
  return (
    <>
      {member === 'none' && <button type="button" data-testid={`add-learner-${id}`} disabled={!leader} onClick={() => a.changeMembership('addLearner', id)} aria-label={`Add ${id} as a learner`} title={why ?? 'Ask the leader to add it as a learner'}>Add</button>}
      {member === 'learner' && <button type="button" data-testid={`promote-${id}`} disabled={!leader} onClick={() => a.changeMembership('promote', id)} aria-label={`Promote ${id}`} title={why ?? 'Make it a voter (refused while it lags)'}>Promote</button>}
      {member !== 'none' && <button type="button" data-testid={`remove-${id}`} disabled={!leader} onClick={() => a.changeMembership('remove', id)} aria-label={`Remove ${id}`} title={why ?? 'Remove it from the cluster (the leader too)'}>Remove</button>}
      {member === 'voter' && !leads && <button type="button" data-testid={`transfer-${id}`} disabled={!leader || !up} onClick={() => a.transferLeadership(id)} aria-label={`Transfer leadership to ${id}`} title={why ?? 'The leader hands leadership to it (TimeoutNow)'}>Lead</button>}
    </>
  );
}
