/**
 * Entries, chunks of a snapshot being received, and at most one snapshot to install that the core
 * has accepted but the host has not yet persisted. They reach the host in a Ready and leave this
 * tail when the host confirms them.
 */
import { fail } from './assert';
import type { Entry, SnapshotChunk, SnapshotMeta } from './types';
import { none } from './types';

export class Unstable {
  /** A snapshot received in full, to install (its chunks were persisted before or in the same Ready). */
  snapshot: SnapshotMeta | null = null;
  /** Chunks of a snapshot being received, to persist. */
  chunks: SnapshotChunk[] = [];
  entries: Entry[] = [];
  /** Index of entries[0]. */
  offset: number;
  /** Entries before this index were already handed to the host in a Ready. */
  handedOutTo: number;
  snapshotHandedOut = false;

  constructor(offset: number) {
    this.offset = offset;
    this.handedOutTo = offset;
  }

  lastIndex(): number | undefined {
    if (this.entries.length > 0) return this.offset + this.entries.length - 1;
    return this.snapshot?.index;
  }

  term(index: number): number | undefined {
    if (index >= this.offset) {
      return this.entries[index - this.offset]?.term;
    }
    if (this.snapshot && index === this.snapshot.index) return this.snapshot.term;
    return undefined;
  }

  /** Entries not yet handed out, and marks them handed out. */
  takeEntriesToPersist(): Entry[] {
    const start = Math.max(this.handedOutTo, this.offset) - this.offset;
    if (start >= this.entries.length) return none();
    const taken = start === 0 ? this.entries.slice() : this.entries.slice(start);
    this.handedOutTo = this.offset + this.entries.length;
    return taken;
  }

  /** Chunks received since the last Ready, oldest first. */
  takeChunksToPersist(): SnapshotChunk[] {
    const taken = this.chunks;
    if (taken.length === 0) return none();
    this.chunks = [];
    return taken;
  }

  takeSnapshotToPersist(): SnapshotMeta | null {
    if (!this.snapshot || this.snapshotHandedOut) return null;
    this.snapshotHandedOut = true;
    return this.snapshot;
  }

  hasEntriesToPersist(): boolean {
    return this.offset + this.entries.length > Math.max(this.handedOutTo, this.offset);
  }

  hasSnapshotToPersist(): boolean {
    return this.snapshot !== null && !this.snapshotHandedOut;
  }

  /** The host persisted entries up to (index, term): drop them, unless a newer leader replaced that entry meanwhile. */
  stableTo(index: number, term: number): void {
    if (this.term(index) !== term || index < this.offset) return;
    this.entries = this.entries.slice(index + 1 - this.offset);
    this.offset = index + 1;
    this.handedOutTo = Math.max(this.handedOutTo, this.offset);
  }

  stableSnapshotTo(index: number): void {
    if (this.snapshot && this.snapshot.index === index) {
      this.snapshot = null;
      this.snapshotHandedOut = false;
    }
  }

  restore(snapshot: SnapshotMeta): void {
    this.snapshot = snapshot;
    this.snapshotHandedOut = false;
    this.entries = [];
    this.offset = snapshot.index + 1;
    this.handedOutTo = this.offset;
  }

  /** Appends entries, replacing any held entries at or after the first new index. */
  truncateAndAppend(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    const from = entries[0]!.index;
    const end = this.offset + this.entries.length;
    if (from === end) {
      for (const entry of entries) this.entries.push(entry);
    } else if (from <= this.offset) {
      // Replaces the whole tail, and possibly persisted entries too: the host's storage append
      // overwrites those when it persists the next Ready.
      this.offset = from;
      this.entries = entries.slice();
    } else {
      if (from >= end) fail(`unstable append leaves a gap: ${from} after ${end - 1}`);
      this.entries = this.entries.slice(0, from - this.offset).concat(entries);
    }
    this.handedOutTo = Math.min(this.handedOutTo, from);
  }

  slice(lo: number, hi: number): Entry[] {
    if (!(lo >= this.offset && hi <= this.offset + this.entries.length)) fail(`unstable slice [${lo}, ${hi}) outside [${this.offset}, ${this.offset + this.entries.length})`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
