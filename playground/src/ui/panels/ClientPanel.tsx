/**
 * Clients of the KV API: PUT/GET/DELETE to a chosen node or to "the leader", and the answer the
 * real HTTP API would give (status and JSON body), explained in plain words. In the simulator
 * there are three clients; one that retries follows a 409's leader hint and tries another node
 * after a failure, and each request shows its tries, its retries and its latency.
 */
import { clientNames } from '../../engine/clients';
import type { ClientRequestView } from '../../engine/protocol';
import { explainResponse, formatTime, requestLine, responseLine, selectIsLive, selectNodeIds } from '../../store/selectors';
import { useActions, usePlayground } from '../context';


export function ClientPanel() {
  return (
    <section className="panel client-panel" aria-label="Client">
      <h2>Clients</h2>
      <ClientForm />
      <ClientResult />
      <ClientHistory />
    </section>
  );
}

function ClientForm() {
  const ids = usePlayground(selectNodeIds).split(',');
  const live = usePlayground(selectIsLive);
  const ui = usePlayground((s) => s.ui);
  const a = useActions();
  return (
    <form className="client-form" onSubmit={(e) => { e.preventDefault(); a.sendClient('put'); }}>
      {!live && (
        <label>
          client
          <select data-testid="client-name" value={ui.clientName} onChange={(e) => a.setClientName(e.target.value)} aria-label="Client">
            {clientNames.map((c) => <option key={c} value={c}>{c}</option>)}
          </select>
        </label>
      )}
      <label>
        to
        <select data-testid="client-target" value={ui.clientTarget} onChange={(e) => a.setClientTarget(e.target.value)} aria-label="Send to">
          <option value="leader">the leader</option>
          {ids.map((id) => <option key={id} value={id}>{id}</option>)}
        </select>
      </label>
      <label>
        key
        <input data-testid="client-key" value={ui.clientKey} size={6} onChange={(e) => a.setClientField('clientKey', e.target.value)} aria-label="Key" />
      </label>
      <label>
        value
        <input data-testid="client-value" value={ui.clientValue} size={6} onChange={(e) => a.setClientField('clientValue', e.target.value)} aria-label="Value" />
      </label>
      <div className="client-buttons">
        <button type="submit" data-testid="client-put" aria-label="PUT key=value">PUT</button>
        <button type="button" data-testid="client-get" onClick={() => a.sendClient('get')} aria-label="GET key">GET</button>
        <button type="button" data-testid="client-delete" onClick={() => a.sendClient('delete')} aria-label="DELETE key">DELETE</button>
        <label className="check" title="consistency=stale: the node answers from its own copy without asking the leader">
          <input type="checkbox" data-testid="client-stale" checked={ui.staleRead} onChange={(e) => a.setStaleRead(e.target.checked)} /> stale read
        </label>
        {!live && (
          <label className="check" title="Follow a 409's leader hint, and after a failure try another node (at most 5 tries)">
            <input type="checkbox" data-testid="client-retry" checked={ui.clientRetry} onChange={(e) => a.setClientRetry(e.target.checked)} /> follow hints and retry
          </label>
        )}
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
      data-node={latest.node} data-attempts={latest.attempts?.length ?? 1} data-latency={latest.latencyMs ?? ''} aria-live="polite">
      <div className="request-line">{latest.client ? `${latest.client}: ` : ''}{requestLine(latest)}</div>
      {latest.attempts && latest.attempts.length > 1 && <Attempts r={latest} />}
      <code className="response-line">{responseLine(latest)}</code>
      <p className="explain">{explainResponse(latest)}</p>
      {latest.latencyMs != null && <p className="quiet latency" data-testid="client-latency">{tries(latest)}, {latest.latencyMs.toFixed(1)} ms from first send to answer</p>}
    </div>
  );
}

const tries = (r: ClientRequestView) => {
  const n = r.attempts?.length ?? 1;
  return n === 1 ? 'answered on the first try' : `${n} tries (${n - 1} retr${n === 2 ? 'y' : 'ies'})`;
};

/** Each try: where it went and what came back ("n2 → 409, leader is n1"). */
function Attempts({ r }: { r: ClientRequestView }) {
  return (
    <ol className="attempts" data-testid="client-attempts">
      {r.attempts!.map((t, i) => (
        <li key={i}>
          {formatTime(t.sentAt)} → {t.node}: {t.status === null ? 'waiting…' : t.status === 0 ? 'no answer' : t.status}
          {t.hint ? ` (the leader is ${t.hint}: follow it)` : ''}
        </li>
      ))}
    </ol>
  );
}

function ClientHistory() {
  const requests = usePlayground((s) => s.sim?.client);
  if (!requests || requests.length < 2) return null;
  return (
    <details className="client-history">
      <summary>Earlier requests</summary>
      <ol data-testid="client-history">
        {requests.slice(1).map((r) => (
          <li key={r.id} className={toneOf(r)}>
            {r.client ? `${r.client}: ` : ''}{requestLine(r)} → {r.status ?? '…'}
            {r.attempts && r.attempts.length > 1 ? ` after ${r.attempts.length} tries` : ''}{r.latencyMs != null ? `, ${r.latencyMs.toFixed(0)} ms` : ''}
          </li>
        ))}
      </ol>
    </details>
  );
}

const toneOf = (r: ClientRequestView): string => (r.status === null ? 'pending' : r.status === 200 || (r.op === 'get' && r.status === 404) ? 'good' : 'bad');
