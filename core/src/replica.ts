/**
 * One Raft server without its I/O: the RaftNode, the KV state machine, the client requests waiting
 * on the log, the snapshot policy and one description of its state. The simulator and the real
 * node host each drive replicas; they keep only what their world decides: the clock (ticks and
 * timeouts), the disk (how long a write takes, whether it is torn) and the network.
 *
 * A host feeds inputs (tick, step, write, read, expire) and then calls pump(io), which handles
 * every Ready in the fixed order: send what may go early -> persist -> send the rest -> apply ->
 * answer reads -> advance -> maybe snapshot. When a write to disk is under way the host calls
 * persisted(io) once it is durable, then pump(io) again. All outputs go through ReplicaIo, which
 * the replica never keeps: its own state is plain data that the simulator checkpoints.
 */
import type { ApiResponse } from './api';
import { api } from './api';
import type { ApplyLogView } from './apply-log';
import { ApplyLog } from './apply-log';
import type { Change } from './applied-changes';
import { AppliedChanges, changeOf } from './applied-changes';
import { assert, fail } from './assert';
import type { ReadQuery, Ticket } from './client-requests';
import { ClientRequests, readContext } from './client-requests';
import type { RaftConfigInput } from './config';
import type { Applied, ApplyResult, KvDeltaReader, KvSnapshotReader } from './kv';
import { KvRestorer, KvStateMachine, changedState } from './kv';
import type { Message } from './messages';
import type { DurableState, NodeState } from './node-state';
import type { Ready } from './raft-node';
import { RaftNode } from './raft-node';
import type { Storage } from './storage';
import type { Command, ConfigChange, Configuration, Entry, NodeId, SnapshotChunk, SnapshotMeta } from './types';
import { isSameSnapshot } from './types';

/** The storage a replica reads its durable state from (for observers), besides what Raft reads. */
export interface ReplicaStorage extends Storage {
  durable(): Readonly<DurableState>;
}

/**
 * A snapshot to write: where it is in the log, and the state machine's data as a frozen view read
 * in chunks, whole (`reader`) or as a delta run on top of the snapshot at `delta.from` (a storage
 * that keeps runs may write that instead, when it holds the snapshot at exactly that index).
 */
export interface SnapshotSource {
  readonly index: number;
  readonly term: number;
  readonly config: Configuration;
  readonly reader: KvSnapshotReader;
  /** Absent: only the whole state is offered. */
  readonly delta?: KvDeltaReader;
  /** Entries before `index` to keep in the log when compacting, for followers slightly behind. */
  readonly retainEntries: number;
}

/**
 * When to take a snapshot. Its cost is proportional to the state, so it is taken when the log
 * since the last one has grown to a fraction of the last snapshot's size: each write then pays a
 * constant share, however large the state grows, and a restart replays a bounded log.
 */
export interface SnapshotPolicy {
  /** Also snapshot after this many applied entries (null: by size only). */
  entries: number | null;
  /** Snapshot once the entries applied since the last one hold this many bytes... */
  logBytesMin: number;
  /** ...and at least this fraction of the last snapshot's size. */
  logToSnapshotRatio: number;
  /** Entries before a snapshot kept in the log, so a follower slightly behind catches up without it. */
  retainEntries: number;
  /** About how large each chunk of a snapshot is. */
  chunkBytes: number;
}

/** The side effects a replica asks its host for; given to each call, never stored. */
export interface ReplicaIo {
  /** A Raft message to a peer: a request, or the answer to a peer's request. */
  send(message: Message): void;
  /** The messages sent so far may leave now (for transports that gather them). */
  flush?(): void;
  /**
   * Makes what `rd` carries durable, in order: snapshot chunks received, the snapshot to install
   * (replacing the log), the entries, the hard state (fsync when rd.mustSync). The hard state goes
   * after the entries: a crash in between must not keep a commit index over entries not written.
   * Returns true when that is already done; otherwise the host calls persisted() once it is.
   */
  persist(rd: Ready): boolean;
  /**
   * Writes a snapshot of the state machine (reading `source.reader` to the end) and compacts the
   * log up to it. Returns true when that is already done; otherwise the host calls
   * snapshotWritten() once it is durable. The replica goes on applying meanwhile.
   */
  writeSnapshot(source: SnapshotSource): boolean;
  /** The answer to a client request, exactly once per ticket. */
  answer(ticket: Ticket, response: ApiResponse): void;
  /** The KV URL of a node, for a not_leader hint (null when unknown). */
  leaderUrl(id: NodeId): string | null;
  /** Sees each Ready before it is handled (events, invariant checks, counters). */
  observe?(rd: Ready): void;
  /** Asked after each Ready: true makes pump() stop and return (a host that must not hold its event loop long). */
  yieldNow?(): boolean;
  /** An entry was applied to the state machine, with what it did (`[apply]` lines, watchers). */
  applied?(entry: Entry, applied: Applied): void;
  /** A snapshot was taken and the log compacted up to it. */
  snapshotTaken?(snapshot: SnapshotMeta): void;
}

export interface ReplicaOptions {
  raft: RaftConfigInput;
  snapshot: SnapshotPolicy;
  /**
   * UNSAFE: answer "linearizable" reads from local state without ReadIndex (as the reference
   * implementation did): stale on a deposed leader or a lagging follower. For showing that the
   * checks catch it.
   */
  localReads: boolean;
  /** Names this life of the replica in ReadIndex contexts (unique across restarts). */
  readContextPrefix: string;
}

/** A leader defers a snapshot while a follower receives the previous one, until the log since grew this many times past due. */
const snapshotDeferLimit = 4;

type WithoutTime<C> = C extends unknown ? Omit<C, 'at'> : never;

/** The writes a client may send (the noop is the leader's own, config changes go through changeMembership); the replica stamps the time. */
export type WriteCommand = WithoutTime<Exclude<Command, { op: 'noop' | 'config' }>>;

/** What a watcher reads: the changes from its index on, or, when they are gone, where they start. */
export type ChangesRead =
  | { ok: true; changes: Change[]; next: number }
  | { ok: false; firstIndex: number; snapshotIndex: number };

export class Replica {
  readonly raft: RaftNode;
  private state: KvStateMachine;
  readonly applyLog = new ApplyLog();
  /** Which applied entries changed the map, for watchers. */
  private readonly changes: AppliedChanges;
  /** A snapshot being received from a leader: rebuilt chunk by chunk, swapped in when complete. */
  private incoming: { meta: SnapshotMeta; restorer: KvRestorer } | null = null;
  /** A snapshot of ours is being written. */
  private snapshotting = false;
  /** Approximate bytes of the entries applied since the last snapshot. */
  private bytesSinceSnapshot = 0;
  private readonly requests = new ClientRequests();
  /** The Ready whose write to disk is under way (only one Ready is out at a time). */
  private persisting: Ready | null = null;
  /** When an AppendEntries or InstallSnapshot of a current leader last arrived (-1: never in this life). */
  private lastHeartbeatAt = -1;

  constructor(private readonly storage: ReplicaStorage, private readonly options: Readonly<ReplicaOptions>) {
    this.raft = new RaftNode(options.raft, storage);
    const snapshot = storage.snapshot();
    const chunks = Array.from({ length: snapshot.chunkCount }, (_, i) => storage.snapshotChunk(i));
    this.state = KvStateMachine.fromChunks(chunks, snapshot.index);
    this.changes = new AppliedChanges(snapshot.index + 1);
    const incoming = storage.initialState().incoming;
    if (incoming) {
      // A transfer that a restart interrupted: rebuild what was received, then it goes on from there.
      this.incoming = { meta: incoming.meta, restorer: new KvRestorer() };
      for (let i = 0; i < incoming.received; i++) this.incoming.restorer.add(storage.incomingChunk(i));
    }
  }

  /** The applied state machine. */
  get kv(): KvStateMachine {
    return this.state;
  }

  get id(): NodeId {
    return this.raft.id;
  }

  /** The Ready being written to disk, if any. */
  get persistingReady(): Ready | null {
    return this.persisting;
  }

  /** Client requests waiting for the log or a read index. */
  get pendingRequests(): number {
    return this.requests.size;
  }

  // ---- inputs --------------------------------------------------------------------------------

  tick(): void {
    this.raft.tick();
  }

  /** A peer's message; `nowMs` is the host's clock, kept only to report the last heartbeat. */
  step(message: Message, nowMs: number): void {
    if ((message.type === 'AppendEntries' || message.type === 'InstallSnapshot') && message.term >= this.raft.term) {
      this.lastHeartbeatAt = nowMs;
    }
    this.raft.step(message);
  }

  campaign(): void {
    this.raft.campaign();
  }

  /**
   * Proposes a write; it is answered once applied here (with what applying it did), replaced
   * (503), or by expire (504). `nowMs` is the host's clock (ms since the epoch): a session's
   * commands carry it, so that sessions expire by the log's time.
   */
  write(io: ReplicaIo, ticket: Ticket, command: WriteCommand, nowMs: number): void {
    const result = this.raft.propose(stamped(command, nowMs));
    if (result.ok) return this.requests.addWrite(ticket, result.index, result.term);
    const hint = result.leaderId === null ? null : io.leaderUrl(result.leaderId);
    if (result.reason === 'not_leader') io.answer(ticket, api.notLeader(result.leaderId, hint));
    else if (result.reason === 'transferring') io.answer(ticket, api.transferring(result.leaderId, hint));
    else io.answer(ticket, api.unavailable('too many uncommitted entries; try again later'));
  }

  /** Proposes a membership change; answered once it is committed and applied here (200), or refused at once (409). */
  changeMembership(io: ReplicaIo, ticket: Ticket, change: ConfigChange): void {
    const result = this.raft.proposeConfChange(change);
    if (result.ok) return this.requests.addWrite(ticket, result.index, result.term);
    if (result.reason === 'not_leader') {
      return io.answer(ticket, api.notLeader(result.leaderId, result.leaderId === null ? null : io.leaderUrl(result.leaderId)));
    }
    io.answer(ticket, api.membershipRefused(result.reason, confChangeRefusalMessage(result.reason, change)));
  }

  /** Hands leadership to `target`; answered once this node sees it lead (200), or when the transfer fails (503). */
  transferLeadership(io: ReplicaIo, ticket: Ticket, target: NodeId): void {
    const result = this.raft.transferLeadership(target);
    if (result.ok) return this.requests.addTransfer(ticket, target);
    if (result.reason === 'not_leader') {
      return io.answer(ticket, api.notLeader(result.leaderId, result.leaderId === null ? null : io.leaderUrl(result.leaderId)));
    }
    if (result.reason === 'self') return io.answer(ticket, api.leaderTransferred(target));
    io.answer(ticket, api.membershipRefused('not_voter', `${target} is not a voter`));
  }

  /** A read: local when `stale`, otherwise linearizable (ReadIndex, then wait until applied). */
  read(io: ReplicaIo, ticket: Ticket, key: string, stale: boolean): void {
    this.query(io, ticket, { kind: 'get', key }, stale);
  }

  /** The keys starting with `prefix` (at most `limit`), read as read() reads one key. */
  readRange(io: ReplicaIo, ticket: Ticket, prefix: string, limit: number, stale: boolean): void {
    assert(Number.isSafeInteger(limit) && limit >= 1, `range limit ${limit}`);
    this.query(io, ticket, { kind: 'range', prefix, limit }, stale);
  }

  private query(io: ReplicaIo, ticket: Ticket, query: ReadQuery, stale: boolean): void {
    if (stale) return io.answer(ticket, this.readLocal(query, true));
    if (this.options.localReads) return io.answer(ticket, this.readLocal(query, false));
    const context = readContext(this.options.readContextPrefix, ticket);
    const result = this.raft.readIndex(context);
    if (!result.ok) return io.answer(ticket, api.unavailable(`no leader to confirm the read (${result.reason})`));
    this.requests.addRead(ticket, context, query);
  }

  /** The host's timeout for a request fired: a write may still commit later (504), a read failed (503). */
  expire(io: ReplicaIo, ticket: Ticket): void {
    const kind = this.requests.take(ticket);
    if (kind === 'write') io.answer(ticket, api.timeout());
    else if (kind === 'read') io.answer(ticket, api.unavailable('read not confirmed in time'));
    else if (kind === 'transfer') io.answer(ticket, api.transferFailed('the target did not take over in time'));
  }

  /** The leader could not be reached to confirm a forwarded read: fail it now, not at its timeout. */
  readUnreachable(io: ReplicaIo, context: string, message: string): void {
    const read = this.requests.takeRead(context);
    if (read) io.answer(read.ticket, api.unavailable(message));
  }

  private readLocal(query: ReadQuery, stale: boolean): ApiResponse {
    if (query.kind === 'range') {
      const kvs = this.state.range(query.prefix, query.limit + 1);
      const more = kvs.length > query.limit;
      return api.range(query.prefix, this.state.appliedIndex, more ? kvs.slice(0, query.limit) : kvs, more, stale);
    }
    const value = this.state.get(query.key);
    return value === undefined ? api.notFound() : api.found(query.key, value, stale);
  }

  // ---- the Ready loop ------------------------------------------------------------------------

  /** True when pump() has something to do. */
  hasWork(): boolean {
    return this.persisting === null && this.raft.hasReady();
  }

  /**
   * Handles Readies until there is nothing left, a disk write is under way, or `readiesMax` were
   * handled. Returns whether work remains that a later pump() should do.
   */
  pump(io: ReplicaIo, readiesMax = Number.POSITIVE_INFINITY): boolean {
    for (let n = 0; n < readiesMax; n++) {
      if (!this.hasWork()) return false;
      const rd = this.raft.ready();
      io.observe?.(rd);
      for (const out of rd.messages) if (!out.waitForPersist) io.send(out.message);
      // A leader's appends travel while it writes to disk (Raft thesis 10.2.1).
      io.flush?.();
      if (!io.persist(rd)) {
        this.persisting = rd;
        // Committed entries are durable on a majority already: while this node's own write is
        // under way, they are applied and their clients answered, not after it.
        this.applyCommitted(io, rd);
        return false;
      }
      this.finish(io, rd, false);
      if (io.yieldNow?.()) break;
    }
    return this.hasWork();
  }

  /** The write of the outstanding Ready is durable: finish it (the host then pumps again). */
  persisted(io: ReplicaIo): void {
    const rd = this.persisting;
    assert(rd !== null, 'persisted() without a write under way');
    this.persisting = null;
    this.finish(io, rd, true);
  }

  /**
   * The rest of a Ready once it is durable: send, apply (unless its committed entries were applied
   * while the write was under way), answer reads, advance.
   */
  private finish(io: ReplicaIo, rd: Ready, committedApplied: boolean): void {
    for (const out of rd.messages) if (out.waitForPersist) io.send(out.message);
    io.flush?.();
    for (const chunk of rd.snapshotChunks) this.receiveChunk(chunk);
    if (rd.snapshot) this.installSnapshot(rd.snapshot);
    if (!committedApplied) this.applyCommitted(io, rd);
    for (const read of rd.readStates) this.requests.confirmRead(read.context, read.index);
    for (const dropped of rd.droppedReads) this.readUnreachable(io, dropped.context, `read not confirmed: ${dropped.reason}`);
    this.raft.advance(rd);
    // A read is served once this node has applied up to its read index (ReadIndex step 4).
    const servableTo = this.options.raft.unsafe?.readBeforeApplied === true ? Number.POSITIVE_INFINITY : this.state.appliedIndex;
    for (const read of this.requests.takeServableReads(servableTo)) io.answer(read.ticket, this.readLocal(read.query, false));
    this.settleTransfers(io);
    this.maybeSnapshot(io);
  }

  private applyCommitted(io: ReplicaIo, rd: Ready): void {
    for (const entry of rd.committedEntries) this.apply(io, entry);
  }

  /** A transfer succeeded once this node follows the target; it failed once the leader gave it up or another node leads. */
  private settleTransfers(io: ReplicaIo): void {
    if (this.requests.transfers.length === 0) return; // the usual case, without the closures below
    const raft = this.raft;
    for (const t of this.requests.takeTransfers((t) => raft.leaderId === t.target)) io.answer(t.ticket, api.leaderTransferred(t.target));
    const gaveUp = raft.role === 'leader' ? (t: { target: NodeId }) => raft.leadTransferee !== t.target : () => raft.leaderId !== null;
    for (const t of this.requests.takeTransfers(gaveUp)) io.answer(t.ticket, api.transferFailed(`leadership did not pass to ${t.target}`));
  }

  private apply(io: ReplicaIo, entry: Entry): void {
    const applied = this.state.apply(entry);
    this.changes.note(entry.index, changedState(applied));
    this.bytesSinceSnapshot += entryBytes(entry);
    this.applyLog.note(entry.index);
    io.applied?.(entry, applied);
    for (const w of this.requests.takeWrites(entry.index)) io.answer(w.ticket, writeAnswer(entry, w.term, applied.result));
  }

  private receiveChunk(c: SnapshotChunk): void {
    if (c.chunk === 0) this.incoming = { meta: c.meta, restorer: new KvRestorer() };
    const incoming = this.incoming;
    assert(incoming !== null && isSameSnapshot(incoming.meta, c.meta), `chunk ${c.chunk} of a snapshot not being received`);
    assert(incoming.restorer.chunks === c.chunk, `chunk ${c.chunk} after ${incoming.restorer.chunks}`);
    incoming.restorer.add(c.data);
  }

  private installSnapshot(meta: SnapshotMeta): void {
    const incoming = this.incoming;
    assert(incoming !== null && isSameSnapshot(incoming.meta, meta), `installing the snapshot at ${meta.index}, which was not received`);
    assert(incoming.restorer.chunks === meta.chunkCount, `installing a snapshot with ${incoming.restorer.chunks} of ${meta.chunkCount} chunks`);
    this.state = incoming.restorer.finish(meta.index);
    this.changes.reset(meta.index);
    this.incoming = null;
    this.bytesSinceSnapshot = 0;
  }

  private snapshotDue(): boolean {
    if (this.snapshotting) return false;
    const policy = this.options.snapshot;
    const last = this.storage.snapshot();
    const applied = this.state.appliedIndex;
    if (applied <= last.index) return false;
    // A snapshot received from the leader took the log's place while this state was being applied
    // (its last chunk came in during the write of an earlier Ready): it replaces this state next.
    if (this.raft.termAt(applied) === undefined) return false;
    // How far past due: 1 means exactly due, by entries or by bytes, whichever comes first.
    const byEntries = policy.entries === null ? 0 : (applied - last.index) / policy.entries;
    const byBytes = this.bytesSinceSnapshot / Math.max(policy.logBytesMin, policy.logToSnapshotRatio * last.bytes);
    const overdue = Math.max(byEntries, byBytes);
    if (overdue < 1) return false;
    // A follower is receiving our latest snapshot: a newer one would compact the entries it needs
    // after that one and make its transfer start over. Wait for it, within a bound.
    return !this.raft.isSendingSnapshot() || overdue >= snapshotDeferLimit;
  }

  private maybeSnapshot(io: ReplicaIo): void {
    if (!this.snapshotDue()) return;
    const policy = this.options.snapshot;
    const index = this.state.appliedIndex;
    const term = this.raft.termAt(index);
    assert(term !== undefined, `the applied entry ${index} has no term`);
    this.snapshotting = true;
    this.bytesSinceSnapshot = 0;
    const readers = this.state.snapshotReaders(policy.chunkBytes);
    const source: SnapshotSource = {
      index, term, config: this.raft.configurationAt(index), reader: readers.full, retainEntries: policy.retainEntries,
      ...(readers.delta ? { delta: readers.delta } : {}),
    };
    if (io.writeSnapshot(source)) this.snapshotWritten(io);
  }

  /** The host made the snapshot it was asked for durable (or gave it up, when `written` is false). */
  snapshotWritten(io: ReplicaIo, written = true): void {
    assert(this.snapshotting, 'snapshotWritten() without a snapshot being written');
    this.snapshotting = false;
    if (!written) return;
    const snapshot = this.storage.snapshot();
    this.state.snapshotDurable(snapshot.index);
    this.changes.trimBefore(this.raft.firstIndex);
    this.raft.reportSnapshotTaken(snapshot.index, snapshot.term, this.raft.firstIndex - 1);
    io.snapshotTaken?.(snapshot);
  }

  // ---- views ---------------------------------------------------------------------------------

  /**
   * For watchers: the changes applied at `from` and after whose key starts with `prefix`, reading
   * at most `scanMax` entries of the log (`next` is where to go on); or, when this node no longer
   * holds the entries from `from` (compacted, or its state came from a snapshot), where they start.
   */
  changesSince(from: number, prefix: string, scanMax: number): ChangesRead {
    assert(Number.isSafeInteger(from) && from >= 1 && scanMax >= 1, `changesSince(${from}, ${scanMax})`);
    const gone = { ok: false as const, firstIndex: this.changes.from, snapshotIndex: this.storage.snapshot().index };
    if (from < this.changes.from) return gone;
    const hi = Math.min(this.changes.end, from + scanMax);
    if (from >= hi) return { ok: true, changes: [], next: from };
    const entries = this.raft.entries(from, hi);
    if (entries === undefined) return gone;
    assert(entries.length === hi - from, `the log holds ${entries.length} of the applied entries ${from}..${hi - 1}`);
    const changes: Change[] = [];
    for (const entry of entries) {
      if (!this.changes.changed(entry.index)) continue;
      const change = changeOf(entry);
      if (change.key.startsWith(prefix)) changes.push(change);
    }
    return { ok: true, changes, next: hi };
  }

  /** -1 until the first AppendEntries from a current leader in this life; 0 on a leader. */
  lastHeartbeatAgoMs(nowMs: number): number {
    if (this.raft.role === 'leader') return 0;
    return this.lastHeartbeatAt < 0 ? -1 : Math.round(nowMs - this.lastHeartbeatAt);
  }

  applyLogView(): ApplyLogView {
    return this.applyLog.view();
  }

  describe(nowMs: number): NodeState {
    const s = this.raft.status();
    return {
      id: s.id, up: true, role: s.role, term: s.term, votedFor: s.vote, leaderId: s.leaderId,
      commitIndex: s.commitIndex, lastApplied: this.state.appliedIndex, firstIndex: s.firstIndex, lastIndex: s.lastIndex,
      lastTerm: s.lastTerm, snapshotIndex: s.snapshotIndex, snapshotTerm: s.snapshotTerm, logLength: s.lastIndex - s.logBaseIndex,
      voters: s.voters, learners: s.learners, configIndex: s.configIndex, leadTransferee: s.leadTransferee, durable: { ...this.storage.durable() },
      timer: s.role === 'leader' ? null : { elapsed: s.electionElapsed, timeout: s.electionTimeout },
      votes: s.votes, progress: s.progress, persisting: this.persisting !== null, applyLog: this.applyLog.view(),
      lastHeartbeatAgoMs: this.lastHeartbeatAgoMs(nowMs),
    };
  }
}

/** A session's commands carry the proposer's clock (whole ms); other commands need no time. */
function stamped(command: WriteCommand, nowMs: number): Command {
  if (command.op !== 'register' && command.session === undefined) return command as Command;
  assert(Number.isFinite(nowMs) && nowMs >= 0, `a session command needs the host's clock, got ${nowMs}`);
  return { ...command, at: Math.floor(nowMs) } as Command;
}

/**
 * A write's answer once its index is applied: what applying its own entry did (same term; for a
 * repeated session write, the first answer), or leadership_lost when another entry took its place.
 */
function writeAnswer(entry: Entry, proposedTerm: number, result: ApplyResult): ApiResponse {
  if (entry.term !== proposedTerm) return api.leadershipLost();
  switch (result.op) {
    case 'set': return api.stored(result.key);
    case 'delete': return api.deleted(result.key);
    case 'cas': return api.swapped(result.key, result.swapped, result.value);
    case 'register': return api.sessionOpened(result.clientId, result.timeoutMs);
    case 'rejected': return api.sessionRejected(result.error);
    case 'config': {
      const command = entry.command;
      assert(command.op === 'config', `a config answer for a ${command.op} entry at ${entry.index}`);
      return api.membershipChanged(command.change, command.config);
    }
    case 'noop': return fail(`a client write was answered by the noop at ${entry.index}`);
  }
}

function confChangeRefusalMessage(reason: string, change: ConfigChange): string {
  switch (reason) {
    case 'transferring': return 'leadership is being transferred; retry at the new leader';
    case 'leader_not_ready': return 'the leader has not committed an entry of its term yet; retry in a moment';
    case 'change_in_progress': return 'another membership change is not committed yet; one change at a time';
    case 'learner_behind': return `${change.node} is still catching up with the leader's log; promote it once it has`;
    case 'already_member': return `${change.node} is already a member`;
    case 'not_member': return `${change.node} is not a member`;
    case 'not_learner': return `${change.node} is already a voter`;
    case 'last_voter': return `${change.node} is the last voter; a cluster needs one`;
    default: return reason;
  }
}

/** About how many bytes an entry adds to the log (for the snapshot policy). */
function entryBytes(entry: Entry): number {
  const c = entry.command;
  if (c.op === 'noop' || c.op === 'register' || c.op === 'config') return 32;
  return 32 + c.key.length + (c.op === 'delete' ? 0 : c.value.length) + (c.op === 'cas' ? (c.expected?.length ?? 0) : 0) + (c.session ? 48 : 0);
}
