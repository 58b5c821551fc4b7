/**
 * The leader's view of one follower (etcd's Progress): matchIndex and nextIndex of Figure 2, plus a
 * flow-control state.
 * - probe: we do not know where the follower's log matches ours; send one AppendEntries at a time.
 * - replicate: the follower is in step; stream AppendEntries optimistically up to the window.
 * - snapshot: the entries it needs are compacted; the chunks of a snapshot stream to it, a few at a
 *   time (the follower acknowledges each one it made durable).
 */
import { assert } from './assert';
import { Inflights } from './inflights';
import type { SnapshotMeta } from './types';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an AppendEntries is out and we wait for its answer before sending another. */
  probeSent = false;
  /** In snapshot state: the index of the snapshot sent, its chunk count, the next chunk to send, and
   *  how many chunks the follower acknowledged holding. */
  pendingSnapshot = 0;
  snapshotChunkCount = 0;
  snapshotNext = 0;
  snapshotAcked = 0;
  /** The acknowledged point the chunks were last sent again from on a repeated answer (-1: none). */
  snapshotResentFrom = -1;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Highest message sequence number the follower answered in the current term. */
  ackedSeq = 0;
  /** The leader's message sequence number when match last advanced: an answer to any later message
   *  was written after the follower had acknowledged match, however the network reordered. */
  matchSeq = 0;
  /** Ticks since match last advanced (or since the state last changed). */
  stalledTicks = 0;
  readonly inflights: Inflights;

  constructor(next: number, inflightMax: number) {
    this.next = next;
    this.inflights = new Inflights(inflightMax);
  }

  /** Probe again from `next` (at least just past what the follower is known to hold). */
  resetToProbe(next: number): void {
    this.resetState('probe');
    this.next = Math.max(this.match + 1, next);
  }

  becomeReplicate(): void {
    this.next = this.match + 1;
    this.resetState('replicate');
  }

  becomeSnapshot(snapshot: SnapshotMeta): void {
    this.resetState('snapshot');
    this.pendingSnapshot = snapshot.index;
    this.snapshotChunkCount = snapshot.chunkCount;
  }

  /** Chunks that may go now: unsent ones, within the window past what the follower acknowledged. */
  snapshotChunksToSend(windowMax: number): number {
    if (this.state !== 'snapshot') return 0;
    return Math.max(0, Math.min(this.snapshotChunkCount, this.snapshotAcked + windowMax) - this.snapshotNext);
  }

  /** The follower says it holds `nextChunk` chunks of the snapshot. Returns whether there is something to send. */
  snapshotAcknowledged(nextChunk: number): boolean {
    if (nextChunk === this.snapshotAcked) return this.maybeResendChunks(nextChunk);
    if (nextChunk < this.snapshotAcked) {
      // It lost what it held (a wiped disk): resend from there.
      this.snapshotNext = nextChunk;
    } else {
      this.stalledTicks = 0;
    }
    this.snapshotAcked = nextChunk;
    this.snapshotNext = Math.max(this.snapshotNext, nextChunk);
    return true;
  }

  /**
   * The follower keeps only the chunk it wants next, so the same answer again while later chunks
   * are out means they were lost or arrived before it (a network that reorders): go back to it at
   * once, as go-back-N's fast retransmit does, instead of after the retransmit timeout. Once per
   * point: the copies already on their way answer the same, and must not each send the window again.
   */
  private maybeResendChunks(nextChunk: number): boolean {
    if (this.snapshotNext <= nextChunk || this.snapshotResentFrom === nextChunk) return false;
    this.snapshotResentFrom = nextChunk;
    this.snapshotNext = nextChunk;
    return true;
  }

  private resetState(state: ProgressState): void {
    this.state = state;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.snapshotChunkCount = 0;
    this.snapshotNext = 0;
    this.snapshotAcked = 0;
    this.snapshotResentFrom = -1;
    this.stalledTicks = 0;
    this.inflights.reset();
  }

  /** The follower acknowledged entries up to `index`. Returns whether match advanced. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      this.stalledTicks = 0;
      this.probeSent = false;
      updated = true;
    }
    this.next = Math.max(this.next, index + 1);
    return updated;
  }

  /** We just sent entries up to `lastIndex`: move next optimistically (replicate) or pause (probe). */
  sentEntries(count: number, lastIndex: number): void {
    if (this.state === 'replicate') {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === 'probe') {
      this.probeSent = true;
    } else {
      assert(false, 'sentEntries in snapshot state');
    }
  }

  /**
   * A rejection of the AppendEntries whose prevLogIndex was `rejected`. Returns false if the
   * rejection is stale (it answers an older message). Otherwise probes again from `nextHint`.
   */
  maybeDecreaseTo(rejected: number, nextHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
    } else if (this.state === 'snapshot' || this.next - 1 !== rejected) {
      return false;
    }
    const next = Math.max(this.match + 1, Math.min(rejected, nextHint));
    // A rejection that cannot move next back teaches nothing (a duplicate, or a follower that
    // contradicts its own match): resending at once would answer it with the same message forever.
    // The retransmit timer will probe again.
    if (this.state === 'probe' && next === this.next) return false;
    this.resetToProbe(next);
    return true;
  }

  /**
   * A rejection from a follower whose log ended at `followerLastIndex`, answering the message with
   * sequence number `seq`. An empty log, in the answer to a message sent after match was
   * acknowledged (so not an old answer the network delayed), means the follower lost every entry
   * it acknowledged (a wiped or replaced disk): forget the match and probe from `next` (by snapshot
   * if the leader's log no longer reaches back there). Kept at match + 1, next would wait for the
   * leader's next compaction to pass that point: seconds under load, forever on an idle cluster.
   * Only an empty log says this for sure: one that merely ends early may be a bug the bug zoo shows
   * (snapshotDiscardsLog). A snapshot transfer under way ends with the follower holding it anyway.
   * Returns whether the match was forgotten.
   */
  maybeForgetMatch(followerLastIndex: number, seq: number, next: number): boolean {
    if (this.state === 'snapshot' || this.match === 0 || followerLastIndex !== 0 || seq <= this.matchSeq) return false;
    this.match = 0;
    this.resetToProbe(next);
    return true;
  }

  /** Whether the leader should hold back AppendEntries with entries to this follower for now. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.isFull();
      case 'snapshot':
        return true;
    }
  }
}
