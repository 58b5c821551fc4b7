/**
 * Every node's log, aligned by index, scrolling over all indexes: entries coloured by term,
 * committed entries solid and the uncommitted tail dashed, entries not yet on disk striped, the
 * commit and applied markers, the leader's matchIndex (m) and nextIndex (n) for each follower, and
 * each node's snapshot drawn as one block over the indexes it replaced. The disk and memory
 * columns show what survives a crash; the KV column is each node's applied map.
 *
 * Only the indexes in view are drawn (the engine sends a window of them): the scroll area is as
 * wide as the whole log, and scrolling asks the engine for the window under it. At the right end
 * the view follows the newest entries.
 */
import { memo, useDeferredValue, useEffect, useRef } from 'react';
import type { EntryView, FollowerProgressView, NodeSnapshot } from '../../engine/protocol';
import type { LogCell } from '../../store/selectors';
import { downLabel, leaderOf, logRow, termColor } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { Term } from '../learn/Term';

/** A cell and the gap after it (px). */
export const cellPitch = 26;
/** Index labels every this many columns, so that five-digit indexes never overlap. */
const labelEvery = 5;

export function LogGrid() {
  // Rendered from a deferred copy: React renders the grid in the background, in slices it can
  // interrupt, so a busy log never makes the frame that moves the ring late.
  const sim = useDeferredValue(usePlayground((s) => s.sim));
  if (!sim) return null;
  const window = sim.logWindow;
  const range = sim.lab?.logRange ?? { first: window.lo, last: window.hi };
  const follow = sim.lab?.followLog ?? true;
  const leader = leaderOf(sim.nodes);
  return (
    <div className="log-grid" data-testid="log-grid" data-lo={window.lo} data-hi={window.hi} data-last={range.last}>
      <h2>Logs <span className="quiet">(solid: <Term word="commit">committed</Term> · dashed: not yet · striped: not on disk yet · grey block: in a <Term word="snapshot" /> · m/n: the leader&apos;s <Term word="nextIndex">matchIndex and nextIndex</Term> · purple outline: a membership change)</span></h2>
      <div className="log-table" role="table" aria-label="Logs aligned by index">
        <div className="log-heads" role="rowgroup">
          <div className="log-head header" role="columnheader">node</div>
          {sim.nodes.map((node) => <LogHead key={node.id} node={node} />)}
        </div>
        <LogViewport first={range.first} last={range.last} lo={window.lo} hi={window.hi} follow={follow}>
          <IndexRow lo={window.lo} hi={window.hi} first={range.first} />
          {sim.nodes.map((node) => (
            <LogRow key={node.id} node={node} lo={window.lo} hi={window.hi} first={range.first}
              progress={leader && leader.id !== node.id ? leader.progress?.[node.id] ?? null : null} />
          ))}
        </LogViewport>
        <div className="log-kvs" role="rowgroup">
          <div className="log-kv header" role="columnheader">KV map (applied)</div>
          {sim.nodes.map((node) => <KvCell key={node.id} node={node} />)}
        </div>
      </div>
    </div>
  );
}

interface ViewportProps {
  first: number;
  last: number;
  lo: number;
  hi: number;
  follow: boolean;
  children: React.ReactNode;
}

/** The scrolling middle: as wide as the whole log; asks for the window under the scroll position. */
function LogViewport({ first, last, lo, hi, follow, children }: ViewportProps) {
  const ref = useRef<HTMLDivElement>(null);
  const { setLogView } = useActions();
  const width = Math.max(0, last - first + 1) * cellPitch;
  // Following: keep the newest entries in view as the log grows. The scroll happens once the
  // browser has laid the grown log out (a ResizeObserver's callback runs after layout), not right
  // after rendering: there, reading the scroll width made the browser lay the page out inside the
  // frame's script (a 25 ms forced layout in a 77 ms frame, in a 7-node soak).
  const following = useRef(follow);
  following.current = follow;
  /** Where this component last scrolled to itself: the scroll event that follows is not the learner's. */
  const ownScroll = useRef<number | null>(null);
  useEffect(() => {
    const el = ref.current;
    const canvas = el?.firstElementChild;
    if (!el || !canvas) return;
    const observer = new ResizeObserver(() => {
      if (!following.current) return;
      el.scrollLeft = el.scrollWidth;
      ownScroll.current = el.scrollLeft;
    });
    observer.observe(canvas);
    return () => observer.disconnect();
  }, []);
  // Turning following back on jumps to the newest entries at once.
  useEffect(() => {
    const el = ref.current;
    if (!el || !follow) return;
    el.scrollLeft = el.scrollWidth;
    ownScroll.current = el.scrollLeft;
  }, [follow]);
  const asked = useRef<number | null>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const onScroll = () => {
      // Our own follow scroll: the log grew, the learner did not move. (Checked here, not in the
      // frame below, where a log grown meanwhile would look like a learner who scrolled back.)
      if (el.scrollLeft === ownScroll.current) return;
      ownScroll.current = null;
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        const atEnd = el.scrollLeft + el.clientWidth >= el.scrollWidth - cellPitch;
        const firstVisible = first + Math.floor(el.scrollLeft / cellPitch);
        const lastVisible = firstVisible + Math.ceil(el.clientWidth / cellPitch);
        let want: number | null | undefined;
        if (atEnd) want = follow ? undefined : null;
        else if (follow || firstVisible < lo || lastVisible > hi) want = Math.max(first, firstVisible - 10);
        // Ask once per window: the answer comes with the next snapshot.
        if (want !== undefined && want !== asked.current) {
          asked.current = want;
          setLogView(want);
        }
      });
    };
    el.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      el.removeEventListener('scroll', onScroll);
      cancelAnimationFrame(frame);
    };
  }, [first, lo, hi, follow, setLogView]);
  return (
    <div className="log-viewport" ref={ref} data-testid="logs-viewport" role="rowgroup">
      <div className="log-canvas" style={{ width }}>{children}</div>
    </div>
  );
}

/** Index labels every fifth column (wide indexes would overlap otherwise), a tick for every column. */
const IndexRow = memo(function IndexRow({ lo, hi, first }: { lo: number; hi: number; first: number }) {
  const labels = [];
  for (let i = lo; i <= hi; i++) {
    if (i % labelEvery !== 0 && i !== 1) continue;
    labels.push(<span key={i} className="index-label" style={{ left: (i - first) * cellPitch }} data-index={i}>{i}</span>);
  }
  return <div className="log-line index-row" role="row">{labels}</div>;
});

interface RowProps {
  node: NodeSnapshot;
  lo: number;
  hi: number;
  first: number;
  progress: FollowerProgressView | null;
}

/** Redraw a row only when something it draws changed (the election timer ticks every 10 ms). */
const sameRow = (a: RowProps, b: RowProps): boolean => {
  const x = a.node;
  const y = b.node;
  return a.lo === b.lo && a.hi === b.hi && a.first === b.first && a.progress === b.progress && x.up === y.up && x.entries === y.entries
    && x.commitIndex === y.commitIndex && x.lastApplied === y.lastApplied && x.durable === y.durable && x.lastIndex === y.lastIndex
    && x.snapshotIndex === y.snapshotIndex;
};

const LogRow = memo(function LogRow({ node, lo, hi, first, progress }: RowProps) {
  const cells = logRow(node, { lo, hi }, progress);
  const snapshotIndex = node.up ? node.snapshotIndex : node.durable.snapshotIndex;
  const lastIndex = node.up ? node.lastIndex : node.durable.lastIndex;
  return (
    <div className={`log-line${node.up ? '' : ' down'}`} role="row" data-testid={`log-${node.id}`} data-last-index={lastIndex} data-snapshot-index={snapshotIndex}>
      {snapshotIndex >= first && (
        <span className="snapshot-block" data-testid={`snapshot-${node.id}`} style={{ left: 0, width: (snapshotIndex - first + 1) * cellPitch - 2 }}
          title={`indexes ${first}-${snapshotIndex}: replaced by ${node.id}'s snapshot`}>
          <span className="snapshot-label">snapshot ≤ {snapshotIndex}</span>
        </span>
      )}
      {cells.map((c) => (c.entry || c.isNext) && c.index > snapshotIndex ? (
        <Cell key={c.index} left={(c.index - first) * cellPitch} entry={c.entry} index={c.index} committed={c.committed} isCommit={c.isCommit}
          isApplied={c.isApplied} isNext={c.isNext} isMatch={c.isMatch} />
      ) : null)}
    </div>
  );
}, sameRow);

function LogHead({ node }: { node: NodeSnapshot }) {
  const roleClass = node.up ? (node.role === 'preCandidate' ? 'precandidate' : node.role) : 'down';
  return (
    <div className={`log-head${node.up ? '' : ' down'}`} role="rowheader">
      <strong>{node.id}</strong> <span className={`role-chip role-${roleClass}`}>{node.up ? node.displayRole : downLabel(node)}</span>
      <div className="persist" title="On disk: survives a crash"><span className="label">disk</span> term {node.durable.term} · vote {node.durable.vote ?? '—'}</div>
      <div className={`volatile${node.up ? '' : ' lost'}`} title="In memory: lost on a crash">
        <span className="label">memory</span> {node.up ? `commit ${node.commitIndex} · applied ${node.lastApplied}` : 'lost'}
      </div>
    </div>
  );
}

function KvCell({ node }: { node: NodeSnapshot }) {
  return (
    <div className="log-kv" role="cell" data-testid={`kv-${node.id}`}>
      {node.kv === null ? <span className="lost">lost (memory); rebuilt on restart</span>
        : node.kv.length === 0 ? <span className="quiet">empty</span>
        : node.kv.map(([k, v]) => <span key={k} className="kv-pair" data-key={k}>{k}={v}</span>)}
      {node.live?.kvTruncated && <span className="quiet" title="A status carries at most 200 pairs">… (more: GET them)</span>}
    </div>
  );
}

type CellProps = Omit<LogCell, 'applied' | 'entry'> & { entry: EntryView | null; left: number };

/** Primitive props (and an entry object that keeps its identity): unchanged cells are skipped. */
const Cell = memo(function Cell({ entry, index, committed, isCommit, isApplied, isNext, isMatch, left }: CellProps) {
  if (!entry) {
    return <span className="cell empty next" style={{ left }}>{isNext && <Marker kind="n" />}</span>;
  }
  const cls = `cell entry${committed ? ' committed' : ' uncommitted'}${entry.durable ? '' : ' volatile'}${isCommit ? ' commit-edge' : ''}${entry.config ? ' config' : ''}`;
  const title = `index ${entry.index} · term ${entry.term} · ${entry.label} · ${committed ? 'committed' : 'not committed'} · ${entry.durable ? 'on disk' : 'in memory only'}`;
  return (
    <span className={cls} style={{ left, background: termColor(entry.term) }} title={title} data-index={index} data-term={entry.term} data-kind={entry.config ? 'config' : 'entry'}>
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
