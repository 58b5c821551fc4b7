/** What the shapes and colours on the ring mean (live mode draws no messages, and its nodes are down rather than crashed). */
import { selectIsLive } from '../../store/selectors';
import { usePlayground } from '../context';

export function Legend() {
  const live = usePlayground(selectIsLive);
  return (
    <details className="legend">
      <summary>Legend</summary>
      <ul>
        <li><span className="sw role-leader" /> leader (thick ring) · <span className="sw role-candidate" /> candidate · <span className="sw role-precandidate" /> pre-vote (dashed; reported as follower) · <span className="sw role-follower" /> follower · <span className="sw role-down" /> {live ? 'down (stopped, starting or unreachable)' : 'crashed'}</li>
        <li>Node fill = its current term (same colours as log entries). The thin arc around a follower is its election timer: when it closes, the node starts an election.</li>
        <li>Dots above a candidate: one per peer, green when its vote arrived, red when its refusal arrived, hollow while no answer has arrived.</li>
        {!live && <li>A red dashed halo and &ldquo;minority&rdquo;: the node is cut off with less than a majority, so it can neither elect a leader nor commit.</li>}
        {!live && <li><span className="msg-sw vote" /> RequestVote (hollow: pre-vote) · <span className="msg-sw append" /> AppendEntries (small: heartbeat; box: carries entries) · <span className="msg-sw snapshot" /> InstallSnapshot · <span className="msg-sw read" /> ReadIndex. Replies are green (yes) or red (no). Click a message: why it was sent, its fate; drop, delay or duplicate it.</li>}
        <li>A dotted purple ring: a learner (it receives the log but counts in no majority until it is promoted). Faded: a server that is not a member (not added yet, or removed). {live
          ? 'Add a server, promote or remove one in the members panel.'
          : 'Add a server, promote, remove or hand over leadership with the buttons under the ring (for the node you clicked) or in the nodes table.'}</li>
        <li>Click a link to cut it (both ways or one way) or heal it. A red arrow shows the direction that is blocked.</li>
      </ul>
    </details>
  );
}
