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
import { assert } from './assert';
import type { Ticket } from './client-requests';
import { ClientRequests, readContext } from './client-requests';
import type { RaftConfigInput } from './config';
import { KvStateMachine } from './kv';
import type { Message } from './messages';
import type { DurableState, NodeState } from './node-state';
import type { Ready } from './raft-node';
import { RaftNode } from './raft-node';
import type { Storage } from './storage';
import type { Command, Entry, NodeId, Snapshot } from './types';

/** The storage a replica writes snapshots to, and reads its durable state from (for observers). */
export interface ReplicaStorage extends Storage {
  createSnapshot(index: number, data: string, voters: NodeId[]): Snapshot;
  durable(): Readonly<DurableState>;
}

/** The side effects a replica asks its host for; given to each call, never stored. */
export interface ReplicaIo {
  /** A Raft message to a peer: a request, or the answer to a peer's request. */
  send(message: Message): void;
  /** The messages sent so far may leave now (for transports that gather them). */
  flush?(): void;
  /**
   * Makes what `rd` carries durable (snapshot, hard state, entries; fsync when rd.mustSync).
   * Returns true when that is already done; otherwise the host calls persisted() once it is.
   */
  persist(rd: Ready): boolean;
  /** The answer to a client request, exactly once per ticket. */
  answer(ticket: Ticket, response: ApiResponse): void;
  /** The KV URL of a node, for a not_leader hint (null when unknown). */
  leaderUrl(id: NodeId): string | null;
  /** Sees each Ready before it is handled (events, invariant checks, counters). */
  observe?(rd: Ready): void;
  /** An entry was applied to the state machine (`[apply]` lines). */
  applied?(entry: Entry): void;
  /** A snapshot was taken and the log compacted up to it. */
  snapshotTaken?(snapshot: Snapshot): void;
}

export interface ReplicaOptions {
  raft: RaftConfigInput;
  /** Take a snapshot (and compact the log) once this many entries were applied since the last one. */
  snapshotThreshold: number;
  /**
   * UNSAFE: answer "linearizable" reads from local state without ReadIndex (as the reference
   * implementation did): stale on a deposed leader or a lagging follower. For showing that the
   * checks catch it.
   */
  localReads: boolean;
  /** Names this life of the replica in ReadIndex contexts (unique across restarts). */
  readContextPrefix: string;
}

/** The writes a client may send: the noop is the leader's own. */
export type WriteCommand = Exclude<Command, { op: 'noop' }>;

export class Replica {
  readonly raft: RaftNode;
  readonly kv = new KvStateMachine();
  readonly applyLog = new ApplyLog();
  private readonly requests = new ClientRequests();
  /** The Ready whose write to disk is under way (only one Ready is out at a time). */
  private persisting: Ready | null = null;
  /** When an AppendEntries or InstallSnapshot of a current leader last arrived (-1: never in this life). */
  private lastHeartbeatAt = -1;

  constructor(private readonly storage: ReplicaStorage, private readonly options: Readonly<ReplicaOptions>) {
    this.raft = new RaftNode(options.raft, storage);
    const snapshot = storage.snapshot();
    this.kv.restore(snapshot.data, snapshot.meta.index);
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

  /** Proposes a write; it is answered once applied here (200), replaced (503), or by expire (504). */
  write(io: ReplicaIo, ticket: Ticket, command: WriteCommand): void {
    const result = this.raft.propose(command);
    if (result.ok) return this.requests.addWrite(ticket, result.index, result.term);
    if (result.reason === 'not_leader') {
      io.answer(ticket, api.notLeader(result.leaderId, result.leaderId === null ? null : io.leaderUrl(result.leaderId)));
    } else {
      io.answer(ticket, api.unavailable('too many uncommitted entries; try again later'));
    }
  }

  /** A read: local when `stale`, otherwise linearizable (ReadIndex, then wait until applied). */
  read(io: ReplicaIo, ticket: Ticket, key: string, stale: boolean): void {
    if (stale) return io.answer(ticket, this.readLocal(key, true));
    if (this.options.localReads) return io.answer(ticket, this.readLocal(key, false));
    const context = readContext(this.options.readContextPrefix, ticket);
    const result = this.raft.readIndex(context);
    if (!result.ok) return io.answer(ticket, api.unavailable(`no leader to confirm the read (${result.reason})`));
    this.requests.addRead(ticket, context, key);
  }

  /** The host's timeout for a request fired: a write may still commit later (504), a read failed (503). */
  expire(io: ReplicaIo, ticket: Ticket): void {
    const kind = this.requests.take(ticket);
    if (kind === 'write') io.answer(ticket, api.timeout());
    else if (kind === 'read') io.answer(ticket, api.unavailable('read not confirmed in time'));
  }

  /** The leader could not be reached to confirm a forwarded read: fail it now, not at its timeout. */
  readUnreachable(io: ReplicaIo, context: string, message: string): void {
    const read = this.requests.takeRead(context);
    if (read) io.answer(read.ticket, api.unavailable(message));
  }

  private readLocal(key: string, stale: boolean): ApiResponse {
    const value = this.kv.get(key);
    return value === undefined ? api.notFound() : api.found(key, value, stale);
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
        return false;
      }
      this.finish(io, rd);
    }
    return this.hasWork();
  }

  /** The write of the outstanding Ready is durable: finish it (the host then pumps again). */
  persisted(io: ReplicaIo): void {
    const rd = this.persisting;
    assert(rd !== null, 'persisted() without a write under way');
    this.persisting = null;
    this.finish(io, rd);
  }

  /** The rest of a Ready once it is durable: send, apply, answer reads, advance. */
  private finish(io: ReplicaIo, rd: Ready): void {
    for (const out of rd.messages) if (out.waitForPersist) io.send(out.message);
    io.flush?.();
    if (rd.snapshot) this.kv.restore(rd.snapshot.data, rd.snapshot.meta.index);
    for (const entry of rd.committedEntries) this.apply(io, entry);
    for (const read of rd.readStates) this.requests.confirmRead(read.context, read.index);
    for (const dropped of rd.droppedReads) this.readUnreachable(io, dropped.context, `read not confirmed: ${dropped.reason}`);
    this.raft.advance(rd);
    for (const read of this.requests.takeServableReads(this.kv.appliedIndex)) io.answer(read.ticket, this.readLocal(read.key, false));
    this.maybeSnapshot(io);
  }

  private apply(io: ReplicaIo, entry: Entry): void {
    this.kv.apply(entry);
    this.applyLog.note(entry.index);
    io.applied?.(entry);
    for (const w of this.requests.takeWrites(entry.index)) io.answer(w.ticket, writeAnswer(entry, w.term));
  }

  private maybeSnapshot(io: ReplicaIo): void {
    const applied = this.kv.appliedIndex;
    if (applied - this.storage.snapshot().meta.index < this.options.snapshotThreshold) return;
    const snapshot = this.storage.createSnapshot(applied, this.kv.snapshot(), [...this.raft.voters]);
    this.raft.reportSnapshotTaken(snapshot.meta.index, snapshot.meta.term, snapshot.meta.index);
    io.snapshotTaken?.(snapshot);
  }

  // ---- views ---------------------------------------------------------------------------------

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
      commitIndex: s.commitIndex, lastApplied: this.kv.appliedIndex, firstIndex: s.firstIndex, lastIndex: s.lastIndex,
      lastTerm: s.lastTerm, snapshotIndex: s.snapshotIndex, snapshotTerm: s.snapshotTerm, logLength: s.lastIndex - s.snapshotIndex,
      voters: s.voters, durable: { ...this.storage.durable() },
      timer: s.role === 'leader' ? null : { elapsed: s.electionElapsed, timeout: s.electionTimeout },
      votes: s.votes, progress: s.progress, persisting: this.persisting !== null, applyLog: this.applyLog.view(),
      lastHeartbeatAgoMs: this.lastHeartbeatAgoMs(nowMs),
    };
  }
}

/** A write's answer once its index is applied: its own entry (same term) or a replacement. */
function writeAnswer(entry: Entry, proposedTerm: number): ApiResponse {
  if (entry.term !== proposedTerm) return api.leadershipLost();
  const command = entry.command;
  assert(command.op !== 'noop', `a client write was answered by the noop at ${entry.index}`);
  return command.op === 'delete' ? api.deleted(command.key) : api.stored(command.key);
}
