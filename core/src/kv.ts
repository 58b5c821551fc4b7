/**
 * The replicated KV state machine. Hosts apply committed entries here in log order, exactly once;
 * the browser and the server share it, so they apply identically. Besides the map it holds the
 * client sessions (sessions.ts): a write of a session is applied once however often it reaches
 * the log, and apply() returns the answer its client gets, the first one for a repeat.
 *
 * Snapshots cost nothing on the write path: snapshotReader() takes an O(1) copy-on-write view of
 * the sorted map at the applied index, and the host serializes it chunk by chunk (each chunk the
 * next pairs in key order, kv-chunk.ts) while applies go on; the session table follows
 * in chunks of its own ({"clock", "sessions"}). A snapshot is rebuilt the same way, chunk by chunk
 * (KvRestorer), and swapped in at once when the last chunk is in.
 */
import { fail } from './assert';
import { decodeChunk, encodeChunk, isTextChunk } from './kv-chunk';
import type { SessionRejection, SessionsChunk } from './sessions';
import { SessionRestorer, SessionTable, sessionChunks, sessionsChunkProblem } from './sessions';
import type { SortedMap } from './sorted-map';
import { appendSorted, emptySortedMap, ownedString } from './sorted-map';
import type { Command, Entry } from './types';

/** What applying a command did: the client's answer is built from it. */
export type ApplyResult =
  | { op: 'set'; key: string }
  | { op: 'delete'; key: string; existed: boolean }
  /** `value` is the key's value after the command (null: absent). */
  | { op: 'cas'; key: string; swapped: boolean; value: string | null }
  | { op: 'register'; clientId: number; timeoutMs: number }
  /** A command of a session the table refused: nothing changed. */
  | { op: 'rejected'; error: SessionRejection }
  | { op: 'noop' }
  | { op: 'config' };

export interface Applied {
  result: ApplyResult;
  /** The command was a repeat of a session write already applied: `result` is that first answer. */
  duplicate: boolean;
}

/** Whether an applied entry changed the map (what a watcher is told about). */
export function changedState(applied: Applied): boolean {
  if (applied.duplicate) return false;
  const r = applied.result;
  return r.op === 'set' || (r.op === 'delete' && r.existed) || (r.op === 'cas' && r.swapped);
}

/**
 * The default size of a snapshot chunk (bytes of text, approximately). Below 128 KiB on purpose: V8
 * puts a string of 128 KiB or more in its large-object space, one fresh memory mapping each, and
 * on a VM whose page faults are dear that made a chunk's string 60 times slower to create (a 256
 * KiB chunk decoded from disk at ~200 MB/s against ~10 GB/s for 64 KiB, measured with
 * Buffer.toString on the project's 2-core VM). Every chunk is such a string several times over:
 * built when a snapshot is taken, read back at a restart, sent and received in an InstallSnapshot.
 */
export const snapshotChunkBytesDefault = 64 * 1024;

/**
 * The session table is cut into chunks of at least this size: its records are small, and cutting
 * it as finely as a test cuts the map (one pair per chunk) would only add round trips to a transfer.
 */
const sessionChunkBytesMin = 4 * 1024;

export class KvStateMachine {
  private data: SortedMap;
  /** Index of the last entry applied (or restored from a snapshot). */
  appliedIndex: number;
  readonly sessions: SessionTable;

  constructor(data: SortedMap = emptySortedMap(), appliedIndex = 0, sessions = new SessionTable()) {
    this.data = data;
    this.appliedIndex = appliedIndex;
    this.sessions = sessions;
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

  apply(entry: Entry): Applied {
    if (entry.index !== this.appliedIndex + 1) fail(`apply out of order: entry ${entry.index} after ${this.appliedIndex}`);
    this.appliedIndex = entry.index;
    const command = entry.command;
    if (command.op === 'noop') return { result: { op: 'noop' }, duplicate: false };
    // Membership is Raft's (it took effect when the entry entered the log); the map is unchanged.
    if (command.op === 'config') return { result: { op: 'config' }, duplicate: false };
    if (command.at !== undefined) this.sessions.advance(command.at);
    if (command.op === 'register') {
      this.sessions.register(entry.index, command.timeoutMs);
      return { result: { op: 'register', clientId: entry.index, timeoutMs: command.timeoutMs }, duplicate: false };
    }
    const session = command.session;
    if (session === undefined) return { result: this.applyWrite(command), duplicate: false };
    const check = this.sessions.check(session);
    if (check.kind === 'duplicate') return { result: check.answer, duplicate: true };
    if (check.kind === 'rejected') return { result: { op: 'rejected', error: check.error }, duplicate: false };
    const result = this.applyWrite(command);
    this.sessions.remember(session, result);
    return { result, duplicate: false };
  }

  private applyWrite(command: Extract<Command, { op: 'set' | 'delete' | 'cas' }>): Extract<ApplyResult, { op: 'set' | 'delete' | 'cas' }> {
    switch (command.op) {
      case 'set':
        this.data.set(ownedString(command.key), ownedString(command.value));
        return { op: 'set', key: command.key };
      case 'delete':
        // Deleting a missing key is a committed no-op: the apply loop must never wedge on it.
        return { op: 'delete', key: command.key, existed: this.data.delete(command.key) };
      case 'cas': {
        const current = this.data.get(command.key) ?? null;
        if (current !== command.expected) return { op: 'cas', key: command.key, swapped: false, value: current };
        this.data.set(ownedString(command.key), ownedString(command.value));
        return { op: 'cas', key: command.key, swapped: true, value: command.value };
      }
    }
  }

  /** A frozen view of the state as applied now, read in chunks; later applies do not change it. */
  snapshotReader(chunkBytes = snapshotChunkBytesDefault): KvSnapshotReader {
    const sessions = sessionChunks(this.sessions, Math.max(chunkBytes, sessionChunkBytesMin));
    return new KvSnapshotReader(this.data.clone(), this.appliedIndex, chunkBytes, sessions);
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
    return new KvStateMachine(this.data.clone(), this.appliedIndex, this.sessions.clone());
  }
}

/**
 * The session table's chunk `chunk` is, parsed, or null when it is a kv chunk (kv-chunk.ts): a
 * sessions chunk is a JSON object with a `sessions` field; a kv chunk is kv1 text or {"kv": ...}.
 */
function sessionsChunkOf(chunk: string): Record<string, unknown> | null {
  if (isTextChunk(chunk)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(chunk);
  } catch {
    return null; // decodeChunk names the error
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !('sessions' in parsed)) return null;
  return parsed as Record<string, unknown>;
}

/**
 * Whether `data` is a well-formed snapshot chunk: pairs of strings in strictly ascending key
 * order (kv-chunk.ts), or {"clock", "sessions"} (sessions.ts).
 */
export function isKvSnapshotChunk(data: string): boolean {
  const sessions = sessionsChunkOf(data);
  if (sessions !== null) return sessionsChunkProblem(sessions) === null;
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
 * Serializes a frozen view of the map in chunks of about `chunkBytes`, in key order, then the
 * session table's chunks (copied when the view was taken). Every chunk stands alone, so a reader
 * can parse and apply one at a time. A state with no pairs still has one (empty) kv
 * chunk first, so every snapshot has at least one.
 */
export class KvSnapshotReader {
  private readonly iterator: IterableIterator<[string, string]>;
  private started = false;
  private done = false;
  private sessionChunk = 0;

  constructor(view: SortedMap, readonly index: number, private readonly chunkBytes: number, private readonly sessions: readonly SessionsChunk[] = []) {
    if (!(chunkBytes >= 1)) fail(`chunkBytes must be positive, got ${chunkBytes}`);
    this.iterator = view.entries();
  }

  /** The next chunk, or null when the whole view was read. */
  next(): string | null {
    if (this.done) return this.sessionChunk < this.sessions.length ? JSON.stringify(this.sessions[this.sessionChunk++]) : null;
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
    if (keys.length === 0 && this.started) return this.next();
    this.started = true;
    return encodeChunk(keys, values);
  }
}

/**
 * Rebuilds a state machine from snapshot chunks, given in order: kv chunks, then session chunks.
 * Each kv chunk is appended to the map as it comes (appendSorted), so no single step builds a
 * tree of the whole state: at a million pairs that one step took about 50 ms, on the event loop of
 * a follower that must keep answering heartbeats. Anything malformed or out of order is an error:
 * a snapshot is never half understood.
 */
export class KvRestorer {
  private map: SortedMap = emptySortedMap();
  private lastKey: string | null = null;
  private readonly sessions = new SessionRestorer();
  private inSessions = false;
  chunks = 0;

  add(chunk: string): void {
    const sessions = sessionsChunkOf(chunk);
    if (sessions !== null) {
      if (this.chunks === 0) fail('snapshot chunk 0 is a sessions chunk; the kv pairs come first');
      this.inSessions = true;
      this.sessions.add(sessions as unknown as SessionsChunk);
    } else {
      if (this.inSessions) fail(`snapshot chunk ${this.chunks}: kv pairs after the sessions`);
      const keys: string[] = [];
      const values: string[] = [];
      const error = decodeChunk(chunk, keys, values, this.lastKey);
      if (error !== null) fail(`snapshot chunk ${this.chunks}: ${error}`);
      if (keys.length > 0) this.lastKey = keys[keys.length - 1]!;
      this.map = appendSorted(this.map, keys, values);
    }
    this.chunks++;
  }

  finish(index: number): KvStateMachine {
    return new KvStateMachine(this.map, index, this.sessions.finish());
  }
}
