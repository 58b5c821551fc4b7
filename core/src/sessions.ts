/**
 * Client sessions, part of the replicated state machine (Raft thesis 6.3; LogCabin's
 * ExactlyOnceRPCInfo). A client registers with a committed entry (its id is that entry's index),
 * then numbers its writes; the table remembers each session's answers, so a write that reaches the
 * log twice (a retry after a lost answer, to any node, in any term) is applied once and both copies
 * get the first answer. The client's `ack` lets the table forget answers it no longer waits for.
 *
 * Everything here is a function of the log: time is the `at` the proposing leader stamped on
 * session commands (never a node's own clock), kept as the largest seen, so every replica expires
 * a session at the same entry. The table travels in snapshots (sessionChunks / SessionRestorer).
 */
import { assert, fail } from './assert';
import type { ApplyResult } from './kv';
import type { SessionTag } from './types';

/**
 * Limits of the table. They decide answers, so every replica must use the same ones: they are
 * constants of the state machine, not settings of a node.
 */
export const sessionLimits = {
  /** Sessions held; registering one more evicts the one idle longest. */
  sessionsMax: 10_000,
  /** Answers one session may hold unacknowledged; a new request beyond them is refused. */
  answersPerSessionMax: 128,
  /** Expired sessions are swept from memory each time the clock passes a multiple of this. */
  sweepIntervalMs: 1_000,
} as const;

/** Why a session command was not applied (answered as a 4xx, never retried blindly). */
export type SessionRejection = 'session_expired' | 'stale_sequence' | 'too_many_outstanding';

/** What the state machine remembers of a write of a session: its answer. */
export type SessionAnswer = Extract<ApplyResult, { op: 'set' | 'delete' | 'cas' }>;

export interface Session {
  id: number;
  timeoutMs: number;
  /** The clock when a command of this session was last applied (or it registered). */
  lastActiveAt: number;
  /** The highest `ack` seen: every request numbered below it is finished. */
  ackFloor: number;
  answers: Map<number, SessionAnswer>;
}

/** What to do with a session command: apply it, answer it from the table, or refuse it. */
export type SessionCheck =
  | { kind: 'apply' }
  | { kind: 'duplicate'; answer: SessionAnswer }
  | { kind: 'rejected'; error: SessionRejection };

export class SessionTable {
  /** The log's time: the largest `at` applied so far (ms since the epoch; 0 before any). */
  clock = 0;
  /** By id, which is also the order they registered in. */
  private readonly sessions = new Map<number, Session>();

  get size(): number {
    return this.sessions.size;
  }

  get(id: number): Readonly<Session> | undefined {
    return this.sessions.get(id);
  }

  /** Every session in id order (snapshots, tests). */
  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Moves the log's time forward to `at` (never back: leaders' clocks differ) and sweeps when due. */
  advance(at: number): void {
    if (at <= this.clock) return;
    const before = Math.floor(this.clock / sessionLimits.sweepIntervalMs);
    this.clock = at;
    if (Math.floor(at / sessionLimits.sweepIntervalMs) > before) this.sweep();
  }

  /** Opens session `id` (the index of its entry). */
  register(id: number, timeoutMs: number): void {
    assert(!this.sessions.has(id), `session ${id} registered twice`);
    if (this.sessions.size >= sessionLimits.sessionsMax) this.sweep();
    if (this.sessions.size >= sessionLimits.sessionsMax) this.evictIdlest();
    this.sessions.set(id, { id, timeoutMs, lastActiveAt: this.clock, ackFloor: 1, answers: new Map() });
  }

  /**
   * Before a command of session `tag` is applied (after advance()): touches the session, forgets
   * the answers the client acknowledged, and says whether the command is new, a repeat, or refused.
   */
  check(tag: SessionTag): SessionCheck {
    const session = this.sessions.get(tag.client);
    if (session === undefined || this.isExpired(session)) {
      this.sessions.delete(tag.client);
      return { kind: 'rejected', error: 'session_expired' };
    }
    session.lastActiveAt = this.clock;
    if (tag.ack > session.ackFloor) {
      session.ackFloor = tag.ack;
      for (const seq of session.answers.keys()) if (seq < tag.ack) session.answers.delete(seq);
    }
    if (tag.seq < session.ackFloor) return { kind: 'rejected', error: 'stale_sequence' };
    const answer = session.answers.get(tag.seq);
    if (answer !== undefined) return { kind: 'duplicate', answer };
    if (session.answers.size >= sessionLimits.answersPerSessionMax) return { kind: 'rejected', error: 'too_many_outstanding' };
    return { kind: 'apply' };
  }

  /** Remembers the answer of a command check() said to apply. */
  remember(tag: SessionTag, answer: SessionAnswer): void {
    const session = this.sessions.get(tag.client);
    assert(session !== undefined && !session.answers.has(tag.seq), `no room for the answer of ${tag.client}:${tag.seq}`);
    session.answers.set(tag.seq, answer);
  }

  private isExpired(session: Session): boolean {
    return this.clock - session.lastActiveAt > session.timeoutMs;
  }

  private sweep(): void {
    for (const session of this.sessions.values()) if (this.isExpired(session)) this.sessions.delete(session.id);
  }

  private evictIdlest(): void {
    let idlest: Session | null = null;
    for (const session of this.sessions.values()) if (idlest === null || session.lastActiveAt < idlest.lastActiveAt) idlest = session;
    if (idlest !== null) this.sessions.delete(idlest.id);
  }

  /** A deep copy (snapshot views and simulator checkpoints: later applies must not change it). */
  clone(): SessionTable {
    const copy = new SessionTable();
    copy.clock = this.clock;
    for (const s of this.sessions.values()) copy.sessions.set(s.id, { ...s, answers: new Map(s.answers) });
    return copy;
  }

  /** Adds a session read from a snapshot (ids ascending, checked by the restorer). */
  restore(session: Session): void {
    this.sessions.set(session.id, session);
  }
}

// ---- snapshot chunks ----------------------------------------------------------------------------

/** A snapshot chunk of the session table: some sessions, in id order, and the log's time. */
export interface SessionsChunk {
  clock: number;
  sessions: SessionRecord[];
}

/** A session as JSON: [seq, answer] pairs in ascending seq. */
export interface SessionRecord {
  id: number;
  timeoutMs: number;
  lastActiveAt: number;
  ackFloor: number;
  answers: [number, SessionAnswer][];
}

/** The table as chunks of about `chunkBytes` each; none when it is empty and its clock never moved. */
export function sessionChunks(table: SessionTable, chunkBytes: number): SessionsChunk[] {
  const chunks: SessionsChunk[] = [];
  let current: SessionRecord[] = [];
  let bytes = 0;
  for (const s of table.all()) {
    const record: SessionRecord = { id: s.id, timeoutMs: s.timeoutMs, lastActiveAt: s.lastActiveAt, ackFloor: s.ackFloor, answers: [...s.answers].sort((a, b) => a[0] - b[0]) };
    current.push(record);
    bytes += 64 + record.answers.reduce((sum, [, a]) => sum + 48 + a.key.length + (a.op === 'cas' ? (a.value?.length ?? 0) : 0), 0);
    if (bytes >= chunkBytes) {
      chunks.push({ clock: table.clock, sessions: current });
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0 || (chunks.length === 0 && table.clock > 0)) chunks.push({ clock: table.clock, sessions: current });
  return chunks;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function isSessionAnswer(v: unknown): v is SessionAnswer {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  const keys = Object.keys(a).length;
  if (typeof a.key !== 'string') return false;
  if (a.op === 'set') return keys === 2;
  if (a.op === 'delete') return keys === 3 && typeof a.existed === 'boolean';
  if (a.op === 'cas') return keys === 4 && typeof a.swapped === 'boolean' && (a.value === null || typeof a.value === 'string');
  return false;
}

/** Why `record` is not a well-formed session, or null when it is. */
function sessionRecordProblem(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'a session is not an object';
  const r = v as Record<string, unknown>;
  if (Object.keys(r).length !== 5) return 'a session has other fields than id, timeoutMs, lastActiveAt, ackFloor, answers';
  if (!isCount(r.id) || r.id < 1 || !isCount(r.timeoutMs) || r.timeoutMs < 1 || !isCount(r.lastActiveAt) || !isCount(r.ackFloor) || r.ackFloor < 1) {
    return 'a session has a bad id, timeoutMs, lastActiveAt or ackFloor';
  }
  if (!Array.isArray(r.answers) || r.answers.length > sessionLimits.answersPerSessionMax) return `session ${r.id}: answers is not a list of at most ${sessionLimits.answersPerSessionMax}`;
  let previous = 0;
  for (const pair of r.answers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || !isCount(pair[0]) || pair[0] < r.ackFloor || pair[0] <= previous) return `session ${r.id}: answers out of order or below ackFloor`;
    if (!isSessionAnswer(pair[1])) return `session ${r.id}: a malformed answer for ${pair[0]}`;
    previous = pair[0];
  }
  return null;
}

/** Why `parsed` is not a well-formed sessions chunk, or null when it is. */
export function sessionsChunkProblem(parsed: Record<string, unknown>): string | null {
  if (Object.keys(parsed).length !== 2 || !isCount(parsed.clock) || !Array.isArray(parsed.sessions)) return 'a sessions chunk is {"clock": n, "sessions": [...]}';
  let previous = 0;
  for (const record of parsed.sessions as unknown[]) {
    const problem = sessionRecordProblem(record);
    if (problem) return problem;
    const id = (record as SessionRecord).id;
    if (id <= previous) return `session ids out of order at ${id}`;
    previous = id;
  }
  return null;
}

/** Rebuilds a session table from its chunks, given in order after the KV pairs. */
export class SessionRestorer {
  private readonly table = new SessionTable();
  private chunks = 0;
  private lastId = 0;

  add(chunk: SessionsChunk): void {
    const problem = sessionsChunkProblem(chunk as unknown as Record<string, unknown>);
    if (problem) fail(`snapshot sessions chunk: ${problem}`);
    if (this.chunks > 0 && chunk.clock !== this.table.clock) fail(`snapshot sessions chunks disagree on the clock (${this.table.clock}, ${chunk.clock})`);
    this.table.clock = chunk.clock;
    for (const r of chunk.sessions) {
      if (r.id <= this.lastId) fail(`snapshot sessions out of order at ${r.id}`);
      this.lastId = r.id;
      this.table.restore({ id: r.id, timeoutMs: r.timeoutMs, lastActiveAt: r.lastActiveAt, ackFloor: r.ackFloor, answers: new Map(r.answers) });
    }
    this.chunks++;
  }

  finish(): SessionTable {
    return this.table;
  }
}
