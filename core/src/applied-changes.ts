/**
 * Which applied entries changed the KV map, for watchers (GET /watch). The entries themselves are
 * in the Raft log; what an entry did is not (a CAS may not swap, a repeat of a session write
 * changes nothing), so the replica notes one flag per applied index, from the point its state
 * was restored from (entries before it were applied in another life or on another node) up to
 * the log's first index. A watcher reads the changes back from the log and these flags: the log
 * is the watchers' buffer, and one byte per entry is all they add.
 */
import { assert } from './assert';
import type { Entry } from './types';

/** One change of the map, as a watcher sees it: a swapped CAS is a set. */
export interface Change {
  index: number;
  op: 'set' | 'delete';
  key: string;
  /** The new value of a set. */
  value?: string;
}

export class AppliedChanges {
  /** Flags (1: changed the map) for indexes from, from+1, ...; stored from `offset` in `flags`. */
  private flags: Uint8Array;
  private offset = 0;
  private count = 0;

  /** `from` is the first index this life will apply (the restored snapshot's index + 1). */
  constructor(private fromIndex: number, capacity = 1024) {
    this.flags = new Uint8Array(capacity);
  }

  /** The first index whose effect is known. */
  get from(): number {
    return this.fromIndex;
  }

  /** The index after the last one noted. */
  get end(): number {
    return this.fromIndex + this.count;
  }

  note(index: number, changed: boolean): void {
    assert(index === this.end, `applied change ${index} noted after ${this.end - 1}`);
    if (this.offset + this.count === this.flags.length) this.grow();
    this.flags[this.offset + this.count] = changed ? 1 : 0;
    this.count++;
  }

  changed(index: number): boolean {
    assert(index >= this.fromIndex && index < this.end, `no applied change noted for ${index}`);
    return this.flags[this.offset + index - this.fromIndex] === 1;
  }

  /** Forgets the flags below `index` (the log no longer holds those entries). */
  trimBefore(index: number): void {
    const drop = Math.min(Math.max(0, index - this.fromIndex), this.count);
    this.offset += drop;
    this.count -= drop;
    this.fromIndex += drop;
    if (drop > 0 && this.count === 0) this.fromIndex = Math.max(this.fromIndex, index);
  }

  /** The state was replaced by a snapshot at `index`: nothing before index + 1 is known. */
  reset(index: number): void {
    this.fromIndex = index + 1;
    this.offset = 0;
    this.count = 0;
  }

  private grow(): void {
    const size = this.count * 2 > this.flags.length ? this.flags.length * 2 : this.flags.length;
    const next = new Uint8Array(size);
    next.set(this.flags.subarray(this.offset, this.offset + this.count));
    this.flags = next;
    this.offset = 0;
  }

  /** Simulator checkpoints (a typed array is copied, not shared). */
  cloneForCheckpoint(): AppliedChanges {
    const copy = new AppliedChanges(this.fromIndex, Math.max(16, this.count));
    copy.flags.set(this.flags.subarray(this.offset, this.offset + this.count));
    copy.count = this.count;
    return copy;
  }
}

/** The change an applied entry made, if `changed` says it made one. */
export function changeOf(entry: Entry): Change {
  const c = entry.command;
  assert(c.op === 'set' || c.op === 'cas' || c.op === 'delete', `entry ${entry.index} (${c.op}) changes no key`);
  return c.op === 'delete' ? { index: entry.index, op: 'delete', key: c.key } : { index: entry.index, op: 'set', key: c.key, value: c.value };
}
