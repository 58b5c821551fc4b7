/**
 * The node's watchers (GET /watch): each follows the changes this node applies, from an index
 * on, for one key prefix. A watcher keeps only a cursor: it reads the changes back from the Raft
 * log (Replica.changesSince), so catching up from an old index and following live are the same
 * loop, and the log is its buffer. When its socket is full it waits for it to drain; if the node
 * gets more than `lagEntriesMax` entries ahead meanwhile, or compacts the entries it still needs,
 * the watcher is closed with the reason, and the node never waits for it.
 */
import type { ApiResponse, Change, Replica } from '@raft-kv/core';
import { api, assert } from '@raft-kv/core';

/** Why a watch ended; the client resumes from the index after the last change it received. */
export type WatchEnd =
  | { reason: 'slow_watcher'; message: string; nextIndex: number }
  | { reason: 'compacted'; message: string; nextIndex: number; firstIndex: number; snapshotIndex: number }
  | { reason: 'shutdown'; message: string; nextIndex: number };

/** Where a watcher's events go (an SSE response). */
export interface WatchSink {
  /** Writes changes; false when the socket's buffer is full (then wait for drain). */
  write(changes: readonly Change[]): boolean;
  /** Calls `resume` once the buffer has drained. */
  onDrain(resume: () => void): void;
  /** Writes the end of the stream and closes it. */
  end(end: WatchEnd): void;
}

export interface WatchHandle {
  /** The next index the watcher will read (everything before it was read). */
  nextIndex(): number;
  /** Stops it (its client went away). */
  remove(): void;
}

export interface WatchLimits {
  watchersMax: number;
  lagEntriesMax: number;
}

/** Log entries a watcher reads per step, and steps per turn of the event loop before it yields. */
const entriesPerRead = 512;
const readsPerTurn = 16;

class Watcher {
  /** The next index to read. */
  next: number;
  /** Waiting for the socket to drain. */
  blocked = false;
  /** A continuation is scheduled (it read readsPerTurn pages and yielded). */
  yielded = false;
  closed = false;

  constructor(readonly prefix: string, from: number, readonly sink: WatchSink) {
    this.next = from;
  }
}

export class Watchers {
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly replica: Replica, private readonly limits: WatchLimits) {}

  get size(): number {
    return this.watchers.size;
  }

  /** The index a watch without fromIndex starts at: the next one this node applies. */
  get nextIndex(): number {
    return this.replica.kv.appliedIndex + 1;
  }

  /**
   * Checks a watch before its stream opens: null when it may start at `from`, else the answer
   * (503 when the node serves as many watchers as it may, 410 when it no longer holds `from`).
   */
  refusal(from: number): ApiResponse | null {
    if (this.watchers.size >= this.limits.watchersMax) return api.unavailable(`this node already serves ${this.limits.watchersMax} watchers (KV_WATCHERS_MAX)`);
    const read = this.replica.changesSince(from, '', 1);
    return read.ok ? null : api.compacted(read.firstIndex, read.snapshotIndex);
  }

  /** Starts a watcher (after refusal() said it may). */
  add(prefix: string, from: number, sink: WatchSink): WatchHandle {
    const watcher = new Watcher(prefix, from, sink);
    this.watchers.add(watcher);
    this.pumpOne(watcher);
    return {
      nextIndex: () => watcher.next,
      remove: () => {
        watcher.closed = true;
        this.watchers.delete(watcher);
      },
    };
  }

  /** The node applied entries: every watcher reads on, and one too far behind is closed. */
  pump(): void {
    for (const watcher of this.watchers) {
      if (watcher.blocked) this.checkLag(watcher);
      else if (!watcher.yielded) this.pumpOne(watcher);
    }
  }

  /** Ends every stream (the node is stopping). */
  closeAll(): void {
    for (const watcher of [...this.watchers]) this.close(watcher, { reason: 'shutdown', message: 'the node is stopping', nextIndex: watcher.next });
  }

  private pumpOne(watcher: Watcher): void {
    for (let reads = 0; reads < readsPerTurn; reads++) {
      if (watcher.closed || watcher.blocked) return;
      const read = this.replica.changesSince(watcher.next, watcher.prefix, entriesPerRead);
      if (!read.ok) {
        const message = `this node no longer holds the changes from index ${watcher.next}: read the state again and watch from its index + 1`;
        return this.close(watcher, { reason: 'compacted', message, nextIndex: watcher.next, firstIndex: read.firstIndex, snapshotIndex: read.snapshotIndex });
      }
      if (read.next === watcher.next) return; // caught up
      assert(read.next > watcher.next, `a watcher's cursor went back from ${watcher.next} to ${read.next}`);
      watcher.next = read.next;
      if (read.changes.length > 0 && !watcher.sink.write(read.changes)) {
        watcher.blocked = true;
        watcher.sink.onDrain(() => {
          watcher.blocked = false;
          this.pumpOne(watcher);
        });
        return;
      }
    }
    // A long catch-up: let the node serve others before reading on.
    watcher.yielded = true;
    setImmediate(() => {
      watcher.yielded = false;
      this.pumpOne(watcher);
    });
  }

  private checkLag(watcher: Watcher): void {
    const behind = this.nextIndex - watcher.next;
    if (behind <= this.limits.lagEntriesMax) return;
    this.close(watcher, {
      reason: 'slow_watcher', nextIndex: watcher.next,
      message: `the watcher fell ${behind} entries behind (KV_WATCH_LAG_ENTRIES_MAX is ${this.limits.lagEntriesMax}): resume from nextIndex`,
    });
  }

  private close(watcher: Watcher, end: WatchEnd): void {
    if (watcher.closed) return;
    watcher.closed = true;
    this.watchers.delete(watcher);
    watcher.sink.end(end);
  }
}
