/** Details of what the learner clicked: a message (its fields, drop it) or a node (disk vs memory, progress, apply log). */
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
      <p>Click a node for its disk and memory state, or a moving message to read it and drop it.</p>
    </section>
  );
}

function MessageInspector() {
  const m = usePlayground((s) => s.ui.inspected)!;
  const inFlight = usePlayground((s) => s.sim?.messages.some((x) => x.id === m.id) ?? false);
  const now = usePlayground((s) => s.sim?.clock.now ?? 0);
  const a = useActions();
  return (
    <section className="panel inspector" aria-label="Message" data-testid="message-inspector">
      <h2>{m.type} {m.from} → {m.to}</h2>
      <table className="fields">
        <tbody>{m.fields.map(([k, v]) => <tr key={k}><th scope="row">{k}</th><td>{v}</td></tr>)}</tbody>
      </table>
      <p className="quiet">
        sent at {formatTime(m.sentAt)}; {inFlight ? `arrives in ${Math.max(0, m.deliverAt - now).toFixed(1)} ms` : 'no longer on the wire (delivered or lost)'}
        {m.duplicate ? ' · a duplicate copy' : ''}
      </p>
      <div className="row">
        <button type="button" data-testid="drop-message" disabled={!inFlight} onClick={() => a.dropMessage(m.id)}>Drop this message</button>
        <button type="button" className="quiet" onClick={() => a.inspectMessage(null)}>Close</button>
      </div>
    </section>
  );
}
