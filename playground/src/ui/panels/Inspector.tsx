/**
 * Details of what the learner clicked: a message (why it was sent, what its receiver decided and
 * why, its real fate; drop, delay or duplicate it) or a node (disk vs memory, progress, apply log).
 */
import { formatTime } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { NodeDetails } from './NodeDetails';

export function Inspector() {
  const inspected = usePlayground((s) => s.ui.inspected);
  const selectedNode = usePlayground((s) => s.ui.selectedNode);
  if (inspected) return <MessageInspector />;
  if (selectedNode) return <NodeDetails id={selectedNode} />;
  return (
    <section className="panel inspector hint">
      <p>Click a node for its disk and memory state, or a moving message to read why it was sent and to drop, delay or duplicate it.</p>
    </section>
  );
}

const delayMs = 200;

function MessageInspector() {
  const m = usePlayground((s) => s.ui.inspected)!;
  const inFlight = usePlayground((s) => s.sim?.messages.some((x) => x.id === m.id) ?? false);
  const story = usePlayground((s) => (s.sim?.lab?.story?.id === m.id ? s.sim.lab.story : null));
  const a = useActions();
  return (
    <section className="panel inspector" aria-label="Message" data-testid="message-inspector" data-fate={story?.fate ?? (inFlight ? 'in flight' : 'unknown')}>
      <h2>{m.type} {m.from} → {m.to}</h2>
      {story && (
        <div className="story">
          <p data-testid="inspector-why">{story.why}</p>
          {story.verdict && <p data-testid="inspector-verdict" className="verdict">{story.verdict}</p>}
          <p className="fate" data-testid="inspector-fate">
            Fate: <strong>{story.fateText}</strong>
            {story.delayedMs > 0 ? ` · you delayed it ${Math.round(story.delayedMs)} ms` : ''}{story.copies > 0 ? ` · you duplicated it (${story.copies} extra cop${story.copies === 1 ? 'y' : 'ies'})` : ''}
          </p>
        </div>
      )}
      <details className="fields-box">
        <summary>Fields</summary>
        <table className="fields">
          <tbody>{m.fields.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}</tbody>
        </table>
        <p className="quiet">sent at {formatTime(m.sentAt)}{m.duplicate ? ' · a duplicate copy' : ''}</p>
      </details>
      <div className="row">
        <button type="button" data-testid="drop-message" disabled={!inFlight} onClick={() => a.dropMessage(m.id)} title="Lose it now (D)">Drop</button>
        <button type="button" data-testid="delay-message" disabled={!inFlight} onClick={() => a.delayMessage(m.id, delayMs)}>Delay {delayMs} ms</button>
        <button type="button" data-testid="duplicate-message" disabled={!inFlight} onClick={() => a.duplicateMessage(m.id)}>Duplicate</button>
        <button type="button" className="quiet" onClick={() => a.inspectMessage(null)}>Close</button>
      </div>
      {!inFlight && !story && <p className="quiet">No longer on the wire.</p>}
      <p className="quiet">The rules that sent it and that its receiver applied: <em>Rules that ran</em>, under the feed.</p>
    </section>
  );
}
