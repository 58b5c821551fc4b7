/**
 * Live mode's engine: the page's connection to a real cluster. It plays the part the simulator's
 * engine plays in simulator mode (the same Transport: EngineCommands in, snapshots out), so the
 * store, the actions and the views stay the same:
 *
 * - it asks the supervisor (`npm start`, the page's own origin) for the cluster every second,
 *   and at once after a kill or a restart;
 * - it keeps one socket.io stream per node (statuses and core events; socket.io reconnects by
 *   itself when a node comes back);
 * - kill, restart, isolate, cut and heal go to the supervisor's API; client requests go straight
 *   to a node's KV port over HTTP, and the panel shows the real answer;
 * - it builds a SimSnapshot from what it heard (mapping.ts) at most every 100 ms.
 *
 * Time travel, speed, stepping, message animation and guided scenarios are simulator-only: those
 * commands are ignored here and the live view does not offer them.
 */
import type { LiveCluster, LiveFaultCommand, LiveNodeStatus, NodeId } from '@raft-kv/core';
import type { EngineOptions, Scheduler } from '../engine/engine';
import { Feed } from '../engine/feed';
import type { FeedEvent } from '../engine/feed';
import type { PageNote } from '../engine/narrate';
import type { ClientOp, ClientRequestView, ClientTarget, EngineCommand, FeedItem, SimSnapshot, UserAction } from '../engine/protocol';
import { fullProtocol } from '../engine/protocol';
import type { Transport } from '../engine/transport';
import type { Fetch } from './api';
import { fetchCluster, killNode, kvRequest, kvRequestOf, restartNode, sendFault } from './api';
import { appendLiveEvents, appendNote, isEventBatch } from './events';
import type { FaultOverlay, NodeInput, NodeLink } from './mapping';
import { clientNode, cutLinksOf, emptyLink, faultsOf, liveNodes } from './mapping';

export interface LiveSocketHandlers {
  onConnect(): void;
  onDisconnect(reason: string): void;
  onConnectError(message: string): void;
  onStatus(status: unknown): void;
  onEvents(batch: unknown): void;
}

/** Opens a node's status stream (socket.io in the page, a fake in tests). */
export type Connect = (url: string, handlers: LiveSocketHandlers) => { close(): void };

export interface LiveDeps {
  /** The supervisor's origin: the page's own. */
  origin: string;
  fetch: Fetch;
  connect: Connect;
  scheduler: Scheduler;
  /** Epoch ms (Date.now in the page). */
  wallNow(): number;
}

/** How often the page asks the supervisor which processes run. */
export const clusterPollMs = 1000;
/** Least time between two snapshots: nodes send statuses every 100 ms at most. */
export const livePublishEveryMs = 100;
const clientRequestsShown = 12;
/** After the page kills a node, losing its stream is expected for this long and not narrated. */
const killGraceMs = 5000;

const liveNetwork = { latencyMinMs: 0, latencyMaxMs: 0, lossRate: 0, duplicateRate: 0, reorderRate: 0, reorderDelayMaxMs: 0 };

export function isStatus(value: unknown): value is LiveNodeStatus {
  if (typeof value !== 'object' || value === null) return false;
  const s = value as Partial<LiveNodeStatus>;
  return typeof s.id === 'string' && typeof s.role === 'string' && typeof s.term === 'number' && typeof s.commitIndex === 'number'
    && typeof s.lastApplied === 'number' && typeof s.lastIndex === 'number' && Array.isArray(s.entries) && Array.isArray(s.kv)
    && typeof s.durable === 'object' && s.durable !== null && typeof s.applyLog === 'object' && s.applyLog !== null;
}

interface Stream {
  url: string;
  close(): void;
  /** The page told the feed it lost this stream (so it also says when it is back). */
  lossNarrated: boolean;
  /** A status arrived on this stream (the first one is narrated: where the node stands). */
  heard: boolean;
}

export class LiveSession implements Transport {
  private readonly deps: LiveDeps;
  private startedAt = 0;
  private onSnapshot: ((snapshot: SimSnapshot) => void) | null = null;
  private cluster: LiveCluster | null = null;
  private supervisor: 'connecting' | 'ok' | 'unreachable' = 'connecting';
  private error: string | null = null;
  private readonly links = new Map<NodeId, NodeLink>();
  private readonly streams = new Map<NodeId, Stream>();
  private readonly killedAt = new Map<NodeId, number>();
  private overlay: FaultOverlay | null = null;
  private readonly events: FeedEvent[] = [];
  private readonly feed = new Feed();
  private feedItems: FeedItem[] = [];
  private feedDirty = true;
  private verbose = false;
  private requests: ClientRequestView[] = [];
  private nextRequestId = 1;
  private seq = 0;
  private pollTimer: unknown = null;
  private polling = false;
  private pollAgain = false;
  private publishTimer: unknown = null;
  private lastPublish = -Infinity;
  private stopped = false;

  constructor(deps: LiveDeps) {
    this.deps = deps;
  }

  /** Page time: ms since the session started. */
  private now(): number {
    return this.deps.wallNow() - this.startedAt;
  }

  start(_options: EngineOptions, onSnapshot: (snapshot: SimSnapshot) => void): void {
    this.startedAt = this.deps.wallNow();
    this.onSnapshot = onSnapshot;
    this.publish(true);
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.pollTimer !== null) this.deps.scheduler.cancel(this.pollTimer);
    if (this.publishTimer !== null) this.deps.scheduler.cancel(this.publishTimer);
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
    this.onSnapshot = null;
  }

  send(command: EngineCommand): void {
    switch (command.type) {
      case 'act':
        this.act(command.action);
        break;
      case 'client':
        void this.client(command.op, command.target, command.key, command.value, command.stale);
        break;
      case 'setVerboseFeed':
        this.verbose = command.verbose;
        this.feedDirty = true;
        break;
      default:
        // play, pause, step, speed, seek, reset, background load, guided scenarios: the simulator's.
        return;
    }
    this.publish(true);
  }

  // ---- the supervisor ---------------------------------------------------------------------------

  /** Asks for the cluster now (after a command), or as soon as the request under way is answered. */
  private pollSoon(): void {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.pollTimer !== null) this.deps.scheduler.cancel(this.pollTimer);
    this.pollTimer = null;
    void this.poll();
  }

  private async poll(): Promise<void> {
    this.pollTimer = null;
    this.polling = true;
    try {
      const cluster = await fetchCluster(this.deps.fetch, this.deps.origin);
      if (this.stopped) return;
      this.supervisor = 'ok';
      this.error = null;
      this.applyCluster(cluster);
    } catch (error) {
      if (this.stopped) return;
      this.supervisor = 'unreachable';
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.polling = false;
    }
    if (this.stopped) return;
    this.publish(true);
    if (this.pollAgain) {
      this.pollAgain = false;
      void this.poll();
    } else {
      this.pollTimer = this.deps.scheduler.later(() => void this.poll(), clusterPollMs);
    }
  }

  /** Takes the supervisor's view: narrates processes that died or came back, and opens a stream to every node. */
  private applyCluster(cluster: LiveCluster): void {
    const before = new Map((this.cluster?.nodes ?? []).map((n) => [n.id, n]));
    const at = this.now();
    for (const node of cluster.nodes) {
      const prev = before.get(node.id);
      const died = prev && prev.state !== 'stopped' && node.state === 'stopped';
      const replaced = prev && prev.state === 'running' && node.state === 'running' && prev.pid !== null && node.pid !== null && prev.pid !== node.pid;
      const back = prev && prev.state === 'stopped' && node.state !== 'stopped';
      if (died || replaced) this.addEvent(at, { type: 'nodeCrashed', node: node.id, tornWrite: false, lostWrite: false });
      if (back || replaced) this.addEvent(at, { type: 'nodeRestarted', node: node.id });
      if (!this.links.has(node.id)) this.links.set(node.id, emptyLink());
      const stream = this.streams.get(node.id);
      if (!stream || stream.url !== node.observeUrl) {
        stream?.close();
        this.openStream(node.id, node.observeUrl);
      }
    }
    const listed = new Set(cluster.nodes.map((n) => n.id));
    for (const [id, stream] of this.streams) {
      if (listed.has(id)) continue;
      stream.close();
      this.streams.delete(id);
      this.links.delete(id);
    }
    this.cluster = cluster;
  }

  private openStream(id: NodeId, url: string): void {
    const link = this.links.get(id)!;
    link.socket = 'connecting';
    link.fresh = false;
    const stream: Stream = { url, close: () => {}, lossNarrated: false, heard: false };
    const current = () => this.streams.get(id) === stream && !this.stopped;
    const handle = this.deps.connect(url, {
      onConnect: () => {
        if (!current()) return;
        link.socket = 'connected';
        link.fresh = false;
        if (stream.lossNarrated) {
          stream.lossNarrated = false;
          this.note(id, `the page hears ${id} again (its status stream reconnected)`, 'fault', 'good');
        }
        this.publish();
      },
      onDisconnect: (reason) => {
        if (!current()) return;
        link.socket = 'disconnected';
        link.fresh = false;
        this.maybeNarrateLoss(id, stream, reason);
        this.publish();
      },
      onConnectError: () => {
        if (!current() || link.socket === 'disconnected') return;
        link.socket = 'disconnected';
        this.publish();
      },
      onStatus: (status) => {
        if (!current() || !isStatus(status)) return;
        if (!stream.heard) {
          stream.heard = true;
          const leader = status.role === 'leader' ? '' : status.leaderId ? `, following ${status.leaderId}` : ', no leader known';
          this.note(id, `the page hears ${id}: ${status.role === 'preCandidate' ? 'pre-candidate' : status.role} in term ${status.term}${leader}, commit index ${status.commitIndex}`, 'fault', 'info');
        }
        link.status = status;
        link.fresh = true;
        link.socket = 'connected';
        link.receivedAt = this.now();
        this.publish();
      },
      onEvents: (batch) => {
        if (!current() || !isEventBatch(batch)) return;
        appendLiveEvents(this.events, batch, this.startedAt);
        this.feedDirty = true;
        this.publish();
      },
    });
    stream.close = handle.close;
    this.streams.set(id, stream);
  }

  /** A stream lost while the supervisor says the process runs, and not just after a kill: say so. */
  private maybeNarrateLoss(id: NodeId, stream: Stream, reason: string): void {
    const process = this.cluster?.nodes.find((n) => n.id === id)?.state;
    const killed = this.killedAt.get(id);
    if (process === 'stopped' || (killed !== undefined && this.now() - killed < killGraceMs)) return;
    stream.lossNarrated = true;
    this.note(id, `the page lost ${id}'s status stream (${reason}): it is shown as down until it answers again`, 'fault', 'bad');
  }

  // ---- commands ---------------------------------------------------------------------------------

  private act(action: UserAction): void {
    const { fetch, origin } = this.deps;
    switch (action.type) {
      case 'crash':
        this.killedAt.set(action.node, this.now());
        return this.command(`kill ${action.node}`, action.node, () => killNode(fetch, origin, action.node));
      case 'restart':
        return this.command(`restart ${action.node}`, action.node, () => restartNode(fetch, origin, action.node));
      case 'isolate':
        return this.fault({ type: 'isolate', node: action.node });
      case 'cut':
        return this.fault({ type: 'cut', from: action.from, to: action.to, bothWays: action.bothWays });
      case 'heal':
        return this.fault({ type: 'heal', from: action.from, to: action.to, bothWays: action.bothWays });
      case 'healAll':
        return this.fault({ type: 'healAll' });
      default:
        this.note(null, `"${action.type}" is a simulator control: real processes have no such switch`, 'fault', 'bad');
    }
  }

  private command(what: string, node: NodeId, run: () => Promise<unknown>): void {
    run().then(
      () => this.pollSoon(),
      (error: unknown) => {
        this.note(node, `the supervisor refused to ${what}: ${error instanceof Error ? error.message : String(error)}`, 'fault', 'bad');
        this.publish(true);
      },
    );
  }

  private fault(command: LiveFaultCommand): void {
    sendFault(this.deps.fetch, this.deps.origin, command).then(
      (faults) => {
        if (this.stopped) return;
        if (faults) this.overlay = { faults, at: this.now() };
        const { text, tone } = describeFault(command, this.cluster?.nodes.map((n) => n.id) ?? []);
        this.note('node' in command ? command.node : 'from' in command ? command.from : null, text, 'fault', tone);
        this.publish(true);
      },
      (error: unknown) => {
        if (this.stopped) return;
        this.note(null, `the supervisor refused the fault (${command.type}): ${error instanceof Error ? error.message : String(error)}`, 'fault', 'bad');
        this.publish(true);
      },
    );
  }

  private async client(op: ClientOp, target: ClientTarget, key: string, value: string, stale: boolean): Promise<void> {
    const node = clientNode(target, this.nodeSnapshots().nodes);
    const kvUrl = node?.live?.kvUrl ?? '';
    const id = this.nextRequestId++;
    const view: ClientRequestView = {
      id, op, key, value: op === 'put' ? value : null, node: node?.id ?? String(target), via: target === 'leader' ? 'leader' : 'node',
      stale: op === 'get' && stale, sentAt: this.now(), status: null, body: null, repliedAt: null,
      ...(kvUrl ? { url: kvRequestOf(kvUrl, op, key, value, stale).url } : {}),
    };
    this.requests = [view, ...this.requests].slice(0, clientRequestsShown);
    this.publish(true);
    const answer = kvUrl
      ? await kvRequest(this.deps.fetch, kvUrl, op, key, value, stale)
      : { status: 0, body: { ok: false, error: 'no_cluster', message: 'the page does not know this node yet' } };
    if (this.stopped) return;
    const repliedAt = this.now();
    this.requests = this.requests.map((r) => (r.id === id ? { ...r, status: answer.status, body: answer.body, repliedAt } : r));
    this.addEvent(repliedAt, { type: 'clientReplied', node: view.node, requestId: id, op, key, status: answer.status });
    this.publish(true);
  }

  // ---- snapshots --------------------------------------------------------------------------------

  private addEvent(at: number, event: FeedEvent['event']): void {
    appendNote(this.events, at, event);
    this.feedDirty = true;
  }

  private note(node: NodeId | null, text: string, kind: PageNote['kind'], tone: PageNote['tone']): void {
    this.addEvent(this.now(), { type: 'pageNote', node, text, kind, tone });
  }

  private nodeSnapshots() {
    const ids = this.cluster ? this.cluster.nodes.map((n) => n.id) : [...this.links.keys()];
    const inputs: NodeInput[] = ids.map((id) => {
      const link = this.links.get(id) ?? emptyLink();
      return { id, cluster: this.cluster?.nodes.find((n) => n.id === id), link, faults: faultsOf(id, link, this.overlay) };
    });
    return { ids, inputs, ...liveNodes(inputs) };
  }

  /** Posts a snapshot now when `due` or when the last one is old enough; otherwise a little later. */
  private publish(due = false): void {
    if (this.stopped || !this.onSnapshot) return;
    const t = this.deps.scheduler.now();
    const wait = livePublishEveryMs - (t - this.lastPublish);
    if (!due && wait > 0) {
      this.publishTimer ??= this.deps.scheduler.later(() => {
        this.publishTimer = null;
        this.publish(true);
      }, wait);
      return;
    }
    if (this.publishTimer !== null) this.deps.scheduler.cancel(this.publishTimer);
    this.publishTimer = null;
    this.lastPublish = t;
    this.onSnapshot(this.snapshot());
  }

  snapshot(): SimSnapshot {
    const { ids, inputs, nodes, logWindow } = this.nodeSnapshots();
    if (this.feedDirty) {
      this.feedItems = this.feed.build(this.events, [], this.verbose);
      this.feedDirty = false;
    }
    const now = this.now();
    return {
      seq: ++this.seq,
      setup: { seed: 0, nodeCount: ids.length, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0 },
      // Real time: nothing to play, pause or scrub.
      clock: { now, steps: 0, playing: false, speed: 1, horizon: now, inPast: false },
      nodes,
      cutLinks: cutLinksOf(Object.fromEntries(inputs.map((i) => [i.id, i.faults])), ids),
      network: liveNetwork,
      messages: [],
      logWindow,
      feed: this.feedItems,
      verboseFeed: this.verbose,
      violations: [],
      linearizability: { verdict: 'empty', ops: 0, explanation: null },
      client: this.requests,
      loadOpsPerSec: 0,
      scenarios: [],
      scenarioStatus: {},
      scenarioRun: null,
      live: { origin: this.deps.origin, supervisor: this.supervisor, error: this.error, startedAt: this.startedAt },
    };
  }
}

/** A fault command in plain words, for the feed. */
export function describeFault(command: LiveFaultCommand, ids: readonly NodeId[]): { text: string; tone: PageNote['tone'] } {
  switch (command.type) {
    case 'isolate': {
      const peers = ids.filter((id) => id !== command.node).join(', ') || 'its peers';
      return { text: `${command.node} is isolated: it sends nothing to ${peers} and ignores everything they send`, tone: 'bad' };
    }
    case 'cut':
      return command.bothWays
        ? { text: `link ${command.from}–${command.to} cut both ways: nothing gets through`, tone: 'bad' }
        : { text: `link ${command.from}→${command.to} cut one way: ${command.from}'s messages to ${command.to} are lost, ${command.to}→${command.from} still works`, tone: 'bad' };
    case 'heal':
      return { text: command.bothWays ? `link ${command.from}–${command.to} healed` : `link ${command.from}→${command.to} healed`, tone: 'good' };
    case 'healAll':
      return { text: 'every link healed: all traffic flows again', tone: 'good' };
  }
}
