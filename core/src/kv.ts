/**
 * The replicated KV state machine. Hosts apply committed entries here in log order, exactly once;
 * the browser and the server share it, so they apply identically.
 *
 * Snapshots cost nothing on the write path: snapshotReader() takes an O(1) copy-on-write view of
 * the sorted map at the applied index, and the host serializes it chunk by chunk (each chunk a
 * JSON object with the next pairs in key order) while applies go on. A snapshot is rebuilt the
 * same way, chunk by chunk (KvRestorer), and swapped in at once when the last chunk is in.
 */
import { fail } from './assert';
import { decodeChunk, encodeChunk } from './kv-chunk';
import type { SortedMap } from './sorted-map';
import { emptySortedMap, sortedMapFromSorted } from './sorted-map';
import type { Command, Entry } from './types';

export type ApplyResult =
  | { op: 'set'; key: string; value: string }
  | { op: 'delete'; key: string; existed: boolean }
  | { op: 'noop' }
  | { op: 'config' };

/** The default size of a snapshot chunk (bytes of JSON, approximately). */
export const snapshotChunkBytesDefault = 256 * 1024;


export class KvStateMachine {
  private data: SortedMap;
  /** Index of the last entry applied (or restored from a snapshot). */
  appliedIndex: number;

  constructor(data: SortedMap = emptySortedMap(), appliedIndex = 0) {
    this.data = data;
    this.appliedIndex = appliedIndex;
  }

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  get size(): number {
    return this.data.size;
  }

  /** Pairs in key order, at most `limit` of them. */
  entries(limit = Number.POSITIVE_INFINITY): [string, string][] {
    const out: [string, string][] = [];
    if (limit <= 0) return out;
    for (const pair of this.data.entries()) {
      out.push([pair[0], pair[1]]);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Pairs whose key starts with `prefix`, in key order, at most `limit`. */
  range(prefix: string, limit: number): [string, string][] {
    const out: [string, string][] = [];
    if (limit <= 0) return out;
    for (const [key, value] of this.data.entries(prefix)) {
      if (!key.startsWith(prefix)) break;
      out.push([key, value]);
      if (out.length >= limit) break;
    }
    return out;
  }

  apply(entry: Entry): ApplyResult {
    if (entry.index !== this.appliedIndex + 1) fail(`apply out of order: entry ${entry.index} after ${this.appliedIndex}`);
    this.appliedIndex = entry.index;
    return this.applyCommand(entry.command);
  }

  private applyCommand(command: Command): ApplyResult {
    switch (command.op) {
      case 'set':
        this.data.set(command.key, command.value);
        return { op: 'set', key: command.key, value: command.value };
      case 'delete':
        // Deleting a missing key is a committed no-op: the apply loop must never wedge on it.
        return { op: 'delete', key: command.key, existed: this.data.delete(command.key) };
      case 'noop':
        return { op: 'noop' };
      case 'config':
        // Membership is Raft's (it took effect when the entry entered the log); the map is unchanged.
        return { op: 'config' };
    }
  }

  /** A frozen view of the state as applied now, read in chunks; later applies do not change it. */
  snapshotReader(chunkBytes = snapshotChunkBytesDefault): KvSnapshotReader {
    return new KvSnapshotReader(this.data.clone(), this.appliedIndex, chunkBytes);
  }

  /** The whole state as snapshot chunks, at once (the simulator and tests; hosts use a reader). */
  snapshotChunks(chunkBytes = snapshotChunkBytesDefault): string[] {
    const reader = this.snapshotReader(chunkBytes);
    const chunks: string[] = [];
    for (let chunk = reader.next(); chunk !== null; chunk = reader.next()) chunks.push(chunk);
    return chunks;
  }

  static fromChunks(chunks: readonly string[], index: number): KvStateMachine {
    const restorer = new KvRestorer();
    for (const chunk of chunks) restorer.add(chunk);
    return restorer.finish(index);
  }

  /** Simulator checkpoints: an O(1) copy that shares the tree until either side writes. */
  cloneForCheckpoint(): KvStateMachine {
    return new KvStateMachine(this.data.clone(), this.appliedIndex);
  }
}

/** Whether `data` is a well-formed snapshot chunk (pairs of strings in strictly ascending key order). */
export function isKvSnapshotChunk(data: string): boolean {
  return decodeChunk(data, [], [], null) === null;
}

/** The chunks of a snapshot written by the first version, whose data was one JSON object. */
export function legacySnapshotChunks(data: string, chunkBytes = snapshotChunkBytesDefault): string[] {
  const parsed = (data === '' ? { entries: [] } : JSON.parse(data)) as { entries?: unknown };
  if (!Array.isArray(parsed.entries)) fail('legacy snapshot data has no entries');
  const map = emptySortedMap();
  for (const pair of parsed.entries as unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') fail('legacy snapshot data: a pair is not two strings');
    map.set(pair[0], pair[1]);
  }
  return new KvStateMachine(map, 0).snapshotChunks(chunkBytes);
}

/**
 * Serializes a frozen view of the map in chunks of about `chunkBytes`, in key order. Every chunk
 * is its own JSON object, so a reader can parse and apply one at a time. A state with no pairs
 * still has one (empty) chunk, so every snapshot has at least one.
 */
export class KvSnapshotReader {
  private readonly iterator: IterableIterator<[string, string]>;
  private started = false;
  private done = false;

  constructor(view: SortedMap, readonly index: number, private readonly chunkBytes: number) {
    if (!(chunkBytes >= 1)) fail(`chunkBytes must be positive, got ${chunkBytes}`);
    this.iterator = view.entries();
  }

  /** The next chunk, or null when the whole view was read. */
  next(): string | null {
    if (this.done) return null;
    const keys: string[] = [];
    const values: string[] = [];
    let bytes = 0;
    while (bytes < this.chunkBytes) {
      const step = this.iterator.next();
      if (step.done) {
        this.done = true;
        break;
      }
      const [key, value] = step.value;
      keys.push(key);
      values.push(value);
      bytes += key.length + value.length + 2;
    }
    if (keys.length === 0 && this.started) return null;
    this.started = true;
    return encodeChunk(keys, values);
  }
}

/** Rebuilds a state machine from snapshot chunks, given in order; the map is built once, at finish. */
export class KvRestorer {
  private readonly keys: string[] = [];
  private readonly values: string[] = [];
  chunks = 0;

  add(chunk: string): void {
    const previous = this.keys.length > 0 ? this.keys[this.keys.length - 1]! : null;
    const error = decodeChunk(chunk, this.keys, this.values, previous);
    if (error !== null) fail(`snapshot chunk ${this.chunks}: ${error}`);
    this.chunks++;
  }

  finish(index: number): KvStateMachine {
    return new KvStateMachine(sortedMapFromSorted(this.keys, this.values), index);
  }
}
