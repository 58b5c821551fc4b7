/**
 * One node on the ring: fill = its term's colour, outline = its role, the election timer arc, the
 * votes a candidate collected, and what it voted for. Carries the stable test hooks of
 * docs/playground.md (`node-<id>` with data-role, data-term, data-commit-index, data-last-applied,
 * data-log-length). A pre-candidate reports data-role="follower" (as /health does) and
 * data-precandidate="true"; on screen it is drawn with a dashed amber outline. In the simulator,
 * data-member says voter, learner (drawn smaller, inside a dotted purple ring: it receives the log
 * but counts in no majority) or none (a server not added yet, or removed: faded).
 */
import type { NodeSnapshot } from '../../engine/protocol';
import type { Point } from '../../store/selectors';
import { arcPath, roleLabel, selectNode, termColor, timerFraction } from '../../store/selectors';
import { onActivateKey } from '../activate';
import { useActions, usePlayground } from '../context';
import { nodeRadius, timerRadius } from './geometry';

interface Props {
  id: string;
  ids: string[];
  layout: Record<string, Point>;
  /** Cut off with less than a majority: it can neither elect a leader nor commit. */
  minority: boolean;
}

export function RingNode({ id, ids, layout, minority }: Props) {
  const node = usePlayground(selectNode(id));
  const selected = usePlayground((s) => s.ui.selectedNode === id);
  const { selectNode: select } = useActions();
  const at = layout[id];
  if (!node || !at) return null;
  const cls = `${node.up ? `role-${node.role === 'preCandidate' ? 'precandidate' : node.role}` : 'role-down'}${node.member ? ` member-${node.member}` : ''}`;
  const memberLabel = node.member === 'learner' ? ' · learner' : node.member === 'none' ? ' · not a member' : '';
  return (
    <g
      className={`ring-node ${cls}${selected ? ' selected' : ''}`}
      transform={`translate(${at.x} ${at.y})`}
      data-testid={`node-${id}`}
      data-role={node.displayRole}
      data-precandidate={node.role === 'preCandidate' ? 'true' : 'false'}
      data-term={node.term}
      data-commit-index={node.commitIndex}
      data-last-applied={node.lastApplied}
      data-log-length={node.logLength}
      data-leader-id={node.leaderId ?? ''}
      data-minority={minority ? 'true' : 'false'}
      data-member={node.member ?? 'voter'}
      onClick={() => select(selected ? null : id)}
      onKeyDown={onActivateKey(() => select(selected ? null : id))}
      tabIndex={0}
      role="button"
      aria-label={`${id}: ${roleLabel(node)}${memberLabel}, term ${node.term}${minority ? ', in a minority' : ''}. Click for details.`}
    >
      {minority && <circle className="minority-halo" r={nodeRadius + 14}><title>in a minority: it cannot elect a leader or commit</title></circle>}
      <title>{`${id}: ${roleLabel(node)} in term ${node.term}; commit ${node.commitIndex}, applied ${node.lastApplied}, log ${node.logLength}`}</title>
      {node.member === 'learner' && <circle className="learner-ring" r={nodeRadius + 6}><title>learner: receives the log, counts in no majority</title></circle>}
      <TimerArc node={node} />
      <circle className="node-body" r={nodeRadius} fill={node.up ? termColor(node.term) : '#e5e7eb'} />
      <text className="node-id" y={-4}>{id}</text>
      <text className="node-term" y={13}>{node.up ? `term ${node.term}` : `term ${node.durable.term}`}</text>
      {!node.up && <path className="down-cross" d="M -14 -14 L 14 14 M 14 -14 L -14 14" />}
      <text className="node-role" y={nodeRadius + 20}>{roleLabel(node)}{memberLabel}{node.up && node.votedFor && node.role === 'follower' ? ` · voted ${node.votedFor}` : ''}</text>
      {node.votes && <VoteDots node={node} ids={ids} />}
      {minority && <text className="minority-label" y={nodeRadius + 34}>minority</text>}
      {node.persisting && <circle className="disk-dot" cx={nodeRadius - 6} cy={-nodeRadius + 6} r={4}><title>writing to disk</title></circle>}
    </g>
  );
}

function TimerArc({ node }: { node: NodeSnapshot }) {
  const fraction = timerFraction(node);
  if (!node.up || !node.timer) return null;
  return (
    <g className="timer">
      <circle className="timer-track" r={timerRadius} />
      <path className="timer-arc" d={arcPath({ x: 0, y: 0 }, timerRadius, fraction)} />
    </g>
  );
}

/** The answers a candidate has had so far, one dot per peer in a row above it (green yes, red no, hollow: waiting). */
function VoteDots({ node, ids }: { node: NodeSnapshot; ids: string[] }) {
  const peers = ids.filter((peer) => peer !== node.id);
  const gap = 13;
  return (
    <g className="votes" transform={`translate(${(-(peers.length - 1) * gap) / 2} ${-(nodeRadius + 16)})`}>
      {peers.map((peer, i) => {
        const answer = node.votes?.[peer];
        return (
          <circle key={peer} className={`vote vote-${answer ?? 'pending'}`} cx={i * gap} cy={0} r={5}>
            <title>{`${peer}: ${answer ?? 'no answer yet'}`}</title>
          </circle>
        );
      })}
    </g>
  );
}
