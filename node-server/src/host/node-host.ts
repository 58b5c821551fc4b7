/**
 * The node host: the only code that drives this node's core replica (core/src/replica.ts). A real
 * timer ticks it, RPC handlers step it, client requests become writes and reads, and its Ready
 * loop runs with this host's side effects: the WAL (fsync), the HTTP transport, the `[apply]`
 * lines. The simulator drives the same replica with a virtual clock, network and disk.
 *
 * Group commit: inputs only schedule the Ready loop (setImmediate), so every proposal and message
 * that arrives in one turn of the event loop shares one Ready, one fsync and one AppendEntries; and
 * the WAL write runs off the event loop, so what arrives while the disk works shares the next one.
 */
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type {
  ApiResponse, ConfigChange, Message, NodeId, NodeState, RaftEvent, RaftNode, Ready, ReplicaIo, SnapshotSource, Ticket, WriteCommand,
} from '@raft-kv/core';
import { Replica, responseTypeOf } from '@raft-kv/core';
import type { NodeConfig, PeerConfig } from '../config';
import type { Logger } from '../logger';
import { DiskStorage } from '../storage/disk-storage';
import type { MessageSender } from '../transport/transport';
import type { RequestMessage, ResponseMessage } from '../wire';
import { isRequestMessage } from '../wire';
import { applyLine, logEvents } from './event-log';
import { LongestSteps } from './longest-steps';
import { PeerDirectory } from './peer-directory';
import { RpcAnswers } from './rpc-answers';
import { WalWriteMode } from './wal-write-mode';
import { Watchers } from './watchers';

export interface NodeHostDeps {
  config: Readonly<NodeConfig>;
  storage: DiskStorage;
  logger: Logger;
  /** Called on a broken invariant: the process must stop rather than go on with a corrupt state. */
  onFatal: (error: unknown) => void;
  /** Where the core's steps are timed (shared with the storage, which times the snapshot's). */
  steps?: LongestSteps;
}

/** Most ticks delivered by one timer callback: a small lateness is caught up, a stall is not. */
const ticksPerTimerMax = 2;

/** Most Readies handled in one turn before yielding to I/O... */
const readiesPerTurnMax = 64;
/** ...and at most about this long (a restart re-applies its log tail: timers and peers must not wait for all of it). */
const turnBudgetMs = 5;
/** Committed entries applied per Ready: about 5 ms of work, so one Ready stays within a turn's budget. */
const applyEntriesPerReady = 1024;

/** Receives the core's events of each Ready (live observers); set only while someone watches. */
export type ReadyObserver = (events: readonly RaftEvent[]) => void;

export class RpcRejected extends Error {
  override name = 'RpcRejected';
}

interface WaitingClient {
  resolve: (response: ApiResponse) => void;
  timer: NodeJS.Timeout;
}

/**
 * About this many bytes of a snapshot are in flight to one follower: enough to keep the link busy,
 * few enough that a lost chunk costs little. As many chunks as that takes (4 of 256 KiB, 16 of the
 * default 64 KiB), at most 64.
 */
const snapshotBytesInflight = 1024 * 1024;
const snapshotChunksInflight = (chunkBytes: number): number => Math.max(1, Math.min(64, Math.ceil(snapshotBytesInflight / chunkBytes)));

export class NodeHost {
  readonly replica: Replica;
  /** How to reach the other members: the configuration's addresses, then the environment's. */
  readonly directory: PeerDirectory;
  private sender: MessageSender | null = null;
  private readonly answers = new RpcAnswers();
  /** Client requests the replica has not answered yet, by ticket. */
  private readonly clients = new Map<Ticket, WaitingClient>();
  private nextTicket = 1;
  private readyScheduled = false;
  private pumping = false;
  private turnStartedAt = 0;
  /** Disk writes under way: the Ready's, and a snapshot's (they may outlive stop(); close storage only after them). */
  private writing = 0;
  private readonly idleWaiters: (() => void)[] = [];
  /** Whether a WAL record is written on the loop or in the thread pool (wal-write-mode.ts). */
  private readonly walWriteMode: WalWriteMode;
  private ticker: NodeJS.Timeout | null = null;
  private lastTickAt = 0;
  private stopped = false;
  /** Counters for /raft/status (how well proposals batch). */
  readonly stats = { readies: 0, persists: 0, entriesPersisted: 0, walWritesOnLoop: 0, messagesSent: 0, entriesSent: 0, applied: 0 };
  /** Leader KV URLs learned from leaderAddr (overrides the configured or derived ones). */
  private readonly learnedKvUrls = new Map<NodeId, string>();
  private observer: ReadyObserver | null = null;
  private readonly io: ReplicaIo;
  /** GET /watch streams: they read on after every pump that applied something. */
  readonly watchers: Watchers;
  private watchedIndex = 0;
  /** Members without a known address, already warned about. */
  private readonly unreachable = new Set<NodeId>();
  /** The longest synchronous steps, for /raft/status (longest-steps.ts). */
  readonly steps: LongestSteps;

  constructor(private readonly deps: NodeHostDeps) {
    this.steps = deps.steps ?? new LongestSteps();
    const { config, storage } = deps;
    this.walWriteMode = new WalWriteMode(config.walSyncWriteMsMax);
    this.directory = new PeerDirectory(config.nodeId, config.peers);
    this.replica = new Replica(storage, {
      raft: {
        id: config.nodeId,
        // Used only on the first start: then the membership on disk (or in the log) decides.
        voters: initialVoters(config),
        // Election jitter must differ between nodes and between starts of one node.
        seed: randomInt(0x7fffffff),
        // After a restart of the whole cluster, the first election comes as soon as it safely can.
        fastFirstElection: true,
        applyEntriesPerReadyMax: applyEntriesPerReady,
        heartbeatTicks: config.heartbeatTicks,
        electionTimeoutTicksMin: config.electionTimeoutTicksMin,
        electionTimeoutTicksMax: config.electionTimeoutTicksMax,
        entriesPerMessageMax: config.entriesPerMessageMax,
        inflightMessagesMax: config.inflightMessagesMax,
        uncommittedEntriesMax: config.uncommittedEntriesMax,
        appendRetransmitTicks: config.appendRetransmitTicks,
        snapshotRetransmitTicks: config.snapshotRetransmitTicks,
        snapshotChunksInflightMax: snapshotChunksInflight(config.snapshotChunkBytes),
      },
      snapshot: {
        entries: config.snapshotEntries, logBytesMin: config.snapshotLogBytes, logToSnapshotRatio: config.snapshotLogRatio,
        retainEntries: config.snapshotRetainEntries, chunkBytes: config.snapshotChunkBytes,
      },
      localReads: config.unsafeLocalReads,
      readContextPrefix: `${config.nodeId}:${Date.now().toString(36)}${randomInt(1 << 30).toString(36)}`,
    });
    const logApply = applyLine(deps.logger);
    this.noteMembershipSource();
    this.io = {
      send: (message) => this.dispatch(message),
      flush: () => this.sender?.flush(),
      persist: (rd) => this.persist(rd),
      writeSnapshot: (source) => this.writeSnapshot(source),
      answer: (ticket, response) => this.answer(ticket, response),
      leaderUrl: (id) => this.leaderUrl(id),
      observe: (rd) => this.observe(rd),
      yieldNow: () => performance.now() - this.turnStartedAt > turnBudgetMs,
      applied: (entry, applied) => {
        this.stats.applied++;
        logApply(entry, applied);
        // A committed change may let go of a member that was being removed.
        if (entry.command.op === 'config') this.syncPeers();
      },
      snapshotTaken: (snap) => {
        this.deps.logger.info(`[snapshot] ${this.id} took a snapshot at index=${snap.index} term=${snap.term} (${snap.chunkCount} chunks, ${snap.bytes} bytes); log compacted to ${this.raft.firstIndex - 1}`);
      },
    };
    this.watchers = new Watchers(this.replica, { watchersMax: config.watchersMax, lagEntriesMax: config.watchLagEntriesMax });
  }

  get id(): NodeId {
    return this.deps.config.nodeId;
  }

  /** On a restart the membership on disk (its snapshot and log) wins over the environment: say so when they differ. */
  private noteMembershipSource(): void {
    const disk = this.raft.configuration;
    const env = initialVoters(this.deps.config);
    if (disk.learners.length === 0 && disk.voters.length === env.length && env.every((id) => disk.voters.includes(id))) return;
    const list = (ids: readonly NodeId[]) => (ids.length > 0 ? ids.join(',') : 'none');
    const fromEnv = this.deps.config.join ? 'RAFT_JOIN: no voters until a leader adds it' : `voters ${list(env)}`;
    this.deps.logger.info(`[membership] ${this.id}: the membership on disk (voters ${list(disk.voters)}; learners ${list(disk.learners)}) differs from the environment's (${fromEnv}); the disk's is used`);
  }

  get raft(): RaftNode {
    return this.replica.raft;
  }

  /** The transport is built after the host (it calls back into it), so it is attached here. */
  attach(sender: MessageSender): void {
    this.sender = sender;
    this.syncPeers();
  }

  /**
   * Points the transport at the members this node may have to reach now (RaftNode.peers), at the
   * addresses the directory knows. Called at start and whenever the configuration changes.
   */
  private syncPeers(): void {
    const raft = this.raft;
    this.directory.learn(raft.configuration);
    this.directory.learn(raft.configurationAt(raft.commitIndex));
    const { peers, unknown } = this.directory.resolve(raft.peers);
    for (const id of unknown) {
      if (this.unreachable.has(id)) continue;
      this.unreachable.add(id);
      this.deps.logger.warn(`[membership] ${this.id} has no address for member ${id}: add it to PEERS/PEER_IDS, or re-add it with its URLs`);
    }
    this.sender?.setPeers(peers);
  }

  start(): void {
    this.lastTickAt = performance.now();
    const { tickMs } = this.deps.config;
    this.ticker = setInterval(() => this.onTimer(), tickMs);
    this.scheduleReady();
  }

  /** Resolves once no WAL write is under way (so storage can be closed after stop()). */
  whenIdle(): Promise<void> {
    return this.writing > 0 ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  stop(): void {
    if (!this.stopped) this.watchers.closeAll();
    this.stopped = true;
    this.steps.close();
    if (this.ticker) clearInterval(this.ticker);
    for (const waiting of this.clients.values()) clearTimeout(waiting.timer);
    this.clients.clear();
  }

  /** Ticks the core once per elapsed tick; after a long stall, at most one election timeout's worth. */
  private onTimer(): void {
    const { tickMs } = this.deps.config;
    const now = performance.now();
    let due = Math.floor((now - this.lastTickAt) / tickMs);
    if (due <= 0) return;
    if (due > ticksPerTimerMax) {
      // The process was stalled (starved of CPU, a long GC): drop the ticks it missed, as a Go
      // ticker does for etcd. Delivered at once they would make a leader run CheckQuorum before it
      // read the answers its followers sent meanwhile, and step down for nothing.
      due = ticksPerTimerMax;
      this.lastTickAt = now;
    } else {
      this.lastTickAt += due * tickMs;
    }
    this.guard(() => {
      for (let i = 0; i < due; i++) this.replica.tick();
    });
    this.scheduleReady();
  }

  /** Live observers: one callback, or null when nobody watches (then a Ready costs one null check more). */
  setObserver(observer: ReadyObserver | null): void {
    this.observer = observer;
  }

  /** A Ready is being written to disk. */
  get isPersisting(): boolean {
    return this.replica.persistingReady !== null;
  }

  // ---- inputs from clients -------------------------------------------------------------------------

  /**
   * Proposes a write; resolves once the entry is applied here, or on timeout (docs/api.md). The
   * wall clock goes with a session's commands: every leader stamps them from its own clock, so it
   * must be comparable between machines (Date.now, not the process's monotonic clock).
   */
  write(command: WriteCommand): Promise<ApiResponse> {
    return this.request(this.deps.config.writeTimeoutMs, (ticket) => this.replica.write(this.io, ticket, command, Date.now()));
  }

  /** A linearizable read (ReadIndex), or a local one when `stale`. */
  read(key: string, stale: boolean): Promise<ApiResponse> {
    return this.request(this.deps.config.readTimeoutMs, (ticket) => this.replica.read(this.io, ticket, key, stale));
  }

  /** The keys with a prefix (at most `limit`), read as read() reads one key. */
  readRange(prefix: string, limit: number, stale: boolean): Promise<ApiResponse> {
    return this.request(this.deps.config.readTimeoutMs, (ticket) => this.replica.readRange(this.io, ticket, prefix, limit, stale));
  }

  /** Proposes one membership change; resolves once it is committed and applied here, or refused (docs/membership.md). */
  changeMembership(change: ConfigChange): Promise<ApiResponse> {
    return this.request(this.deps.config.writeTimeoutMs, (ticket) => this.replica.changeMembership(this.io, ticket, change));
  }

  /**
   * Hands leadership to `target`; resolves once this node sees it lead, or when the core gives up
   * (after an election timeout). The host's own deadline is only a backstop behind the core's.
   */
  transferLeadership(target: NodeId): Promise<ApiResponse> {
    const { tickMs, electionTimeoutTicksMax, writeTimeoutMs } = this.deps.config;
    return this.request(electionTimeoutTicksMax * tickMs + writeTimeoutMs, (ticket) => this.replica.transferLeadership(this.io, ticket, target));
  }

  private request(timeoutMs: number, start: (ticket: Ticket) => void): Promise<ApiResponse> {
    const ticket = this.nextTicket++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.guard(() => this.replica.expire(this.io, ticket)), timeoutMs);
      this.clients.set(ticket, { resolve, timer });
      this.guard(() => start(ticket));
      if (this.clients.has(ticket)) this.scheduleReady();
    });
  }

  private answer(ticket: Ticket, response: ApiResponse): void {
    const waiting = this.clients.get(ticket);
    if (!waiting) return;
    this.clients.delete(ticket);
    clearTimeout(waiting.timer);
    waiting.resolve(response);
  }

  // ---- inputs from peers ---------------------------------------------------------------------------

  /**
   * Steps a peer's request and resolves with the core's response to it: the core answers each
   * request exactly once, in order per peer, so answers are matched first-in first-out.
   */
  handleRpc(message: RequestMessage, leaderAddr?: string): Promise<ResponseMessage> {
    const fromLeader = message.type === 'AppendEntries' || message.type === 'InstallSnapshot';
    if (fromLeader && message.term === this.raft.term && this.raft.role === 'leader') {
      // Two leaders in one term would break Election Safety. Only a misconfigured cluster (two
      // nodes with one id) or a forged request can get here: refuse it at the door.
      return Promise.reject(new RpcRejected(`${message.from} claims leadership of term ${message.term}, which ${this.id} leads`));
    }
    if (fromLeader && message.term >= this.raft.term && leaderAddr) this.learnedKvUrls.set(message.from, leaderAddr);
    const answer = this.answers.expect(message.from, responseTypeOf[message.type], message.type === 'ReadIndex' ? message.context : '');
    this.guard(() => this.replica.step(message, performance.now()));
    this.scheduleReady();
    return answer;
  }

  /** A peer's answer to one of our requests. */
  handleResponse(message: ResponseMessage): void {
    if (this.stopped) return;
    this.guard(() => this.replica.step(message, performance.now()));
    this.scheduleReady();
  }

  /** A request we sent got no answer; a follower's forwarded read fails at once rather than at its timeout. */
  handleSendFailure(message: RequestMessage): void {
    if (message.type !== 'ReadIndex') return;
    this.replica.readUnreachable(this.io, message.context, `could not reach the leader ${message.to} to confirm the read`);
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

  /** Handles Readies until there is nothing left or a WAL write is under way (then yields after a few). */
  private pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    this.turnStartedAt = performance.now();
    try {
      let more = false;
      this.guard(() => {
        more = this.replica.pump(this.io, readiesPerTurnMax);
      });
      if (more) this.scheduleReady();
      this.pumpWatchers();
    } finally {
      this.pumping = false;
    }
  }

  /** Watchers read on when this node applied something (or its state was replaced by a snapshot). */
  private pumpWatchers(): void {
    const applied = this.replica.kv.appliedIndex;
    const moved = applied !== this.watchedIndex;
    this.watchedIndex = applied;
    if (moved && this.watchers.size > 0) this.watchers.pump();
  }

  private observe(rd: Ready): void {
    this.stats.readies++;
    if (rd.entries.length > 0) {
      this.stats.persists++;
      this.stats.entriesPersisted += rd.entries.length;
    }
    logEvents(this.deps.logger, rd.events);
    // Before this Ready's messages go out: a member just added must be reachable for them.
    if (rd.events.some((e) => e.type === 'configChanged')) this.syncPeers();
    if (this.observer !== null && rd.events.length > 0) this.observer(rd.events);
  }

  /**
   * A commit-only Ready is written at once; a WAL record on the event loop while the disk is fast
   * (wal-write-mode.ts); anything else, and any write on a slow disk, off the event loop.
   */
  private persist(rd: Ready): boolean {
    const storage = this.deps.storage;
    if (DiskStorage.isNoop(rd)) {
      storage.persist(rd);
      return true;
    }
    // Only the WAL's own record may be written on the loop; snapshot chunks and installs take longer.
    const started = performance.now();
    if (rd.snapshotChunks.length === 0 && rd.snapshot === null && this.walWriteMode.syncAt(started, rd.entries.length)) {
      try {
        storage.persist(rd);
      } catch (err) {
        // As when a write in the thread pool fails: the node stops, and this Ready is never finished.
        this.fatal(err);
        return false;
      }
      this.walWriteMode.tookSync(performance.now() - started);
      if (rd.entries.length > 0) this.stats.walWritesOnLoop++;
      return true;
    }
    this.writing++;
    storage.persistAsync(rd, (err) => {
      this.writing--;
      if (this.stopped) return this.wakeIdleWaiters();
      if (err) {
        this.wakeIdleWaiters();
        return this.fatal(err);
      }
      this.guard(() => this.replica.persisted(this.io));
      this.wakeIdleWaiters();
      this.pump();
    });
    return false;
  }

  /** Snapshots are written in the background: the node goes on applying and answering meanwhile. */
  private writeSnapshot(source: SnapshotSource): boolean {
    this.writing++;
    const started = performance.now();
    this.deps.storage.writeSnapshot(source, (err, written) => {
      this.writing--;
      if (err) this.deps.logger.error(`[snapshot] ${this.id} could not write the snapshot at index=${source.index}: ${err.message}; the log is kept, a later snapshot will try again`);
      else if (written) this.deps.logger.debug(`[snapshot] ${this.id} wrote the snapshot at index=${source.index} in ${Math.round(performance.now() - started)} ms`);
      if (this.stopped) return this.wakeIdleWaiters();
      this.guard(() => this.replica.snapshotWritten(this.io, written && !err));
      this.wakeIdleWaiters();
      this.scheduleReady();
    });
    return false;
  }

  private wakeIdleWaiters(): void {
    if (this.writing > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
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

  /** Runs core or storage code; a thrown error means a broken invariant or a failed disk: stop. */
  private guard(fn: () => void): void {
    try {
      this.steps.time('core', fn);
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

  /** This node's state, as every world describes a node. */
  describe(): NodeState {
    return this.replica.describe(performance.now());
  }

  kvUrlOf(id: NodeId): string {
    if (id === this.id) return this.deps.config.kvUrl;
    return this.learnedKvUrls.get(id) ?? this.directory.address(id)?.kvUrl ?? '';
  }

  /** The leader hint for clients: the leader's KV URL, null when no leader is known. */
  leaderUrl(id: NodeId | null): string | null {
    return id === null ? null : this.kvUrlOf(id) || null;
  }

  raftUrlOf(id: NodeId): string {
    if (id === this.id) return this.deps.config.raftUrl;
    return this.directory.address(id)?.raftUrl ?? '';
  }

  /** Whether the last request this node sent to `id` was answered (null: none sent yet). */
  reachable(id: NodeId): boolean | null {
    return this.sender?.reachable(id) ?? null;
  }

  /** The other members with a known address (the ones this node may have to reach now). */
  peers(): PeerConfig[] {
    return this.directory.resolve(this.raft.peers).peers;
  }

  /** -1 until the first AppendEntries from a current leader in this life; 0 on a leader. */
  lastHeartbeatAgoMs(): number {
    return this.replica.lastHeartbeatAgoMs(performance.now());
  }
}

/**
 * The voters a node starts with when its disk holds no membership yet: none when it joins; else
 * itself and its peers, sorted, so that every node of a new cluster lists them in one order.
 */
export function initialVoters(config: Pick<NodeConfig, 'nodeId' | 'peers' | 'join'>): NodeId[] {
  return config.join ? [] : [config.nodeId, ...config.peers.map((p) => p.id)].sort();
}
