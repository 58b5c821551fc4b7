/**
 * The contract between the engine (which owns the Simulation, usually in a Web Worker) and the
 * store on the page: commands go in, plain snapshots come out. Everything here is structured-clone
 * friendly data, so the same types serve the worker, the in-page transport used by tests, and
 * live mode, which builds the same snapshots from real nodes (src/live/). The optional `live`
 * fields are set only there.
 */
import type { NodeId, Role } from '@raft-kv/core';
import type { NetworkConfig, SimAction } from '@raft-kv/core/sim';

export type DisplayRole = 'leader' | 'follower' | 'candidate' | 'down';
export type ScenarioStatus = 'idle' | 'running' | 'pass' | 'fail';
export type ClientOp = 'put' | 'get' | 'delete';
/** What a request in the client panel was (the membership API's requests too). */
export type RequestOp = ClientOp | 'config' | 'transfer';
/** A node id, or "whoever is leader when the request is sent". */
export type ClientTarget = NodeId | 'leader';

/** How the page sets up a run: the knobs a URL can carry. */
export interface RunSetup {
  seed: number;
  nodeCount: number;
  /** Leaders commit old-term entries by counting replicas (breaks Figure 8 on purpose). */
  unsafeCommitOldTerm: boolean;
}

/** User actions the engine accepts besides client requests (client requests carry a target). */
export type UserAction = Exclude<SimAction, { type: 'client' }>;

export type EngineCommand =
  | { type: 'reset'; setup: RunSetup }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'setSpeed'; speed: number }
  | { type: 'seek'; at: number }
  | { type: 'act'; action: UserAction }
  | { type: 'client'; op: ClientOp; target: ClientTarget; key: string; value: string; stale: boolean }
  | { type: 'setLoad'; opsPerSec: number }
  | { type: 'setVerboseFeed'; verbose: boolean }
  | { type: 'runScenario'; id: string }
  | { type: 'stopScenario' };

export interface EntryView {
  index: number;
  term: number;
  /** "no-op", "set k=v", "del k". */
  label: string;
  /** On disk (false: still in the node's memory, lost if it crashes now). */
  durable: boolean;
}

export interface FollowerProgressView {
  match: number;
  next: number;
  /** probe / replicate / snapshot (etcd's flow-control states). */
  state: string;
}

export interface NodeSnapshot {
  id: NodeId;
  up: boolean;
  /** The core's role, with preCandidate kept. */
  role: Role | 'down';
  /** What tests and the API report: a pre-candidate is a follower (as /health reports it). */
  displayRole: DisplayRole;
  term: number;
  votedFor: NodeId | null;
  leaderId: NodeId | null;
  commitIndex: number;
  lastApplied: number;
  lastIndex: number;
  snapshotIndex: number;
  logLength: number;
  /** What survives a crash: hard state and the log on disk. */
  durable: { term: number; vote: NodeId | null; commit: number; lastIndex: number; snapshotIndex: number };
  /** Election timer in ticks (followers and candidates), for the arc around the node. */
  timer: { elapsed: number; timeout: number } | null;
  /** Answers a candidate or pre-candidate has received so far in its current election. */
  votes: Record<NodeId, 'granted' | 'rejected'> | null;
  preVote: boolean;
  /** Leader only: nextIndex/matchIndex per follower. */
  progress: Record<NodeId, FollowerProgressView> | null;
  /** Entries inside the shared index window (see SimSnapshot.logWindow). */
  entries: EntryView[];
  /** The applied KV map; null while the node is down (it lives in memory). */
  kv: [string, string][] | null;
  /** A Ready is being written to disk right now. */
  persisting: boolean;
  /** The last `[apply] index=N` lines of this life, and whether the whole life's sequence is strictly increasing. */
  applyLog: { last: number[]; count: number; increasing: boolean };
  lastHeartbeatAgoMs: number;
  /** Live mode only: the real process behind the node. */
  live?: LiveNodeInfo;
}

/** Why a real node is shown as down: its process is not running, or the page cannot hear it. */
export type LiveDownReason = 'stopped' | 'starting' | 'unreachable' | 'connecting';

export interface LiveNodeInfo {
  /** What the supervisor says about the process ('unknown' before the first answer). */
  process: 'running' | 'stopped' | 'starting' | 'unknown';
  pid: number | null;
  /** The page's status stream from the node (socket.io) is connected. */
  connected: boolean;
  /** Null while the node is up. */
  downReason: LiveDownReason | null;
  kvUrl: string;
  raftUrl: string;
  /** The KV map on screen is the first liveKvMax pairs only. */
  kvTruncated: boolean;
  /** Traffic this node drops (the fault endpoint), as it last reported. */
  dropTo: NodeId[];
  dropFrom: NodeId[];
  tickMs: number;
}

/** Live mode only: where the page gets the real cluster from, and how that is going. */
export interface LiveClusterInfo {
  /** The supervisor's origin (the page's own). */
  origin: string;
  supervisor: 'connecting' | 'ok' | 'unreachable';
  /** The last failure talking to the supervisor, in plain words. */
  error: string | null;
  /** Epoch ms the session started: live times (feed, client) count from here. */
  startedAt: number;
}

export interface MessageView {
  id: number;
  type: string;
  from: NodeId;
  to: NodeId;
  term: number;
  sentAt: number;
  deliverAt: number;
  /** A heartbeat: an AppendEntries without entries. */
  heartbeat: boolean;
  /** A reply that says no (vote refused, append rejected, read refused). */
  rejected: boolean;
  /** A reply that says yes. */
  granted: boolean;
  preVote: boolean;
  /** Entries carried (AppendEntries). */
  entryCount: number;
  duplicate: boolean;
  /** Every field of the message, flattened for the inspector. */
  fields: [string, string][];
}

export interface FeedItem {
  seq: number;
  at: number;
  node: NodeId | null;
  text: string;
  kind: FeedKind;
  tone: 'info' | 'good' | 'bad';
}

export type FeedKind = 'election' | 'vote' | 'replication' | 'commit' | 'client' | 'fault' | 'snapshot' | 'safety' | 'scenario' | 'read' | 'membership';

export interface ClientRequestView {
  id: number;
  op: RequestOp;
  key: string;
  value: string | null;
  /** The node the request went to. */
  node: NodeId;
  /** How the target was chosen ("the leader" resolved at send time). */
  via: 'leader' | 'node';
  stale: boolean;
  sentAt: number;
  status: number | null;
  body: Record<string, unknown> | null;
  repliedAt: number | null;
  /** Live mode: the real URL the request went to. */
  url?: string;
}

export interface ScenarioInfo {
  id: string;
  title: string;
  summary: string;
  group: 'checklist' | 'paper' | 'lab' | 'persistence';
}

export interface ScenarioRun {
  id: string;
  narration: { at: number; text: string }[];
  error: string | null;
}

export interface ViolationView {
  at: number;
  node: NodeId;
  property: string;
  message: string;
}

export interface LinearizabilityView {
  verdict: 'linearizable' | 'not_linearizable' | 'unknown' | 'empty';
  ops: number;
  explanation: string | null;
}

export interface SimSnapshot {
  /** Increases with every snapshot the engine posts. */
  seq: number;
  setup: RunSetup;
  clock: {
    now: number;
    steps: number;
    playing: boolean;
    speed: number;
    /** The furthest point of this run's timeline (the scrubber's right end). */
    horizon: number;
    /** Showing a moment before the horizon: playing replays the recorded future, acting forks a new one. */
    inPast: boolean;
  };
  nodes: NodeSnapshot[];
  /** Directed links that deliver nothing, as "from>to". */
  cutLinks: string[];
  network: NetworkConfig;
  messages: MessageView[];
  /** Log indexes [lo, hi] shown for every node, aligned. */
  logWindow: { lo: number; hi: number };
  feed: FeedItem[];
  verboseFeed: boolean;
  violations: ViolationView[];
  linearizability: LinearizabilityView;
  /** The client panel's requests, newest first. */
  client: ClientRequestView[];
  loadOpsPerSec: number;
  scenarios: ScenarioInfo[];
  scenarioStatus: Record<string, ScenarioStatus>;
  scenarioRun: ScenarioRun | null;
  /** Set in live mode only (the snapshot then describes real nodes; clock.now is ms since the session started). */
  live?: LiveClusterInfo;
}
