/**
 * One node in depth: what is on its disk (survives a crash) next to what is only in memory (lost
 * on a crash), the leader's view of each follower, its KV map and its `[apply]` lines.
 */
import type { NodeSnapshot } from '../../engine/protocol';
import { downLabel, selectNode } from '../../store/selectors';
import { useActions, usePlayground } from '../context';

export function NodeDetails({ id }: { id: string }) {
  const node = usePlayground(selectNode(id));
  const { selectNode: select } = useActions();
  if (!node) return null;
  return (
    <section className="panel inspector node-details" aria-label={`Node ${id}`} data-testid={`details-${id}`}>
      <h2>{id} {node.up ? `(${node.role === 'preCandidate' ? 'pre-vote' : node.role})` : `(${downLabel(node)})`}</h2>
      {node.live && <ProcessInfo node={node} />}
      <div className="state-split">
        <DiskState node={node} />
        <MemoryState node={node} />
      </div>
      {node.progress && <ProgressTable node={node} />}
      <ApplyLog node={node} />
      <button type="button" className="quiet" onClick={() => select(null)}>Close</button>
    </section>
  );
}

/** Live mode: the real process behind the node, and the faults it applies. */
function ProcessInfo({ node }: { node: NodeSnapshot }) {
  const live = node.live!;
  const drops = [...live.dropTo.map((p) => `sends nothing to ${p}`), ...live.dropFrom.map((p) => `ignores ${p}`)];
  return (
    <dl className="process-info" data-testid={`process-${node.id}`} data-process={live.process} data-pid={live.pid ?? ''}>
      <dt>process</dt><dd>{live.process}{live.pid !== null ? ` (pid ${live.pid})` : ''}{live.connected ? '' : ' · the page does not hear it'}</dd>
      <dt>KV API</dt><dd><code>{live.kvUrl}</code></dd>
      <dt>Raft</dt><dd><code>{live.raftUrl}</code>{live.tickMs > 0 ? ` · tick ${live.tickMs} ms` : ''}</dd>
      <dt>faults</dt><dd>{drops.length ? drops.join('; ') : 'none'}</dd>
    </dl>
  );
}

function DiskState({ node }: { node: NodeSnapshot }) {
  const d = node.durable;
  return (
    <div className="state disk" title="Persistent state: written to disk before the node answers, so it survives a crash">
      <h3>On disk (survives a crash)</h3>
      <dl>
        <dt>currentTerm</dt><dd>{d.term}</dd>
        <dt>votedFor</dt><dd>{d.vote ?? '—'}</dd>
        <dt>log</dt><dd>{d.snapshotIndex > 0 ? `snapshot ≤ ${d.snapshotIndex}, ` : ''}entries to {d.lastIndex}</dd>
        <dt>commit (hint)</dt><dd>{d.commit}</dd>
      </dl>
    </div>
  );
}

function MemoryState({ node }: { node: NodeSnapshot }) {
  const lost = !node.up;
  return (
    <div className={`state memory${lost ? ' lost' : ''}`} title="Volatile state: only in memory, gone when the node crashes">
      <h3>In memory{lost ? (node.live ? ' (gone with the process, or not heard)' : ' (lost in the crash)') : ' (lost on a crash)'}</h3>
      <dl>
        <dt>role</dt><dd>{lost ? '—' : node.role}</dd>
        <dt>leader</dt><dd>{lost ? '—' : node.leaderId ?? 'unknown'}</dd>
        <dt>commitIndex</dt><dd>{lost ? '—' : node.commitIndex}</dd>
        <dt>lastApplied</dt><dd>{lost ? '—' : node.lastApplied}</dd>
        <dt>timer</dt><dd>{lost || !node.timer ? '—' : `${node.timer.elapsed}/${node.timer.timeout} ticks`}</dd>
        <dt>KV map</dt><dd>{lost ? 'gone: rebuilt from disk on restart' : `${node.kv?.length ?? 0} keys`}</dd>
      </dl>
    </div>
  );
}

function ProgressTable({ node }: { node: NodeSnapshot }) {
  return (
    <table className="progress" aria-label="Leader's view of each follower">
      <caption>The leader&apos;s view of each follower</caption>
      <thead><tr><th scope="col">follower</th><th scope="col">matchIndex</th><th scope="col">nextIndex</th><th scope="col">state</th></tr></thead>
      <tbody>
        {Object.entries(node.progress!).map(([peer, p]) => (
          <tr key={peer}><th scope="row">{peer}</th><td>{p.match}</td><td>{p.next}</td><td>{p.state}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

function ApplyLog({ node }: { node: NodeSnapshot }) {
  const { last, count, increasing } = node.applyLog;
  return (
    <div className="apply-log">
      <h3>stdout ({count} applied in this life{count > 0 ? (increasing ? ', each index once, in order' : ', OUT OF ORDER') : ''})</h3>
      <pre data-testid={`apply-log-${node.id}`} data-count={count} data-increasing={String(increasing)}>
        {last.length === 0 ? '(nothing applied since it started)' : last.map((i) => `[apply] index=${i}`).join('\n')}
      </pre>
    </div>
  );
}
