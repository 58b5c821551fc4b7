/**
 * The narrated event feed, newest first: what happened and why, in plain words. In the simulator
 * a line can be selected: the pseudocode view below shows the rules the core applied for it.
 */
import { memo, useDeferredValue } from 'react';
import type { ExplainTarget, FeedItem } from '../../engine/protocol';
import { useActions, usePlayground } from '../context';
import { Pseudocode } from './Pseudocode';

/** Lines drawn at once; the engine keeps a few more. */
const shown = 60;

export function EventFeed() {
  // Deferred: the feed is drawn in interruptible background work, after the ring.
  const feed = useDeferredValue(usePlayground((s) => s.sim?.feed));
  const verbose = usePlayground((s) => s.ui.verboseFeed);
  const startedAt = usePlayground((s) => s.sim?.live?.startedAt ?? null);
  const { setVerboseFeed, explain } = useActions();
  const selectable = usePlayground((s) => s.sim?.lab !== undefined);
  const selected = usePlayground((s) => selectedSeq(s.sim?.lab?.pseudocode?.target));
  return (
    <div className="event-feed">
      <div className="feed-head">
        <h2>What happened, and why</h2>
        {startedAt !== null && <span className="quiet feed-note">seconds since this page connected at {new Date(startedAt).toLocaleTimeString()}; the nodes&apos; own events, narrated</span>}
        <label className="check">
          <input type="checkbox" data-testid="feed-verbose" checked={verbose} onChange={(e) => setVerboseFeed(e.target.checked)} />
          every event (heartbeats, applies, drops)
        </label>
      </div>
      <ol className="feed" data-testid="event-feed" aria-live="off">
        {(feed ?? []).slice(0, shown).map((item) => (
          <FeedLine key={item.seq} item={item} selected={item.seq === selected} onSelect={selectable ? explain : null} />
        ))}
      </ol>
      <Pseudocode />
    </div>
  );
}

const selectedSeq = (t: ExplainTarget | undefined | null): number | null => (t?.kind === 'event' ? t.seq : null);

interface FeedLineProps {
  item: FeedItem;
  selected: boolean;
  /** Set in the simulator: selecting a line shows the rules behind it. */
  onSelect: ((target: ExplainTarget) => void) | null;
}

/** A feed line never changes once written: compare by sequence number (and selection) only. */
const FeedLine = memo(function FeedLine({ item, selected, onSelect }: FeedLineProps) {
  const select = onSelect && item.kind !== 'scenario' ? () => onSelect({ kind: 'event', seq: item.seq }) : null;
  return (
    <li
      className={`feed-item ${item.tone} kind-${item.kind}${select ? ' selectable' : ''}${selected ? ' selected' : ''}`}
      data-kind={item.kind}
      data-seq={item.seq}
      {...(select ? {
        role: 'button', tabIndex: 0, 'aria-pressed': selected, title: 'Show the rules the core applied',
        onClick: select, onKeyDown: (e: React.KeyboardEvent) => { if (e.key === 'Enter') select(); },
      } : {})}
    >
      <time>{(item.at / 1000).toFixed(3)}</time>
      {item.node && <span className="chip">{item.node}</span>}
      <span className="text">{item.text}</span>
    </li>
  );
}, (a, b) => a.item.seq === b.item.seq && a.selected === b.selected && a.onSelect === b.onSelect);
