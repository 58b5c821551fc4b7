/**
 * The node host: the only code that drives the core. A real timer ticks it, RPC handlers step it,
 * client requests propose and ask for read indexes, and each Ready is handled in the fixed order:
 * send what may go early -> persist (one durable write) -> send the rest -> apply -> reads -> advance.
 * It is the real-world twin of core/src/sim/simulation.ts (pump / finishReady / startWrite /
 * startRead / applyEntry / maybeSnapshot), with the same semantics.
 *
 * Group commit: inputs only schedule the Ready loop (setImmediate), so every proposal and message
 * that arrives in one turn of the event loop shares one Ready, one fsync and one AppendEntries; and
 * the WAL write runs off the event loop, so what arrives while the disk works shares the next one.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ApiResponse, Entry, Message, NodeId, RaftEvent, Ready } from '@raft-kv/core';
import { KvStateMachine, RaftNode, api, responseTypeOf } from '@raft-kv/core';
import type { NodeConfig } from '../config';
import type { Logger } from '../logger';
import { DiskStorage } from '../storage/disk-storage';
import type { MessageSender } from '../transport/transport';
import type { RequestMessage, ResponseMessage } from '../wire';
import { isRequestMessage } from '../wire';
import type { WriteCommand } from './client-requests';
import { PendingReads, PendingWrites } from './client-requests';
import { ApplyLog, logApplied, logEvents } from './event-log';
import { RpcAnswers } from './rpc-answers';

export interface NodeHostDeps {
  config: Readonly<NodeConfig>;
  storage: DiskStorage;
  logger: Logger;
  /** Called on a broken invariant: the process must stop rather than go on with a corrupt state. */
  onFatal: (error: unknown) => void;
}

/** Most Readies handled in one turn before yielding to I/O. */
const readiesPerTurnMax = 64;

/** Receives the core's events of each Ready (live observers); set only while someone watches. */
export type ReadyObserver = (events: readonly RaftEvent[]) => void;

export class RpcRejected extends Error {
  override name = 'RpcRejected';
}

export class NodeHost {
  readonly raft: RaftNode;
  readonly kv = new KvStateMachine();
  readonly voters: NodeId[];
  private sender: MessageSender | null = null;
  private readonly answers = new RpcAnswers();
  private readonly writes: PendingWrites;
  private readonly reads: PendingReads;
  private readonly readPrefix = `${Date.now().toString(36)}${randomInt(1 << 30).toString(36)}`;
  private readCounter = 0;
  private readyScheduled = false;
  private pumping = false;
  /** The Ready whose WAL write is under way (only one Ready is out at a time). */
  private persisting: Ready | null = null;
  private readonly idleWaiters: (() => void)[] = [];
  private ticker: NodeJS.Timeout | null = null;
  private lastTickAt = 0;
  private stopped = false;
  /** When an AppendEntries or InstallSnapshot of a current leader last arrived (-1: never in this life). */
  private lastHeartbeatAt = -1;
  /** Counters for /raft/status (how well proposals batch). */
  readonly stats = { readies: 0, persists: 0, entriesPersisted: 0, messagesSent: 0, entriesSent: 0, applied: 0 };
  /** Leader KV URLs learned from leaderAddr (overrides the configured or derived ones). */
  private readonly learnedKvUrls = new Map<NodeId, string>();
  /** The `[apply] index=N` lines of this process (for live observers). */
  readonly applyLog = new ApplyLog();
  private observer: ReadyObserver | null = null;

  constructor(private readonly deps: NodeHostDeps) {
    const { config, storage } = deps;
    this.voters = [config.nodeId, ...config.peers.map((p) => p.id)];
    this.writes = new PendingWrites(config.writeTimeoutMs);
    this.reads = new PendingReads(config.readTimeoutMs);
    this.raft = new RaftNode({
      id: config.nodeId,
      voters: this.voters,
      // Election jitter must differ between nodes and between starts of one node.
      seed: randomInt(0x7fffffff),
      heartbeatTicks: config.heartbeatTicks,
      electionTimeoutTicksMin: config.electionTimeoutTicksMin,
      electionTimeoutTicksMax: config.electionTimeoutTicksMax,
      entriesPerMessageMax: config.entriesPerMessageMax,
      inflightMessagesMax: config.inflightMessagesMax,
      uncommittedEntriesMax: config.uncommittedEntriesMax,
      appendRetransmitTicks: config.appendRetransmitTicks,
      snapshotRetransmitTicks: config.snapshotRetransmitTicks,
    }, storage);
    const snapshot = storage.snapshot();
    this.kv.restore(snapshot.data, snapshot.meta.index);
  }

  get id(): NodeId {
    return this.deps.config.nodeId;
  }

  /** The transport is built after the host (it calls back into it), so it is attached here. */
  attach(sender: MessageSender): void {
    this.sender = sender;
  }

  start(): void {
    this.lastTickAt = performance.now();
    const { tickMs } = this.deps.config;
    this.ticker = setInterval(() => this.onTimer(), tickMs);
    this.scheduleReady();
  }

  /** Resolves once no WAL write is under way (so storage can be closed after stop()). */
  whenIdle(): Promise<void> {
    return this.persisting ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  stop(): void {
    this.stopped = true;
    if (this.ticker) clearInterval(this.ticker);
    this.writes.clear();
    this.reads.clear();
  }

  /** Ticks the core once per elapsed tick; after a long stall, at most one election timeout's worth. */
  private onTimer(): void {
    const { tickMs, electionTimeoutTicksMax } = this.deps.config;
    const now = performance.now();
    let due = Math.floor((now - this.lastTickAt) / tickMs);
    if (due <= 0) return;
    if (due > electionTimeoutTicksMax) {
      due = electionTimeoutTicksMax;
      this.lastTickAt = now;
    } else {
      this.lastTickAt += due * tickMs;
    }
    this.guard(() => {
      for (let i = 0; i < due; i++) this.raft.tick();
    });
    this.scheduleReady();
  }

  /** Live observers: one callback, or null when nobody watches (then a Ready costs one null check more). */
  setObserver(observer: ReadyObserver | null): void {
    this.observer = observer;
  }

  /** A Ready is being written to disk. */
  get isPersisting(): boolean {
    return this.persisting !== null;
  }

  // ---- inputs from clients -------------------------------------------------------------------------

  /** Proposes a set or delete; resolves once the entry is applied here, or on timeout (docs/api.md). */
  write(command: WriteCommand): Promise<ApiResponse> {
    const result = this.raft.propose(command);
    if (!result.ok) {
      if (result.reason === 'not_leader') return Promise.resolve(api.notLeader(result.leaderId, this.leaderUrl(result.leaderId)));
      return Promise.resolve(api.unavailable('too many uncommitted entries; try again later'));
    }
    this.scheduleReady();
    return new Promise((resolve) => this.writes.add(result.index, result.term, command, resolve));
  }

  /** A linearizable read (ReadIndex), or a local one when `stale`. */
  read(key: string, stale: boolean): Promise<ApiResponse> {
    if (stale) return Promise.resolve(this.readLocal(key, true));
    if (this.deps.config.unsafeLocalReads) return Promise.resolve(this.readLocal(key, false));
    const context = `${this.id}:${this.readPrefix}:${++this.readCounter}`;
    const result = this.raft.readIndex(context);
    if (!result.ok) return Promise.resolve(api.unavailable(`no leader to confirm the read (${result.reason})`));
    this.scheduleReady();
    return new Promise((resolve) => this.reads.add(context, key, resolve));
  }

  private readonly readLocal = (key: string, stale = false): ApiResponse => {
    const value = this.kv.get(key);
    return value === undefined ? api.notFound() : api.found(key, value, stale);
  };

  // ---- inputs from peers ---------------------------------------------------------------------------

  /**
   * Steps a peer's request and resolves with the core's response to it: the core answers each
   * request exactly once, in order per peer, so answers are matched first-in first-out.
   */
  handleRpc(message: RequestMessage, leaderAddr?: string): Promise<ResponseMessage> {
    const fromLeader = message.type === 'AppendEntries' || message.type === 'InstallSnapshot';
    if (fromLeader && message.term === this.raft.term && this.raft.role === 'leader') {
      // Two leaders in one term would break Election Safety; the core asserts on it. Only a
      // misconfigured cluster (two nodes with one id) or a forged request can get here.
      return Promise.reject(new RpcRejected(`${message.from} claims leadership of term ${message.term}, which ${this.id} leads`));
    }
    if (fromLeader && message.term >= this.raft.term) {
      this.lastHeartbeatAt = performance.now();
      if (leaderAddr) this.learnedKvUrls.set(message.from, leaderAddr);
    }
    const answer = this.answers.expect(message.from, responseTypeOf[message.type], message.type === 'ReadIndex' ? message.context : '');
    this.guard(() => this.raft.step(message));
    this.scheduleReady();
    return answer;
  }

  /** A peer's answer to one of our requests. */
  handleResponse(message: ResponseMessage): void {
    if (this.stopped) return;
    this.guard(() => this.raft.step(message));
    this.scheduleReady();
  }

  /** A request we sent got no answer; a follower's forwarded read fails at once rather than at its timeout. */
  handleSendFailure(message: RequestMessage): void {
    if (message.type === 'ReadIndex') this.reads.failed(message.context, `could not reach the leader ${message.to} to confirm the read`);
  }

  // ---- the Ready loop ------------------------------------------------------------------------------

  scheduleReady(): void {
    if (this.readyScheduled || this.stopped) return;
    this.readyScheduled = true;
    setImmediate(() => {
      this.readyScheduled = false;
      this.pump();
    });
  }

  /** Takes Readies until there is nothing left or a WAL write is under way. */
  private pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      for (let n = 0; n < readiesPerTurnMax && !this.persisting && this.raft.hasReady(); n++) {
        const rd = this.raft.ready();
        this.guard(() => this.handleReady(rd));
      }
      if (!this.persisting && this.raft.hasReady()) this.scheduleReady();
    } finally {
      this.pumping = false;
    }
  }

  private handleReady(rd: Ready): void {
    this.stats.readies++;
    if (rd.entries.length > 0) {
      this.stats.persists++;
      this.stats.entriesPersisted += rd.entries.length;
    }
    logEvents(this.deps.logger, rd.events);
    if (this.observer !== null && rd.events.length > 0) this.observer(rd.events);
    for (const out of rd.messages) if (!out.waitForPersist) this.dispatch(out.message);
    // A leader's appends travel while it fsyncs (Raft thesis 10.2.1).
    this.sender?.flush();
    if (DiskStorage.isNoop(rd)) {
      this.deps.storage.persist(rd);
      return this.finishReady(rd);
    }
    this.persisting = rd;
    this.deps.storage.persistAsync(rd, (err) => {
      this.persisting = null;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      if (this.stopped) return;
      if (err) return this.fatal(err);
      this.guard(() => this.finishReady(rd));
      this.pump();
    });
  }

  /** The rest of a Ready once it is durable: send, apply, answer reads, advance. */
  private finishReady(rd: Ready): void {
    for (const out of rd.messages) if (out.waitForPersist) this.dispatch(out.message);
    this.sender?.flush();
    if (rd.snapshot) this.kv.restore(rd.snapshot.data, rd.snapshot.meta.index);
    for (const entry of rd.committedEntries) this.applyEntry(entry);
    for (const read of rd.readStates) this.reads.confirmed(read.context, read.index);
    for (const dropped of rd.droppedReads) this.reads.failed(dropped.context, `read not confirmed: ${dropped.reason}`);
    this.raft.advance(rd);
    this.reads.serve(this.kv.appliedIndex, this.readLocal);
    this.maybeSnapshot();
  }

  private dispatch(message: Message): void {
    if (isRequestMessage(message)) {
      this.stats.messagesSent++;
      if (message.type === 'AppendEntries') this.stats.entriesSent += message.entries.length;
      if (this.sender) this.sender.send(message);
      return;
    }
    const key = message.type === 'ReadIndexResponse' ? message.context : '';
    if (!this.answers.answer(message.to, message.type, key, message)) {
      this.deps.logger.debug(`[rpc] no waiting request for ${message.type} to ${message.to}`);
    }
  }

  private applyEntry(entry: Entry): void {
    this.kv.apply(entry);
    this.stats.applied++;
    logApplied(this.deps.logger, entry);
    this.applyLog.note(entry.index);
    this.writes.applied(entry);
  }

  private maybeSnapshot(): void {
    const applied = this.kv.appliedIndex;
    const storage = this.deps.storage;
    if (applied - storage.snapshot().meta.index < this.deps.config.snapshotThreshold) return;
    const snap = storage.createSnapshot(applied, this.kv.snapshot(), this.voters);
    this.raft.reportSnapshotTaken(snap.meta.index, snap.meta.term, snap.meta.index);
    this.deps.logger.info(`[snapshot] ${this.id} took a snapshot at index=${snap.meta.index} term=${snap.meta.term}; log compacted`);
    this.scheduleReady();
  }

  /** Runs core or storage code; a thrown error means a broken invariant or a failed disk: stop. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fatal(err);
      throw err;
    }
  }

  private fatal(err: unknown): void {
    this.stop();
    this.deps.onFatal(err);
  }

  // ---- views ---------------------------------------------------------------------------------------

  kvUrlOf(id: NodeId): string {
    if (id === this.id) return this.deps.config.kvUrl;
    return this.learnedKvUrls.get(id) ?? this.deps.config.peers.find((p) => p.id === id)?.kvUrl ?? '';
  }

  /** The leader hint for clients: the leader's KV URL, null when no leader is known. */
  leaderUrl(id: NodeId | null): string | null {
    return id === null ? null : this.kvUrlOf(id) || null;
  }

  raftUrlOf(id: NodeId): string {
    if (id === this.id) return this.deps.config.raftUrl;
    return this.deps.config.peers.find((p) => p.id === id)?.raftUrl ?? '';
  }

  /** -1 until the first AppendEntries from a current leader in this life; 0 on a leader. */
  lastHeartbeatAgoMs(): number {
    if (this.raft.role === 'leader') return 0;
    return this.lastHeartbeatAt < 0 ? -1 : Math.round(performance.now() - this.lastHeartbeatAt);
  }
}
