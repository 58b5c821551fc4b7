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
 *
 * A snapshot need not rewrite the whole state: the machine notes which keys each apply changed,
 * and a delta run (KvDeltaReader) holds only the keys changed since the snapshot the storage
 * last made durable, with their values at the new index. A snapshot is then a base run followed
 * by delta runs, applied in order; the storage decides when to write a whole base again.
 */
import { fail } from './assert';
import { decodeChunk, decodeDeltaChunk, encodeChunk, encodeDeltaChunk, isDeltaChunk, isTextChunk } from './kv-chunk';
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

/** Keys changed up to `index` (a sorted map used as a set: the values are empty). */
interface ChangedKeys {
  index: number;
  keys: SortedMap;
}

/** The readers of one snapshot, both over the same frozen view: the whole state, or only what changed. */
export interface SnapshotReaders {
  full: KvSnapshotReader;
  /** Null when nothing was applied since the durable snapshot (a newer one arrived meanwhile). */
  delta: KvDeltaReader | null;
}

export class KvStateMachine {
  private data: SortedMap;
  /** Index of the last entry applied (or restored from a snapshot). */
  appliedIndex: number;
  readonly sessions: SessionTable;
  /** The index of the last snapshot known durable: a delta run holds the changes since it. */
  private durableIndex: number;
  /** Keys changed since the last snapshot was started. */
  private changed: SortedMap = emptySortedMap();
  /** Keys changed up to snapshots started but not yet durable (one, unless a snapshot was given up). */
  private sealed: ChangedKeys[] = [];

  constructor(data: SortedMap = emptySortedMap(), appliedIndex = 0, sessions = new SessionTable()) {
    this.data = data;
    this.appliedIndex = appliedIndex;
    this.sessions = sessions;
    // A machine starts from the snapshot at appliedIndex (or from nothing, at 0).
    this.durableIndex = appliedIndex;
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
        this.put(command.key, command.value);
        return { op: 'set', key: command.key };
      case 'delete': {
        // Deleting a missing key is a committed no-op: the apply loop must never wedge on it.
        const existed = this.data.delete(command.key);
        if (existed) this.changed.set(ownedString(command.key), '');
        return { op: 'delete', key: command.key, existed };
      }
      case 'cas': {
        const current = this.data.get(command.key) ?? null;
        if (current !== command.expected) return { op: 'cas', key: command.key, swapped: false, value: current };
        this.put(command.key, command.value);
        return { op: 'cas', key: command.key, swapped: true, value: command.value };
      }
    }
  }

  private put(key: string, value: string): void {
    const owned = ownedString(key);
    this.data.set(owned, ownedString(value));
    this.changed.set(owned, '');
  }

  /** A frozen view of the state as applied now, read in chunks; later applies do not change it. */
  snapshotReader(chunkBytes = snapshotChunkBytesDefault): KvSnapshotReader {
    const { view, sessions } = this.frozen(chunkBytes);
    return new KvSnapshotReader(view, this.appliedIndex, chunkBytes, sessions);
  }

  /** An O(1) copy-on-write view of the map and the session table's chunks, as applied now. */
  private frozen(chunkBytes: number): { view: SortedMap; sessions: SessionsChunk[] } {
    return { view: this.data.clone(), sessions: sessionChunks(this.sessions, Math.max(chunkBytes, sessionChunkBytesMin)) };
  }

  /**
   * Starts a snapshot at the applied index: the whole state, or a delta run of the keys changed
   * since the last durable snapshot, both read from one frozen view. The host writes one of them
   * and reports it with snapshotDurable(); until then the changes stay noted for the next delta.
   */
  snapshotReaders(chunkBytes = snapshotChunkBytesDefault): SnapshotReaders {
    const { view, sessions } = this.frozen(chunkBytes);
    this.sealed.push({ index: this.appliedIndex, keys: this.changed });
    this.changed = emptySortedMap();
    const keys = this.sealed.map((s) => s.keys.keys());
    const delta = this.durableIndex < this.appliedIndex ?
      new KvDeltaReader(view, this.appliedIndex, this.durableIndex, mergeSortedKeys(keys), chunkBytes, sessions) : null;
    return { full: new KvSnapshotReader(view, this.appliedIndex, chunkBytes, sessions), delta };
  }

  /** The storage holds a snapshot at `index`: the changes up to it need no delta any more. */
  snapshotDurable(index: number): void {
    if (index <= this.durableIndex) return;
    this.durableIndex = index;
    this.sealed = this.sealed.filter((s) => s.index > index);
  }

  /** Keys noted as changed and not yet in a durable snapshot (tests). */
  get pendingChanges(): number {
    return this.changed.size + this.sealed.reduce((n, s) => n + s.keys.size, 0);
  }

  /** The whole state as snapshot chunks, at once (the simulator and tests; hosts use a reader). */
  snapshotChunks(chunkBytes = snapshotChunkBytesDefault): string[] {
    return readAllChunks(this.snapshotReader(chunkBytes));
  }

  static fromChunks(chunks: readonly string[], index: number): KvStateMachine {
    const restorer = new KvRestorer();
    for (const chunk of chunks) restorer.add(chunk);
    return restorer.finish(index);
  }

  /** Simulator checkpoints: an O(1) copy that shares the tree until either side writes. */
  cloneForCheckpoint(): KvStateMachine {
    const copy = new KvStateMachine(this.data.clone(), this.appliedIndex, this.sessions.clone());
    copy.durableIndex = this.durableIndex;
    copy.changed = this.changed.clone();
    copy.sealed = this.sealed.map((s) => ({ index: s.index, keys: s.keys.clone() }));
    return copy;
  }
}

/**
 * The session table's chunk `chunk` is, parsed, or null when it is a kv chunk (kv-chunk.ts): a
 * sessions chunk is a JSON object with a `sessions` field; a kv chunk is kv1 text or {"kv": ...}.
 */
function sessionsChunkOf(chunk: string): Record<string, unknown> | null {
  if (isTextChunk(chunk) || isDeltaChunk(chunk)) return null;
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
  if (isDeltaChunk(data)) return typeof decodeDeltaChunk(data, [], [], null) !== 'string';
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
 * A run's chunks: pairs in key order, about `chunkBytes` of them per chunk, then the session
 * table's chunks. A run with no pairs still has one (empty) kv chunk first, so every snapshot,
 * and every delta run in one, has at least one. Every chunk stands alone, so a reader can parse
 * and apply one at a time.
 */
abstract class RunReader<V extends string | null> {
  private started = false;
  private done = false;
  private sessionChunk = 0;

  constructor(
    readonly index: number, private readonly chunkBytes: number, private readonly sessions: readonly SessionsChunk[],
    /** The separators a pair adds to a chunk's text, besides its key and value. */
    private readonly pairOverhead: number,
  ) {
    if (!(chunkBytes >= 1)) fail(`chunkBytes must be positive, got ${chunkBytes}`);
  }

  protected abstract nextPair(): [string, V] | null;
  protected abstract encode(keys: string[], values: V[]): string;

  /** The next chunk, or null when the whole run was read. */
  next(): string | null {
    if (this.done) return this.sessionChunk < this.sessions.length ? JSON.stringify(this.sessions[this.sessionChunk++]) : null;
    const keys: string[] = [];
    const values: V[] = [];
    let bytes = 0;
    while (bytes < this.chunkBytes) {
      const pair = this.nextPair();
      if (pair === null) {
        this.done = true;
        break;
      }
      keys.push(pair[0]);
      values.push(pair[1]);
      bytes += pair[0].length + (pair[1]?.length ?? 0) + this.pairOverhead;
    }
    if (keys.length === 0 && this.started) return this.next();
    this.started = true;
    return this.encode(keys, values);
  }
}

/** The whole state: a frozen view of the map, then the session table (copied when the view was taken). */
export class KvSnapshotReader extends RunReader<string> {
  private readonly iterator: IterableIterator<[string, string]>;

  constructor(view: SortedMap, index: number, chunkBytes: number, sessions: readonly SessionsChunk[] = []) {
    super(index, chunkBytes, sessions, 2);
    this.iterator = view.entries();
  }

  protected nextPair(): [string, string] | null {
    const step = this.iterator.next();
    return step.done ? null : step.value;
  }

  protected encode(keys: string[], values: string[]): string {
    return encodeChunk(keys, values);
  }
}

/**
 * A delta run: the keys changed since the snapshot at `from`, in key order, each with its value in
 * a frozen view (or null: deleted), then the session table.
 */
export class KvDeltaReader extends RunReader<string | null> {
  constructor(
    private readonly view: SortedMap, index: number, readonly from: number, private readonly keys: Iterator<string>,
    chunkBytes: number, sessions: readonly SessionsChunk[] = [],
  ) {
    super(index, chunkBytes, sessions, 3);
    if (!(from < index)) fail(`a delta run from ${from} to ${index}`);
  }

  protected nextPair(): [string, string | null] | null {
    const step = this.keys.next();
    return step.done ? null : [step.value, this.view.get(step.value) ?? null];
  }

  protected encode(keys: string[], values: (string | null)[]): string {
    return encodeDeltaChunk(this.from, keys, values);
  }
}

/**
 * The bytes of a snapshot's chunks in its base run and in its delta runs (each run's sessions
 * counted with it): what a storage weighs to decide between a delta run and the whole state.
 */
export function snapshotRunBytes(chunks: readonly string[]): { base: number; deltas: number } {
  let base = 0;
  let deltas = 0;
  let inDeltas = false;
  for (const chunk of chunks) {
    inDeltas ||= isDeltaChunk(chunk);
    if (inDeltas) deltas += chunk.length;
    else base += chunk.length;
  }
  return { base, deltas };
}

/** Every chunk a reader gives, at once (the simulator and tests; hosts write them one by one). */
export function readAllChunks(reader: { next(): string | null }): string[] {
  const chunks: string[] = [];
  for (let chunk = reader.next(); chunk !== null; chunk = reader.next()) chunks.push(chunk);
  return chunks;
}

/** RAFT_SNAPSHOT_DELTA_RATIO's default (docs/storage.md, "Delta runs", says why). */
export const snapshotDeltaRatioDefault = 2;

/**
 * Whether a storage holding a snapshot of these sizes adds a delta run to it rather than write the
 * whole state again: while its runs add up to less than `ratio` times the whole state. A byte of
 * log then costs about one byte of run plus 1/ratio of the next whole state. Never on top of an
 * empty state (ratio 0: never at all).
 */
export function deltaRunFits(sizes: { base: number; deltas: number }, ratio: number): boolean {
  return sizes.deltas < ratio * sizes.base;
}

/** The keys of several ascending iterators, ascending and each once. */
function* mergeSortedKeys(iterators: readonly Iterator<string>[]): Generator<string> {
  if (iterators.length === 1) {
    for (let step = iterators[0]!.next(); !step.done; step = iterators[0]!.next()) yield step.value;
    return;
  }
  const heads = iterators.map((it) => it.next());
  for (;;) {
    let least: string | null = null;
    for (const head of heads) if (!head.done && (least === null || head.value < least)) least = head.value;
    if (least === null) return;
    yield least;
    for (let i = 0; i < heads.length; i++) if (!heads[i]!.done && heads[i]!.value === least) heads[i] = iterators[i]!.next();
  }
}

/**
 * Rebuilds a state machine from snapshot chunks, given in order: a base run (kv chunks, then
 * session chunks), then any delta runs (each its changes, then the session table as of its index,
 * which replaces the one before). Each kv chunk is appended to the map as it comes (appendSorted),
 * so no single step builds a tree of the whole state: at a million pairs that one step took about
 * 50 ms, on the event loop of a follower that must keep answering heartbeats. A delta chunk's
 * changes are applied one by one, or appended the same way when they all add keys past the last.
 * Anything malformed or out of order is an error: a snapshot is never half understood.
 */
export class KvRestorer {
  private map: SortedMap = emptySortedMap();
  private lastKey: string | null = null;
  private sessions = new SessionRestorer();
  private inSessions = false;
  /** The `from` of the delta run being read, or null while in the base run. */
  private runFrom: number | null = null;
  chunks = 0;

  add(chunk: string): void {
    if (isDeltaChunk(chunk)) this.addDelta(chunk);
    else {
      const sessions = sessionsChunkOf(chunk);
      if (sessions !== null) {
        if (this.chunks === 0) fail('snapshot chunk 0 is a sessions chunk; the kv pairs come first');
        this.inSessions = true;
        this.sessions.add(sessions as unknown as SessionsChunk);
      } else {
        if (this.inSessions || this.runFrom !== null) fail(`snapshot chunk ${this.chunks}: base pairs after the sessions or a delta run`);
        const keys: string[] = [];
        const values: string[] = [];
        const error = decodeChunk(chunk, keys, values, this.lastKey);
        if (error !== null) fail(`snapshot chunk ${this.chunks}: ${error}`);
        if (keys.length > 0) this.lastKey = keys[keys.length - 1]!;
        this.map = appendSorted(this.map, keys, values);
      }
    }
    this.chunks++;
  }

  private addDelta(chunk: string): void {
    if (this.chunks === 0) fail('snapshot chunk 0 is a delta chunk; the base run comes first');
    const keys: string[] = [];
    const values: (string | null)[] = [];
    const decoded = decodeDeltaChunk(chunk, keys, values, null);
    if (typeof decoded === 'string') fail(`snapshot chunk ${this.chunks}: ${decoded}`);
    // A chunk after the sessions, or of another `from`, starts a run: its keys start over.
    if (this.runFrom === null || this.inSessions || decoded.from !== this.runFrom) {
      if (this.runFrom !== null && !(decoded.from > this.runFrom)) fail(`snapshot chunk ${this.chunks}: a delta run from ${decoded.from} after one from ${this.runFrom}`);
      this.runFrom = decoded.from;
      this.lastKey = null;
      this.inSessions = false;
      this.sessions = new SessionRestorer();
    } else if (keys.length > 0 && this.lastKey !== null && !(keys[0]! > this.lastKey)) {
      fail(`snapshot chunk ${this.chunks}: keys out of order at ${JSON.stringify(keys[0])}`);
    }
    if (keys.length > 0) this.lastKey = keys[keys.length - 1]!;
    this.applyChanges(keys, values);
  }

  private applyChanges(keys: string[], values: (string | null)[]): void {
    const last = this.map.maxKey();
    if (keys.length > 0 && (last === undefined || keys[0]! > last) && values.every((v) => v !== null)) {
      this.map = appendSorted(this.map, keys, values as string[]);
      return;
    }
    for (let i = 0; i < keys.length; i++) {
      const value = values[i]!;
      if (value === null) this.map.delete(keys[i]!);
      else this.map.set(keys[i]!, value);
    }
  }

  finish(index: number): KvStateMachine {
    return new KvStateMachine(this.map, index, this.sessions.finish());
  }
}
