/**
 * Messages in flight, placed along their link by how much of their flight time has passed.
 * Shape and colour say the type; a reply is green for yes and red for no. Click to inspect.
 *
 * They are HTML elements over the ring's SVG, moved with CSS transforms: the compositor moves
 * them on every animation frame without repainting the ring (which matters a lot without a GPU).
 */
import type { MessageView } from '../../engine/protocol';
import type { Point } from '../../store/selectors';
import { messagePoint } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { useReducedMotion } from '../useReducedMotion';
import { useSmoothNow } from '../useSmoothNow';
import { messageLane, nodeRadius, ringSize } from './geometry';

export function MessageLayer({ layout }: { layout: Record<string, Point> }) {
  const messages = usePlayground((s) => s.sim?.messages);
  const inspected = usePlayground((s) => s.ui.inspected?.id ?? null);
  // With reduced motion, messages jump from snapshot to snapshot instead of gliding between them.
  const reduced = useReducedMotion();
  const now = useSmoothNow(!reduced);
  if (!messages) return null;
  return (
    <div className="messages" aria-label="Messages in flight" data-testid="wire" data-motion={reduced ? 'reduced' : 'glide'}>
      {messages.map((m) => {
        const from = layout[m.from];
        const to = layout[m.to];
        if (!from || !to) return null;
        const p = messagePoint(m, now, from, to, nodeRadius + 4, messageLane);
        return <Message key={m.id} m={m} x={p.x} y={p.y} selected={inspected === m.id} />;
      })}
    </div>
  );
}

export const messageKind = (m: Pick<MessageView, 'type'>): 'vote' | 'append' | 'snapshot' | 'read' => {
  if (m.type.startsWith('RequestVote')) return 'vote';
  if (m.type.startsWith('AppendEntries')) return 'append';
  if (m.type.startsWith('InstallSnapshot')) return 'snapshot';
  return 'read';
};

function Message({ m, x, y, selected }: { m: MessageView; x: number; y: number; selected: boolean }) {
  const { inspectMessage } = useActions();
  const reply = m.type.endsWith('Response');
  const verdict = m.rejected ? ' rejected' : m.granted ? ' granted' : '';
  const shape = m.entryCount > 0 ? ' carries' : m.heartbeat ? ' heartbeat' : '';
  const cls = `msg msg-${messageKind(m)}${reply ? ' reply' : ' request'}${verdict}${shape}${m.preVote ? ' prevote' : ''}${selected ? ' selected' : ''}`;
  const label = `${m.type} ${m.from}→${m.to}, term ${m.term}${m.entryCount ? `, ${m.entryCount} entries` : ''}${m.rejected ? ', rejected' : m.granted ? ', yes' : ''}`;
  // Positions are in the ring's viewBox units; the overlay scales them with the SVG.
  const style = { transform: `translate(${((x / ringSize) * 100).toFixed(3)}cqw, ${((y / ringSize) * 100).toFixed(3)}cqw)` };
  return (
    <button type="button" className={cls} style={style} data-testid={`message-${m.id}`} data-type={m.type} title={label} aria-label={`${label}. Inspect.`}
      onClick={() => inspectMessage(m)}>
      {/* The button is the (larger) hit area; the dot inside is what is drawn. */}
      <span className="dot">{m.entryCount > 0 ? m.entryCount : ''}</span>
    </button>
  );
}
