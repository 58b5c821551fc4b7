/**
 * A whole Raft cluster on a virtual clock. Every node runs the real core with a host that handles
 * each Ready in the fixed order (persist, send, apply, advance), a disk that takes time, a network
 * that loses, duplicates, delays and partitions, and clients that speak the KV API. All randomness
 * comes from one seeded PRNG, so (seed, config, actions) replays a run exactly, and the state can
 * be checkpointed and restored for time travel.
 */
import type { HistoryOp } from '../check/history';
import type { Applied } from '../kv';
import type { RaftEvent } from '../events';
import type { Message } from '../messages';
import type { NodeState } from '../node-state';
import { downNodeState } from '../node-state';
import { assert } from '../assert';
import { Prng } from '../prng';
import type { Ready } from '../raft-node';
import type { ReplicaIo, WriteCommand } from '../replica';
import { Replica } from '../replica';
import type { DecisionTrace } from '../trace';
import type { ConfigChange, Entry, NodeId, SessionTag } from '../types';
import type { ApiResponse, ClientOp } from '../api';
import { api, isEmptyKey, outcomeOf } from '../api';
import { cloneState } from './clone';
import type { NetworkConfig, SimConfig, SimConfigInput } from './config';
import { nodeIdsFor, resolveSimConfig } from './config';
import { EventQueue } from './event-queue';
import type { Timed } from './event-queue';
import type { LogView } from './invariants';
import { InvariantChecker } from './invariants';
import type { DropReason, InFlightMessage } from './network';
import { Network } from './network';
import { SimNode } from './sim-node';
import { snapshotChunksToStore } from './snapshot-runs';
import { StateHasher, hashNode } from './state-hash';

export type SimAction =
  | { type: 'crash'; node: NodeId }
  | { type: 'restart'; node: NodeId }
  | { type: 'isolate'; node: NodeId }
  | { type: 'cut'; from: NodeId; to: NodeId; bothWays: boolean }
  | { type: 'heal'; from: NodeId; to: NodeId; bothWays: boolean }
  | { type: 'partition'; groups: NodeId[][] }
  /** Cuts and slow links gone. */
  | { type: 'healAll' }
  /** Every message from `from` to `to` takes `ms` longer (0: back to normal). */
  | { type: 'slowLink'; from: NodeId; to: NodeId; ms: number }
  | { type: 'setNetwork'; network: Partial<NetworkConfig> }
  | { type: 'dropMessage'; id: number }
  | { type: 'delayMessage'; id: number; ms: number }
  | { type: 'duplicateMessage'; id: number }
  /**
   * Split votes on demand (RaftScope's buttons): `align` makes every node that does not lead time
   * out now, together; `spread` restarts their election timers at timeouts spread evenly over the
   * configured range, so they fire far apart.
   */
  | { type: 'electionTimers'; mode: 'align' | 'spread' }
  /** The node stops for `ms` (as under SIGSTOP): it runs nothing until then, and then handles what waited, in order. */
  | { type: 'pause'; node: NodeId; ms: number }
  /** The message in flight arrives `ms` from now instead (0: at once); scripts hold messages back with it. */
  | { type: 'holdMessage'; id: number; ms: number }
  | { type: 'campaign'; node: NodeId }
  /** A new, empty server starts and waits to be added to the cluster (it never campaigns until it is a voter). */
  | { type: 'addNode' }
  | { type: 'client'; request: ClientRequestInput };

/** What a client asks a node: the KV verbs, and the membership API's (change, leadership transfer). */
export type SimClientOp = ClientOp | 'config' | 'transfer';

export interface ClientRequestInput {
  clientId: string;
  node: NodeId;
  op: SimClientOp;
  /** The key; for a range, the prefix; unused by `session`, `config` and `transfer`. */
  key: string;
  value?: string;
  /** cas: what the key must hold (null: absent). */
  expected?: string | null;
  /** A write's session (POST /session opened it; Client-Id, Client-Seq, Client-Ack). */
  session?: SessionTag;
  /** op `config`: the membership change to propose. */
  change?: ConfigChange;
  /** op `transfer`: the voter to hand leadership to. */
  target?: NodeId;
  consistency?: 'linearizable' | 'stale';
  /** Record in the history for the linearizability check (default true). */
  record?: boolean;
}

export interface ClientRequest extends ClientRequestInput {
  id: number;
  sentAt: number;
  arrivedAt: number | null;
  response: ApiResponse | null;
  repliedAt: number | null;
}

/** Events the simulation adds to the core's: what happened to nodes, links and clients. */
export type SimEvent =
  | { type: 'nodeCrashed'; node: NodeId; tornWrite: boolean; lostWrite: boolean }
  | { type: 'nodeRestarted'; node: NodeId }
  /** A new server with an empty disk started (it joins once a membership change adds it). */
  | { type: 'nodeAdded'; node: NodeId }
  | { type: 'messageDropped'; node: NodeId; to: NodeId; id: number; messageType: Message['type']; reason: DropReason }
  | { type: 'networkChanged'; node: NodeId; description: string }
  | { type: 'messageDelayed'; node: NodeId; to: NodeId; id: number; messageType: Message['type']; ms: number }
  | { type: 'messageDuplicated'; node: NodeId; to: NodeId; id: number; copyId: number; messageType: Message['type'] }
  | { type: 'electionTimersSet'; node: NodeId; mode: 'align' | 'spread'; nodes: NodeId[] }
  | { type: 'clientReplied'; node: NodeId; requestId: number; op: SimClientOp; key: string; status: number }
  | { type: 'invariantViolated'; node: NodeId; property: string; message: string };

export interface TimedEvent {
  readonly at: number;
  readonly event: RaftEvent | SimEvent;
  /** With raft.traceDecisions: the decisions of the input that emitted this core event. */
  readonly trace?: DecisionTrace;
}

/** A node's decisions for one input (raft.traceDecisions), when its Ready was taken. */
export interface TimedTrace {
  readonly at: number;
  readonly trace: DecisionTrace;
}

interface RecordedAction {
  /** The action ran after this many steps (which makes replay exact). */
  afterStep: number;
  at: number;
  action: SimAction;
}

type TaskKind = 'tick' | 'deliver' | 'persisted' | 'requestArrives' | 'replyArrives' | 'requestTimeout';

/**
 * One shape for every scheduled task (V8 then keeps property access on them fast): `node` and
 * `incarnation` address a node's life, `id` a message in flight or a client request.
 */
interface Task extends Timed {
  kind: TaskKind;
  node: NodeId;
  incarnation: number;
  id: number;
}

/** Everything that changes during a run; a checkpoint is a deep copy of it. */
interface World {
  /** Every server ever started in this run, in the order they came (members or not). */
  nodeIds: NodeId[];
  now: number;
  steps: number;
  prng: Prng;
  queue: EventQueue<Task>;
  network: Network;
  nodes: Map<NodeId, SimNode>;
  checker: InvariantChecker;
  /** Requests in progress and the most recent answered ones (see retainAnsweredRequests). */
  requests: Map<number, ClientRequest>;
  answered: number[];
  nextRequestId: number;
  history: HistoryOp[];
  eventLog: TimedEvent[];
  /** Empty unless raft.traceDecisions; as long as the event log at most. */
  traceLog: TimedTrace[];
  actionLog: RecordedAction[];
}

export interface SimCheckpoint {
  readonly at: number;
  readonly steps: number;
  readonly world: World;
}

/** A simulated node's state: the one NodeState every world describes nodes with. */
export type NodeView = NodeState;

/** How many answered client requests request(id) still returns. */
const retainAnsweredRequests = 10_000;

export class Simulation {
  readonly config: SimConfig;
  private w: World;
  private readonly listeners = new Set<(event: TimedEvent) => void>();
  private readonly appliedListeners = new Set<AppliedListener>();
  /** Each node's side effects (outside the world: they hold no state, so checkpoints skip them). */
  private readonly ios = new Map<NodeId, ReplicaIo>();

  constructor(input: SimConfigInput = {}) {
    this.config = resolveSimConfig(input);
    this.w = this.freshWorld(nodeIdsFor(this.config.nodeCount));
    for (const id of this.nodeIds) this.startNode(this.w.nodes.get(id)!);
  }

  private freshWorld(nodeIds: NodeId[]): World {
    const nodes = new Map<NodeId, SimNode>();
    for (const id of nodeIds) nodes.set(id, new SimNode(id, nodeIds));
    return {
      nodeIds,
      now: 0,
      steps: 0,
      prng: new Prng(this.config.seed),
      queue: new EventQueue<Task>(),
      network: new Network(this.config.network),
      nodes,
      checker: new InvariantChecker(),
      requests: new Map(),
      answered: [],
      nextRequestId: 1,
      history: [],
      eventLog: [],
      traceLog: [],
      actionLog: [],
    };
  }

  // ---- reading the world --------------------------------------------------------------------

  /** Every server of the run (a server added later comes last); members or not. */
  get nodeIds(): readonly NodeId[] {
    return this.w.nodeIds;
  }

  get now(): number {
    return this.w.now;
  }

  get steps(): number {
    return this.w.steps;
  }

  get violations() {
    return this.w.checker.violations;
  }

  get history(): readonly HistoryOp[] {
    return this.w.history;
  }

  get eventLog(): readonly TimedEvent[] {
    return this.w.eventLog;
  }

  /** The recent decision traces, oldest first (raft.traceDecisions only). */
  get traceLog(): readonly TimedTrace[] {
    return this.w.traceLog;
  }

  get actionLog(): readonly RecordedAction[] {
    return this.w.actionLog;
  }

  get network(): Network {
    return this.w.network;
  }

  get checker(): InvariantChecker {
    return this.w.checker;
  }

  node(id: NodeId): SimNode {
    const node = this.w.nodes.get(id);
    if (!node) throw new RangeError(`no node ${id} (nodes: ${this.nodeIds.join(', ')})`);
    return node;
  }

  request(id: number): ClientRequest | undefined {
    return this.w.requests.get(id);
  }

  /** Client requests in progress and the most recently answered ones, oldest first. */
  requests(): ClientRequest[] {
    return [...this.w.requests.values()];
  }

  /** When the next scheduled task is due (undefined when nothing is scheduled). */
  nextEventTime(): number | undefined {
    return this.w.queue.peekTime();
  }

  inFlight(): InFlightMessage[] {
    return [...this.w.network.inFlight.values()];
  }

  view(id: NodeId): NodeView {
    const node = this.node(id);
    if (node.replica) return node.replica.describe(this.w.now);
    const snapshot = node.storage.snapshot();
    const config = node.storage.snapshot().index > 0 ? snapshot.config : { voters: node.initialVoters, learners: [] };
    return downNodeState(id, node.storage.durable(), [...config.voters], [...config.learners], snapshot.term);
  }

  /** The live leader with the highest term, if any. */
  leader(): NodeId | null {
    let best: { id: NodeId; term: number } | null = null;
    for (const node of this.w.nodes.values()) {
      const raft = node.raft;
      if (raft && raft.role === 'leader' && (!best || raft.term > best.term)) best = { id: node.id, term: raft.term };
    }
    return best?.id ?? null;
  }

  subscribe(listener: (event: TimedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Hears every entry every node applies, with what applying it did (the fuzzer's exactly-once check). */
  subscribeApplied(listener: AppliedListener): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  // ---- running ------------------------------------------------------------------------------

  /** Runs the next scheduled task. Returns false when nothing is scheduled. */
  step(): boolean {
    const next = this.w.queue.pop();
    if (!next) return false;
    this.w.now = next.at;
    this.w.steps++;
    this.runTask(next);
    return true;
  }

  /** Runs every task due up to `until` (absolute simulated time), then sets the clock to it. */
  runUntilTime(until: number): void {
    while (true) {
      const at = this.w.queue.peekTime();
      if (at === undefined || at > until) break;
      this.step();
    }
    this.w.now = Math.max(this.w.now, until);
  }

  runFor(ms: number): void {
    this.runUntilTime(this.w.now + ms);
  }

  /** Steps until `done()` holds or `maxMs` of simulated time passed. Returns whether it held. */
  runUntil(done: () => boolean, maxMs: number): boolean {
    const deadline = this.w.now + maxMs;
    while (!done()) {
      const at = this.w.queue.peekTime();
      if (at === undefined || at > deadline) {
        this.w.now = Math.max(this.w.now, deadline);
        return done();
      }
      this.step();
    }
    return true;
  }

  private runTask(task: Task): void {
    if (task.kind !== 'replyArrives' && this.deferWhilePaused(task)) return;
    switch (task.kind) {
      case 'tick': return this.onTick(task.node, task.incarnation);
      case 'deliver': return this.onDeliver(task.id);
      case 'persisted': return this.onPersisted(task.node, task.incarnation);
      case 'requestArrives': return this.onRequestArrives(task.id);
      case 'replyArrives': return this.onReplyArrives(task.id);
      case 'requestTimeout': return this.onRequestTimeout(task.id, task.incarnation);
    }
  }

  /**
   * A paused node runs nothing: what reaches it (messages, disk completions, client requests, its
   * request timeouts) waits, in order, until it resumes, and its clock ticks again from then on.
   * Returns whether the task was put off.
   */
  private deferWhilePaused(task: Task): boolean {
    const node = this.w.nodes.get(task.node);
    if (!node || node.pausedUntil <= this.w.now) return false;
    if (task.kind === 'tick') {
      if (node.incarnation === task.incarnation) this.schedule(node.pausedUntil, 'tick', node.id, task.incarnation, 0);
    } else {
      this.schedule(node.pausedUntil, task.kind, task.node, task.incarnation, task.id);
    }
    return true;
  }

  // ---- actions --------------------------------------------------------------------------------

  /** Applies a user or scenario action now and records it for replay. Client actions return the request id. */
  act(action: SimAction): number | undefined {
    this.w.actionLog.push({ afterStep: this.w.steps, at: this.w.now, action });
    return this.applyAction(action);
  }

  private applyAction(action: SimAction): number | undefined {
    const net = this.w.network;
    switch (action.type) {
      case 'crash': return void this.crash(this.node(action.node));
      case 'restart': {
        const node = this.node(action.node);
        if (!node.up) {
          this.startNode(node);
          this.record(node.id, { type: 'nodeRestarted', node: node.id });
        }
        return;
      }
      case 'isolate':
        net.isolate(this.node(action.node).id, this.nodeIds);
        return void this.networkChanged(action.node, `${action.node} isolated`);
      case 'cut':
        net.cut(this.node(action.from).id, this.node(action.to).id, action.bothWays);
        return void this.networkChanged(action.from, `link ${action.from}${action.bothWays ? '<->' : '->'}${action.to} cut`);
      case 'heal':
        net.heal(action.from, action.to, action.bothWays);
        return void this.networkChanged(action.from, `link ${action.from}${action.bothWays ? '<->' : '->'}${action.to} healed`);
      case 'partition':
        this.partition(action.groups);
        return void this.networkChanged(this.nodeIds[0]!, `partitioned ${action.groups.map((g) => g.join(',')).join(' | ')}`);
      case 'healAll':
        net.healAll();
        net.slowLinks.clear();
        return void this.networkChanged(this.nodeIds[0]!, 'all links healed');
      case 'slowLink':
        net.slow(this.node(action.from).id, this.node(action.to).id, action.ms);
        return void this.networkChanged(action.from, `link ${action.from}->${action.to} ${action.ms > 0 ? `${action.ms} ms slower` : 'back to normal'}`);
      case 'setNetwork':
        net.config = { ...net.config, ...action.network };
        return void this.networkChanged(this.nodeIds[0]!, `network ${JSON.stringify(action.network)}`);
      case 'dropMessage': {
        const flight = net.drop(action.id);
        if (flight) this.recordDrop(flight.message, flight.id, 'dropped_by_user');
        return;
      }
      case 'delayMessage': {
        const flight = net.delay(action.id, action.ms);
        if (!flight) return;
        this.schedule(flight.deliverAt, 'deliver', flight.message.to, 0, flight.id);
        const m = flight.message;
        return void this.record(m.from, { type: 'messageDelayed', node: m.from, to: m.to, id: flight.id, messageType: m.type, ms: action.ms });
      }
      case 'duplicateMessage': {
        const copy = net.duplicate(action.id);
        if (!copy) return;
        this.schedule(copy.deliverAt, 'deliver', copy.message.to, 0, copy.id);
        const m = copy.message;
        return void this.record(m.from, { type: 'messageDuplicated', node: m.from, to: m.to, id: action.id, copyId: copy.id, messageType: m.type });
      }
      case 'electionTimers':
        return void this.setElectionTimers(action.mode);
      case 'holdMessage': {
        const flight = net.reschedule(action.id, this.w.now + Math.max(0, action.ms));
        if (flight) this.schedule(flight.deliverAt, 'deliver', flight.message.to, 0, flight.id);
        return;
      }
      case 'pause': {
        const node = this.node(action.node);
        if (node.up) node.pausedUntil = Math.max(node.pausedUntil, this.w.now + action.ms);
        return void this.networkChanged(node.id, `${node.id} paused for ${action.ms} ms`);
      }
      case 'campaign':
        this.node(action.node).replica?.campaign();
        return void this.pump(this.node(action.node));
      case 'addNode':
        return void this.addNode();
      case 'client':
        return this.submit(action.request);
    }
  }

  crash(node: SimNode): void {
    if (!node.replica) return;
    const rd = node.persisting;
    let torn = false;
    if (rd && this.w.prng.chance(this.config.tornWriteRate)) {
      torn = true;
      this.writeTornPrefix(node, rd);
    }
    node.replica = null;
    this.failRequestsOn(node);
    this.record(node.id, { type: 'nodeCrashed', node: node.id, tornWrite: torn, lostWrite: rd !== null && !torn });
  }

  private setElectionTimers(mode: 'align' | 'spread'): void {
    const waiting = [...this.w.nodes.values()].filter((n) => n.raft && n.raft.role !== 'leader');
    if (waiting.length === 0) return;
    waiting.forEach((node, i) => {
      if (mode === 'spread') node.raft!.restartElectionTimer(i / Math.max(1, waiting.length - 1));
      else node.raft!.campaign();
    });
    const ids = waiting.map((n) => n.id);
    this.record(ids[0]!, { type: 'electionTimersSet', node: ids[0]!, mode, nodes: ids });
    for (const node of waiting) this.pump(node);
  }

  private partition(groups: NodeId[][]): void {
    const net = this.w.network;
    net.healAll();
    const groupOf = new Map<NodeId, number>();
    groups.forEach((group, i) => group.forEach((id) => groupOf.set(id, i)));
    for (const a of this.nodeIds) {
      for (const b of this.nodeIds) {
        if (a !== b && groupOf.get(a) !== groupOf.get(b)) net.cut(a, b, false);
      }
    }
  }

  private networkChanged(node: NodeId, description: string): void {
    this.record(node, { type: 'networkChanged', node, description });
  }

  // ---- node host ------------------------------------------------------------------------------

  private startNode(node: SimNode): void {
    node.incarnation++;
    node.pausedUntil = 0;
    node.replica = new Replica(node.storage, {
      raft: { ...this.config.raft, id: node.id, voters: node.initialVoters, seed: this.w.prng.int(0, 0x7fffffff) },
      snapshot: {
        entries: this.config.snapshotThreshold, logBytesMin: Number.POSITIVE_INFINITY, logToSnapshotRatio: 0,
        retainEntries: 0, chunkBytes: this.config.snapshotChunkBytes,
      },
      localReads: this.config.localReads,
      readContextPrefix: `${node.id}.${node.incarnation}`,
    });
    node.applyLog = [];
    // Nodes tick out of phase with each other, as real clocks do.
    this.schedule(this.w.now + this.w.prng.next() * this.config.tickMs, 'tick', node.id, node.incarnation, 0);
  }

  /** A node's side effects in this world: the simulated network, disk and clients. */
  private replicaIo(id: NodeId): ReplicaIo {
    return {
      send: (message) => this.sendMessage(message),
      persist: (rd) => this.startPersist(this.node(id), rd),
      // A snapshot is taken at once: reading the whole frozen view is cheap at simulated sizes.
      writeSnapshot: (source) => {
        const storage = this.node(id).storage;
        const chunks = snapshotChunksToStore(source, storage);
        storage.createSnapshot(source.index, chunks, source.config, source.retainEntries);
        return true;
      },
      answer: (ticket, response) => this.reply(this.w.requests.get(ticket)!, response),
      leaderUrl: (leader) => this.kvUrl(leader),
      observe: (rd) => this.observeReady(this.node(id), rd),
      applied: (entry, applied) => {
        this.node(id).applyLog.push(entry.index);
        for (const listener of this.appliedListeners) listener(id, entry, applied);
      },
    };
  }

  private onTick(id: NodeId, incarnation: number): void {
    const node = this.node(id);
    if (!node.replica || node.incarnation !== incarnation) return;
    node.replica.tick();
    this.pump(node);
    this.schedule(this.w.now + this.config.tickMs, 'tick', id, incarnation, 0);
  }

  private onDeliver(flightId: number): void {
    // A message rescheduled (delayMessage, holdMessage) has a later delivery task of its own.
    if ((this.w.network.inFlight.get(flightId)?.deliverAt ?? this.w.now) > this.w.now) return;
    const flight = this.w.network.arrive(flightId);
    if (!flight) return;
    const m = flight.message;
    const node = this.node(m.to);
    if (!node.replica) return this.recordDrop(m, flight.id, 'node_down');
    // A link cut while the message was on its way loses it too.
    if (!this.w.network.isLinkUp(m.from, m.to)) return this.recordDrop(m, flight.id, 'link_cut');
    node.replica.step(m, this.w.now);
    this.pump(node);
  }

  private pump(node: SimNode): void {
    node.replica?.pump(this.io(node.id));
  }

  /** A new server with an empty disk, started at once; the cluster learns of it only by a membership change. */
  private addNode(): NodeId {
    if (this.w.nodeIds.length >= 9) throw new RangeError('a simulated cluster has at most 9 servers');
    const id = nodeIdsFor(this.w.nodeIds.length + 1).at(-1)!;
    const node = new SimNode(id, []);
    this.w.nodes.set(id, node);
    this.w.nodeIds.push(id);
    this.startNode(node);
    this.record(id, { type: 'nodeAdded', node: id });
    return id;
  }

  private io(id: NodeId): ReplicaIo {
    let io = this.ios.get(id);
    if (!io) {
      io = this.replicaIo(id);
      this.ios.set(id, io);
    }
    return io;
  }

  /** A write that changes only the commit index is lazy (no fsync); anything else takes the disk's time. */
  private startPersist(node: SimNode, rd: Ready): boolean {
    if (!rd.mustSync) {
      if (rd.hardState) node.storage.setHardState(rd.hardState);
      return true;
    }
    const delay = this.config.diskLatencyMinMs + this.w.prng.next() * (this.config.diskLatencyMaxMs - this.config.diskLatencyMinMs);
    this.schedule(this.w.now + delay, 'persisted', node.id, node.incarnation, 0);
    return false;
  }

  private onPersisted(id: NodeId, incarnation: number): void {
    const node = this.node(id);
    const rd = node.persisting;
    if (!rd || node.incarnation !== incarnation) return;
    for (const chunk of rd.snapshotChunks) node.storage.receiveChunk(chunk);
    if (rd.snapshot) node.storage.installIncoming(rd.snapshot);
    node.storage.append(rd.entries);
    if (rd.hardState) node.storage.setHardState(rd.hardState);
    node.replica!.persisted(this.io(id));
    this.pump(node);
  }

  /**
   * A crash in the middle of a write keeps some prefix of it: snapshot chunks, the install, entries,
   * then the hard state, the order the real node's WAL writes them in. The hard state comes last
   * because its commit index speaks of the entries: kept without them, it would name as committed
   * the older entries a torn write left at those indexes, and the node would apply them on restart.
   */
  private writeTornPrefix(node: SimNode, rd: Ready): void {
    const parts = rd.snapshotChunks.length + (rd.snapshot ? 1 : 0) + rd.entries.length + (rd.hardState ? 1 : 0);
    let keep = this.w.prng.int(0, parts);
    for (const chunk of rd.snapshotChunks) if (keep-- > 0) node.storage.receiveChunk(chunk);
    if (rd.snapshot && keep-- > 0) node.storage.installIncoming(rd.snapshot);
    const entries = Math.min(keep, rd.entries.length);
    if (entries > 0) node.storage.append(rd.entries.slice(0, entries));
    keep -= entries;
    if (rd.hardState && keep > 0) node.storage.setHardState(rd.hardState);
  }

  private observeReady(node: SimNode, rd: Ready): void {
    if (this.config.checkInvariants) {
      const checker = this.w.checker;
      const before = checker.violations.length;
      checker.onReady(this.w.now, node.id, node.incarnation, rd, node.raft!, node.storage);
      if (rd.role === 'leader' && rd.hardState) checker.checkMatchIndexes(this.w.now, node.raft!, this.logViewOf);
      for (let i = before; i < checker.violations.length; i++) {
        const v = checker.violations[i]!;
        this.record(node.id, { type: 'invariantViolated', node: v.node, property: v.property, message: v.message });
      }
    }
    if (rd.traces.length > 0) return this.recordTraced(node, rd);
    for (const event of rd.events) this.record(node.id, event);
  }

  /**
   * Each event with the trace of the input that emitted it; every trace in the trace log. While
   * tracing, every event is emitted inside some input's trace and a Ready takes both together, so
   * the traces' events, in order, are the Ready's events.
   */
  private recordTraced(node: SimNode, rd: Ready): void {
    const log = this.w.traceLog;
    let recorded = 0;
    for (const trace of rd.traces) {
      log.push(Object.freeze({ at: this.w.now, trace }));
      for (const event of trace.events) {
        assert(rd.events[recorded] === event, 'a traced Ready lists its events in the order of its traces');
        this.record(node.id, event, trace);
        recorded++;
      }
    }
    assert(recorded === rd.events.length, 'every event of a traced Ready belongs to a trace');
    if (log.length > 2 * this.config.eventLogMax) log.splice(0, log.length - this.config.eventLogMax);
  }

  /** A node's term and log, from memory (a RaftNode is a LogView), or from disk while it is down. */
  private readonly logViewOf = (id: NodeId): LogView | undefined => {
    const other = this.w.nodes.get(id);
    if (!other) return undefined;
    if (other.raft) return other.raft;
    const storage = other.storage;
    return { term: storage.hardStateNow().term, firstIndex: storage.firstIndex(), termAt: (i) => storage.term(i) };
  };

  private sendMessage(message: Message): void {
    const result = this.w.network.send(message, this.w.now, this.w.prng);
    if (typeof result === 'string') return this.recordDrop(message, 0, result);
    for (const flight of result) this.schedule(flight.deliverAt, 'deliver', message.to, 0, flight.id);
  }

  private recordDrop(message: Message, id: number, reason: DropReason): void {
    this.record(message.from, { type: 'messageDropped', node: message.from, to: message.to, id, messageType: message.type, reason });
  }

  // ---- clients --------------------------------------------------------------------------------

  /** Sends a client request to a node; returns its id. The answer arrives later (see request(id)). */
  submit(input: ClientRequestInput): number {
    this.node(input.node);
    const id = this.w.nextRequestId++;
    // Built field by field, always with the same fields, whatever the input carried.
    const request: ClientRequest = {
      id, clientId: input.clientId, node: input.node, op: input.op, key: input.key, value: input.value, expected: input.expected, session: input.session,
      change: input.change, target: input.target,
      consistency: input.consistency ?? 'linearizable', record: (input.record ?? true) && isRecordable(input.op),
      sentAt: this.w.now, arrivedAt: null, response: null, repliedAt: null,
    };
    this.w.requests.set(id, request);
    this.schedule(this.w.now + this.config.clientLatencyMs, 'requestArrives', input.node, 0, id);
    return id;
  }

  private onRequestArrives(requestId: number): void {
    const request = this.w.requests.get(requestId)!;
    const node = this.node(request.node);
    request.arrivedAt = this.w.now;
    if (!node.replica) return this.reply(request, api.connectionRefused());
    const io = this.io(node.id);
    if (request.op === 'config' || request.op === 'transfer') {
      if (request.op === 'config' && request.change) node.replica.changeMembership(io, request.id, request.change);
      else if (request.op === 'transfer' && request.target) node.replica.transferLeadership(io, request.id, request.target);
      else return this.reply(request, api.badRequest());
      return;
    }
    const invalid = invalidRequest(request);
    if (invalid) return this.reply(request, invalid);
    const stale = request.consistency === 'stale';
    if (request.op === 'get') node.replica.read(io, request.id, request.key, stale);
    else if (request.op === 'range') node.replica.readRange(io, request.id, request.key, rangeLimit, stale);
    else node.replica.write(io, request.id, this.writeCommandOf(request), this.w.now);
    if (request.response) return;
    const isRead = request.op === 'get' || request.op === 'range';
    const timeoutMs = isRead ? this.config.readTimeoutMs : this.config.writeTimeoutMs;
    this.schedule(this.w.now + timeoutMs, 'requestTimeout', node.id, node.incarnation, request.id);
    this.pump(node);
  }

  private onRequestTimeout(requestId: number, incarnation: number): void {
    const request = this.w.requests.get(requestId)!;
    const node = this.node(request.node);
    if (request.response || node.incarnation !== incarnation || !node.replica) return;
    node.replica.expire(this.io(node.id), requestId);
  }

  private failRequestsOn(node: SimNode): void {
    for (const request of this.w.requests.values()) {
      if (request.node === node.id && request.arrivedAt !== null && !request.response) this.reply(request, api.connectionLost());
    }
  }

  /** The node answers; the answer reaches the client one client latency later. */
  private reply(request: ClientRequest, response: ApiResponse): void {
    if (request.response) return;
    request.response = response;
    this.schedule(this.w.now + this.config.clientLatencyMs, 'replyArrives', request.node, 0, request.id);
  }

  private onReplyArrives(requestId: number): void {
    const request = this.w.requests.get(requestId)!;
    const response = request.response!;
    request.repliedAt = this.w.now;
    // An answered request never changes again: frozen, checkpoints share it (and what it holds)
    // instead of copying it.
    Object.freeze(request);
    this.record(request.node, { type: 'clientReplied', node: request.node, requestId, op: request.op, key: request.key, status: response.status });
    if (request.record) this.w.history.push(Object.freeze(historyOpOf(request, response)));
    this.forgetOldAnswers(requestId);
  }

  /** Answered requests stay readable through request(id) for a while, not forever (long runs). */
  private forgetOldAnswers(requestId: number): void {
    const answered = this.w.answered;
    answered.push(requestId);
    if (answered.length <= 2 * retainAnsweredRequests) return;
    for (const id of answered.splice(0, answered.length - retainAnsweredRequests)) this.w.requests.delete(id);
  }

  kvUrl(id: NodeId): string {
    return `sim://${id}`;
  }

  private writeCommandOf(request: ClientRequest): WriteCommand {
    const session = request.session === undefined ? {} : { session: request.session };
    switch (request.op) {
      case 'put': return { op: 'set', key: request.key, value: request.value!, ...session };
      case 'delete': return { op: 'delete', key: request.key, ...session };
      case 'cas': return { op: 'cas', key: request.key, expected: request.expected ?? null, value: request.value!, ...session };
      case 'session': return { op: 'register', timeoutMs: this.config.sessionTimeoutMs };
      default: throw new RangeError(`${request.op} is not a write`);
    }
  }

  // ---- plumbing -------------------------------------------------------------------------------

  private schedule(at: number, kind: TaskKind, node: NodeId, incarnation: number, id: number): void {
    this.w.queue.push({ at, seq: 0, kind, node, incarnation, id });
  }

  private record(_node: NodeId, event: RaftEvent | SimEvent, trace?: DecisionTrace): void {
    // Logged events are history: frozen, so checkpoints share them.
    const timed: TimedEvent = Object.freeze(trace ? { at: this.w.now, event: Object.freeze(event), trace } : { at: this.w.now, event: Object.freeze(event) });
    const log = this.w.eventLog;
    log.push(timed);
    if (log.length > 2 * this.config.eventLogMax) log.splice(0, log.length - this.config.eventLogMax);
    for (const listener of this.listeners) listener(timed);
  }

  /**
   * A fingerprint of the whole world: clock, PRNG, every node's memory and disk, the messages on
   * the wire, the links, the clients' history and the checker's findings.
   */
  stateHash(): string {
    const w = this.w;
    // The PRNG's state is private: the number it would draw next (from a copy) stands for it.
    const h = new StateHasher().add(w.now).add(w.steps).add(cloneState(w.prng).next());
    for (const id of this.nodeIds) hashNode(h, this.node(id));
    for (const f of w.network.inFlight.values()) h.add(f.id).add(f.deliverAt).add(f.message.type).add(f.message.from).add(f.message.to);
    for (const link of [...w.network.cutLinks].sort()) h.add(link);
    h.add(JSON.stringify(w.network.config)).add(w.nextRequestId).add(w.history.length).add(w.checker.violations.length);
    return h.hex();
  }

  // ---- time travel ----------------------------------------------------------------------------

  checkpoint(): SimCheckpoint {
    return { at: this.w.now, steps: this.w.steps, world: cloneState(this.w) };
  }

  restore(checkpoint: SimCheckpoint): void {
    this.w = cloneState(checkpoint.world);
  }

  /** Rebuilds a run from its config and recorded actions, up to a step count (all by default). */
  static replay(config: SimConfigInput, actions: readonly RecordedAction[], untilStep = Infinity): Simulation {
    const sim = new Simulation(config);
    for (const recorded of actions) {
      if (recorded.afterStep > untilStep) break;
      while (sim.w.steps < recorded.afterStep && sim.step());
      sim.w.now = Math.max(sim.w.now, recorded.at);
      sim.act(recorded.action);
    }
    while (sim.w.steps < untilStep && sim.step());
    return sim;
  }
}

export type AppliedListener = (node: NodeId, entry: Entry, applied: Applied) => void;

/** How many pairs a simulated range read returns at most. */
const rangeLimit = 100;

/** The ops the linearizability checker models (a range read, opening a session and membership requests are not recorded). */
const isRecordable = (op: SimClientOp): op is HistoryOp['op'] => op === 'put' || op === 'get' || op === 'delete' || op === 'cas';

/** The node's checks at the edge, as the HTTP routes make them; null when the request is well formed. */
function invalidRequest(request: ClientRequest): ApiResponse | null {
  if (request.op === 'session' || request.op === 'range') return null;
  if (isEmptyKey(request.key)) return api.emptyKey();
  if ((request.op === 'put' || request.op === 'cas') && typeof request.value !== 'string') return api.badRequest();
  if (request.op === 'cas' && !(request.expected === null || typeof request.expected === 'string')) return api.badRequest();
  return null;
}

function historyOpOf(request: ClientRequest, response: ApiResponse): HistoryOp {
  assert(isRecordable(request.op), `${request.op} is not recorded`);
  const status = outcomeOf(request.op, response);
  const op: HistoryOp = {
    clientId: request.clientId,
    op: request.op,
    key: request.key,
    call: request.sentAt,
    return: status === 'unknown' ? null : request.repliedAt,
    status,
  };
  if (request.op === 'put' || request.op === 'cas') op.value = request.value!;
  if (request.op === 'cas') op.expected = request.expected ?? null;
  if (request.op === 'get' && status === 'ok') op.output = response.status === 200 ? (response.body.value as string) : null;
  if (request.op === 'cas' && status === 'ok') {
    op.swapped = response.body.swapped as boolean;
    op.output = response.body.value as string | null;
  }
  return op;
}
