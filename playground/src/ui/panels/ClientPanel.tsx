/**
 * A client of the KV API: PUT/GET/DELETE to a chosen node or to "the leader", and the answer the
 * real HTTP API would give (status and JSON body), explained in plain words.
 */
import type { ClientRequestView } from '../../engine/protocol';
import { explainResponse, requestLine, responseLine, selectNodeIds } from '../../store/selectors';
import { useActions, usePlayground } from '../context';

export function ClientPanel() {
  return (
    <section className="panel client-panel" aria-label="Client">
      <h2>Client</h2>
      <ClientForm />
      <ClientResult />
      <ClientHistory />
    </section>
  );
}

function ClientForm() {
  const ids = usePlayground(selectNodeIds).split(',');
  const target = usePlayground((s) => s.ui.clientTarget);
  const key = usePlayground((s) => s.ui.clientKey);
  const value = usePlayground((s) => s.ui.clientValue);
  const stale = usePlayground((s) => s.ui.staleRead);
  const a = useActions();
  return (
    <form className="client-form" onSubmit={(e) => { e.preventDefault(); a.sendClient('put'); }}>
      <label>
        to
        <select data-testid="client-target" value={target} onChange={(e) => a.setClientTarget(e.target.value)} aria-label="Send to">
          <option value="leader">the leader</option>
          {ids.map((id) => <option key={id} value={id}>{id}</option>)}
        </select>
      </label>
      <label>
        key
        <input data-testid="client-key" value={key} size={8} onChange={(e) => a.setClientField('clientKey', e.target.value)} aria-label="Key" />
      </label>
      <label>
        value
        <input data-testid="client-value" value={value} size={8} onChange={(e) => a.setClientField('clientValue', e.target.value)} aria-label="Value" />
      </label>
      <div className="client-buttons">
        <button type="submit" data-testid="client-put" aria-label="PUT key=value">PUT</button>
        <button type="button" data-testid="client-get" onClick={() => a.sendClient('get')} aria-label="GET key">GET</button>
        <button type="button" data-testid="client-delete" onClick={() => a.sendClient('delete')} aria-label="DELETE key">DELETE</button>
        <label className="check" title="consistency=stale: the node answers from its own copy without asking the leader">
          <input type="checkbox" data-testid="client-stale" checked={stale} onChange={(e) => a.setStaleRead(e.target.checked)} /> stale read
        </label>
      </div>
    </form>
  );
}

function ClientResult() {
  const latest = usePlayground((s) => s.sim?.client[0] ?? null);
  if (!latest) {
    return <div className="client-result empty" data-testid="client-result" data-status="none" data-request-id="0">No request sent yet. Writes go to the leader; try one to a follower too.</div>;
  }
  return (
    <div className={`client-result ${toneOf(latest)}`} data-testid="client-result" data-status={latest.status ?? 'pending'} data-request-id={latest.id}
      data-node={latest.node} aria-live="polite">
      <div className="request-line">{requestLine(latest)}</div>
      <code className="response-line">{responseLine(latest)}</code>
      <p className="explain">{explainResponse(latest)}</p>
    </div>
  );
}

function ClientHistory() {
  const requests = usePlayground((s) => s.sim?.client);
  if (!requests || requests.length < 2) return null;
  return (
    <details className="client-history">
      <summary>Earlier requests</summary>
      <ol data-testid="client-history">
        {requests.slice(1).map((r) => <li key={r.id} className={toneOf(r)}>{requestLine(r)} → {r.status ?? '…'}</li>)}
      </ol>
    </details>
  );
}

const toneOf = (r: ClientRequestView): string => (r.status === null ? 'pending' : r.status === 200 || (r.op === 'get' && r.status === 404) ? 'good' : 'bad');
