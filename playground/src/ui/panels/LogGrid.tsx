/**
 * Every node's log, aligned by index: entries coloured by term, committed entries solid and the
 * uncommitted tail dashed, entries not yet on disk striped, the commit and applied markers, and
 * the leader's matchIndex (m) and nextIndex (n) for each follower. The disk and memory columns
 * show what survives a crash; the KV column is each node's applied map.
 */
import { memo, useDeferredValue } from 'react';
import type { EntryView, FollowerProgressView, NodeSnapshot } from '../../engine/protocol';
import type { LogCell } from '../../store/selectors';
import { downLabel, leaderOf, logRow, termColor } from '../../store/selectors';
import { usePlayground } from '../context';

export function LogGrid() {
  // Rendered from a deferred copy: React renders the grid in the background, in slices it can
  // interrupt, so a busy log never makes the frame that moves the ring late.
  const sim = useDeferredValue(usePlayground((s) => s.sim));
  if (!sim) return null;
  const window = sim.logWindow;
  const leader = leaderOf(sim.nodes);
  const columns = [];
  for (let i = window.lo; i <= window.hi; i++) columns.push(i);
  return (
    <div className="log-grid" data-testid="log-grid">
      <h2>Logs <span className="quiet">(solid: committed · dashed: not committed yet · striped: not on disk yet)</span></h2>
      <div className="log-table" role="table" aria-label="Logs aligned by index">
        <div className="log-row header" role="row">
          <div className="log-head" role="columnheader">node</div>
          <div className="log-cells" role="columnheader">
            {window.lo > 1 && <span className="more">…</span>}
            {columns.map((i, slot) => <span key={slot} className="cell index">{i}</span>)}
          </div>
          <div className="log-kv" role="columnheader">KV map (applied)</div>
        </div>
        {sim.nodes.map((node) => (
          <LogRow key={node.id} node={node} lo={window.lo} hi={window.hi}
            progress={leader && leader.id !== node.id ? leader.progress?.[node.id] ?? null : null} />
        ))}
      </div>
    </div>
  );
}

interface RowProps {
  node: NodeSnapshot;
  lo: number;
  hi: number;
  progress: FollowerProgressView | null;
}

/** Redraw a row only when something it draws changed (the election timer ticks every 10 ms). */
const sameRow = (a: RowProps, b: RowProps): boolean => {
  const x = a.node;
  const y = b.node;
  return a.lo === b.lo && a.hi === b.hi && a.progress === b.progress && x.up === y.up && x.role === y.role && x.entries === y.entries
    && x.commitIndex === y.commitIndex && x.lastApplied === y.lastApplied && x.durable === y.durable && x.kv === y.kv
    && x.lastIndex === y.lastIndex && x.snapshotIndex === y.snapshotIndex && x.live === y.live;
};

const LogRow = memo(function LogRow({ node, lo, hi, progress }: RowProps) {
  const cells = logRow(node, { lo, hi }, progress);
  const snapshotIndex = node.up ? node.snapshotIndex : node.durable.snapshotIndex;
  const roleClass = node.up ? (node.role === 'preCandidate' ? 'precandidate' : node.role) : 'down';
  return (
    <div className={`log-row${node.up ? '' : ' down'}`} role="row" data-testid={`log-${node.id}`} data-last-index={node.up ? node.lastIndex : node.durable.lastIndex}>
      <div className="log-head" role="rowheader">
        <strong>{node.id}</strong> <span className={`role-chip role-${roleClass}`}>{node.up ? node.displayRole : downLabel(node)}</span>
        <div className="persist" title="On disk: survives a crash"><span className="label">disk</span> term {node.durable.term} · vote {node.durable.vote ?? '—'}</div>
        <div className={`volatile${node.up ? '' : ' lost'}`} title="In memory: lost on a crash">
          <span className="label">memory</span> {node.up ? `commit ${node.commitIndex} · applied ${node.lastApplied}` : 'lost'}
        </div>
      </div>
      <div className="log-cells" role="cell">
        {lo > 1 && <span className="more" />}
        {/* Keyed by column, not by index: when the window slides, cells update in place. */}
        {cells.map((c, slot) => (
          <Cell key={slot} entry={c.entry} index={c.index} committed={c.committed} isCommit={c.isCommit} isApplied={c.isApplied}
            isNext={c.isNext} isMatch={c.isMatch} compacted={!c.entry && c.index <= snapshotIndex} />
        ))}
      </div>
      <div className="log-kv" role="cell" data-testid={`kv-${node.id}`}>
        {node.kv === null ? <span className="lost">lost (memory); rebuilt on restart</span>
          : node.kv.length === 0 ? <span className="quiet">empty</span>
          : node.kv.map(([k, v]) => <span key={k} className="kv-pair" data-key={k}>{k}={v}</span>)}
        {node.live?.kvTruncated && <span className="quiet" title="A status carries at most 200 pairs">… (more: GET them)</span>}
      </div>
    </div>
  );
}, sameRow);

type CellProps = Omit<LogCell, 'applied' | 'entry'> & { entry: EntryView | null; compacted: boolean };

/** Primitive props (and an entry object that keeps its identity): unchanged cells are skipped. */
const Cell = memo(function Cell({ entry, index, committed, isCommit, isApplied, isNext, isMatch, compacted }: CellProps) {
  if (!entry) {
    return <span className={`cell ${compacted ? 'compacted' : 'empty'}${isNext ? ' next' : ''}`} title={compacted ? `index ${index}: in the snapshot` : undefined}>
      {isNext && <Marker kind="n" />}
    </span>;
  }
  const cls = `cell entry${committed ? ' committed' : ' uncommitted'}${entry.durable ? '' : ' volatile'}${isCommit ? ' commit-edge' : ''}`;
  const title = `index ${entry.index} · term ${entry.term} · ${entry.label} · ${committed ? 'committed' : 'not committed'} · ${entry.durable ? 'on disk' : 'in memory only'}`;
  return (
    <span className={cls} style={{ background: termColor(entry.term) }} title={title} data-index={entry.index} data-term={entry.term}>
      {entry.term}
      {isMatch && <Marker kind="m" />}
      {isNext && <Marker kind="n" />}
      {isApplied && <i className="applied-dot" title="lastApplied" />}
    </span>
  );
});

function Marker({ kind }: { kind: 'm' | 'n' }) {
  return <i className={`marker marker-${kind}`} title={kind === 'm' ? "leader's matchIndex for this follower" : "leader's nextIndex for this follower"}>{kind}</i>;
}
