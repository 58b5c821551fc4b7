/** The narrated event feed, newest first: what happened and why, in plain words. */
import { memo, useDeferredValue } from 'react';
import type { FeedItem } from '../../engine/protocol';
import { useActions, usePlayground } from '../context';

/** Lines drawn at once; the engine keeps a few more. */
const shown = 60;

export function EventFeed() {
  // Deferred: the feed is drawn in interruptible background work, after the ring.
  const feed = useDeferredValue(usePlayground((s) => s.sim?.feed));
  const verbose = usePlayground((s) => s.ui.verboseFeed);
  const startedAt = usePlayground((s) => s.sim?.live?.startedAt ?? null);
  const { setVerboseFeed } = useActions();
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
        {(feed ?? []).slice(0, shown).map((item) => <FeedLine key={item.seq} item={item} />)}
      </ol>
    </div>
  );
}

/** A feed line never changes once written: compare by sequence number only. */
const FeedLine = memo(function FeedLine({ item }: { item: FeedItem }) {
  return (
    <li className={`feed-item ${item.tone} kind-${item.kind}`} data-kind={item.kind}>
      <time>{(item.at / 1000).toFixed(3)}</time>
      {item.node && <span className="chip">{item.node}</span>}
      <span className="text">{item.text}</span>
    </li>
  );
}, (a, b) => a.item.seq === b.item.seq);
