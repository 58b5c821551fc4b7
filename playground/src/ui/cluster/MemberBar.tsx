/**
 * Membership from the ring (simulator): add a server, and for the node clicked on the ring,
 * promote it, remove it, or hand it leadership. Each is the operator's request to the leader;
 * what the leader did with it shows in the feed. Test hooks: `add-server`, `member-promote`,
 * `member-remove`, `member-transfer` (acting on the selected node), `member-bar` with data-node.
 */
import { useShallow } from 'zustand/shallow';
import { serversMax } from '../../engine/scenario-format';
import { selectLeaderId } from '../../store/selectors';
import { useActions, usePlayground } from '../context';

export function MemberBar() {
  const selected = usePlayground((s) => s.ui.selectedNode);
  const node = usePlayground(useShallow((s) => {
    const n = s.sim?.nodes.find((x) => x.id === selected);
    return n ? { id: n.id, up: n.up, member: n.member ?? 'voter', leads: n.displayRole === 'leader' } : null;
  }));
  const leader = usePlayground(selectLeaderId);
  const count = usePlayground((s) => s.sim?.nodes.length ?? 0);
  const a = useActions();
  const noLeader = leader === null ? 'No leader to ask right now' : undefined;
  return (
    <div className="member-bar" data-testid="member-bar" data-node={node?.id ?? ''} aria-label="Membership">
      <button type="button" data-testid="add-server" disabled={count >= serversMax} onClick={() => a.addServer()}
        title={count >= serversMax ? `At most ${serversMax} servers` : 'Start a new, empty server; the leader adds it as a learner'}>+ Add a server</button>
      {node && (
        <>
          <span className="quiet">{node.id}:</span>
          {node.member === 'learner' && (
            <button type="button" data-testid="member-promote" disabled={!leader} title={noLeader ?? 'Make it a voter (the leader refuses while it lags)'}
              onClick={() => a.changeMembership('promote', node.id)}>Promote</button>
          )}
          {node.member === 'none' && (
            <button type="button" data-testid="member-add-learner" disabled={!leader} title={noLeader ?? 'Ask the leader to add it as a learner'}
              onClick={() => a.changeMembership('addLearner', node.id)}>Add as learner</button>
          )}
          {node.member !== 'none' && (
            <button type="button" data-testid="member-remove" disabled={!leader} title={noLeader ?? 'Remove it from the cluster (the leader too)'}
              onClick={() => a.changeMembership('remove', node.id)}>Remove</button>
          )}
          {node.member === 'voter' && !node.leads && (
            <button type="button" data-testid="member-transfer" disabled={!leader || !node.up} title={noLeader ?? 'The leader hands leadership to it (TimeoutNow)'}
              onClick={() => a.transferLeadership(node.id)}>Make leader</button>
          )}
        </>
      )}
      {!node && <span className="quiet">click a node for its membership actions</span>}
    </div>
  );
}
