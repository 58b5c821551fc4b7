/**
 * The contract between the engine (which owns the Simulation, usually in a Web Worker) and the
 * store on the page: commands go in, plain snapshots come out. Everything here is structured-clone
 * friendly data, so the same types serve the worker, the in-page transport used by tests, and
 * live mode, which builds the same snapshots from real nodes (src/live/). The optional `live`
 * fields are set only there; the optional `lab` part only by the simulator.
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

// ---- a run: its setup and its script ---------------------------------------------------------------

/**
 * The protocol's rules the learner can switch off, each to see what it prevents (all on is the
 * real protocol). `readIndex` off serves reads from the node's own state; `commitRule` off lets a
 * leader commit old-term entries by counting replicas (Figure 8).
 */
export interface ProtocolToggles {
  preVote: boolean;
  checkQuorum: boolean;
  leaderNoop: boolean;
  fastBacktracking: boolean;
  readIndex: boolean;
  commitRule: boolean;
}

export type ProtocolName = keyof ProtocolToggles;
export const protocolNames: readonly ProtocolName[] = ['preVote', 'checkQuorum', 'leaderNoop', 'fastBacktracking', 'readIndex', 'commitRule'];
export const fullProtocol: Readonly<ProtocolToggles> = Object.freeze({
  preVote: true, checkQuorum: true, leaderNoop: true, fastBacktracking: true, readIndex: true, commitRule: true,
});

/** How the page sets up a run: what a link carries besides the learner's actions. */
export interface RunSetup {
  seed: number;
  nodeCount: number;
  protocol: ProtocolToggles;
  /** Background client operations per simulated second at the start (later changes are actions). */
  loadOpsPerSec: number;
  /** Message loss rate at the start (later changes are actions). */
  lossRate: number;
  /**
   * Bug-zoo options switched on (core's UnsafeOptions names), sorted; absent or empty: none.
   * `commitOldTermByCount` is never listed here: it is the commit rule switched off (`protocol.commitRule`).
   */
  bugs?: string[];
}

/** A membership change or a leadership transfer, as the operator sends it to a node (the simulator's client request). */
export type OperatorRequest = Extract<SimAction, { type: 'client' }> & { request: { clientId: 'operator'; op: 'config' | 'transfer' } };

/** User actions the engine accepts besides client requests (client requests carry a target); the operator's requests name their node. */
export type UserAction = Exclude<SimAction, { type: 'client' }> | OperatorRequest;

/**
 * Everything that changes a run from outside, recorded with the moment it happened so that time
 * travel, branches, links and scenario files replay it exactly: the learner's actions and a guided
 * scenario's. Client retries and the background load are not here: the engine derives them from
 * the run, the same way on every replay.
 */
export type LearnerAction =
  | { type: 'sim'; action: SimAction }
  | { type: 'request'; client: string; op: ClientOp; key: string; value: string; target: ClientTarget; stale: boolean; retry: boolean }
  | { type: 'setLoad'; opsPerSec: number };

export interface ScriptEntry {
  /** Applied once the simulation has taken this many steps... */
  step: number;
  /** ...at this simulated time (ms). */
  at: number;
  action: LearnerAction;
}

/** A run as a link or a scenario file carries it (scenario-file.ts has the JSON format). */
export interface SharedRun {
  setup: RunSetup;
  script: ScriptEntry[];
  /** Simulated time to stop at (the moment the link was copied); the last action's when absent. */
  at?: number;
  title?: string;
  /** A scenario file's checks; a plain link has none. */
  expect?: Expectation[];
}

/** What a scenario file checks, at a moment of its run. */
export type Expectation =
  | { at: number; check: 'leader'; node: NodeId | null }
  | { at: number; check: 'role'; node: NodeId; role: DisplayRole }
  | { at: number; check: 'term'; node: NodeId; term: number }
  | { at: number; check: 'commitIndexAtLeast'; node: NodeId; index: number }
  | { at: number; check: 'value'; node: NodeId; key: string; value: string | null }
  | { at: number; check: 'safety'; violated: string[] }
  | { at: number; check: 'stateHash'; hash: string };

export interface ExpectationResult {
  expectation: Expectation;
  ok: boolean;
  /** What the run showed, in words. */
  actual: string;
}

export type RunUntil = 'election' | 'commit' | 'violation';

export type EngineCommand =
  | { type: 'reset'; setup: RunSetup }
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'stepBack' }
  | { type: 'runUntil'; until: RunUntil }
  | { type: 'setSpeed'; speed: number }
  | { type: 'seek'; at: number }
  /** Jumps to the step that caused violation number `index` of the run. */
  | { type: 'seekViolation'; index: number }
  | { type: 'switchBranch'; id: number }
  | { type: 'act'; action: UserAction }
  | { type: 'client'; op: ClientOp; target: ClientTarget; key: string; value: string; stale: boolean; client?: string; retry?: boolean }
  | { type: 'setLoad'; opsPerSec: number }
  | { type: 'setVerboseFeed'; verbose: boolean }
  /** Runs a guided scenario on a fresh cluster; `protocol` replaces the page's toggles first (a protocol scenario's "with" and "without"). */
  | { type: 'runScenario'; id: string; protocol?: ProtocolToggles }
  | { type: 'stopScenario' }
  /** Opens a shared run or a scenario file: replays it to its moment (and checks what it expects). */
  | { type: 'load'; run: SharedRun }
  /** Which log index the log view starts at; null follows the newest entries. */
  | { type: 'setLogView'; lo: number | null }
  /** The message the inspector shows (the engine tells its story and its fate). */
  | { type: 'inspect'; id: number | null }
  /** What the pseudocode view explains: a feed line or a message (null: nothing). */
  | { type: 'explain'; target: ExplainTarget | null };

// ---- what the views show ------------------------------------------------------------------------------

export interface EntryView {
  index: number;
  term: number;
  /** "no-op", "set k=v", "del k". */
  label: string;
  /** On disk (false: still in the node's memory, lost if it crashes now). */
  durable: boolean;
  /** A membership change (drawn apart in the log view). */
  config?: true;
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
  /**
   * Simulator only: its place in the membership as the cluster sees it (the leader's configuration,
   * or the most advanced node's while none leads); 'none' for a server not added yet, or removed.
   */
  member?: MemberRole;
  /** Simulator only: the configuration this node itself counts majorities in. */
  config?: { voters: NodeId[]; learners: NodeId[] };
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

/** One try of a client request: where it went and what came back. */
export interface AttemptView {
  node: NodeId;
  sentAt: number;
  status: number | null;
  repliedAt: number | null;
  /** The leader a 409 pointed to. */
  hint: NodeId | null;
}

export interface ClientRequestView {
  id: number;
  op: RequestOp;
  key: string;
  value: string | null;
  /** The node the request went to (its last try, for a client that retries). */
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
  /** Simulator: which client sent it, every try (following 409 hints, retrying), and the time from first send to final answer. */
  client?: string;
  attempts?: AttemptView[];
  latencyMs?: number | null;
}

export interface ScenarioInfo {
  id: string;
  title: string;
  summary: string;
  group: 'start' | 'checklist' | 'paper' | 'protocol' | 'lab' | 'persistence' | 'membership' | 'zoo';
  /** A protocol scenario's rule: it passes with the rule on and fails with it off. */
  toggle?: ProtocolName;
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

// ---- the simulator's extras ---------------------------------------------------------------------------

export interface BranchView {
  id: number;
  name: string;
  /** When it split from the branch it came from (0 for the first). */
  forkAt: number;
  horizon: number;
  actions: number;
  current: boolean;
}

/** An action of the learner's (or a scenario's) on the time scrubber. */
export interface MarkView {
  at: number;
  label: string;
}

export interface SafetyProperty {
  id: 'election_safety' | 'log_matching' | 'leader_completeness' | 'state_machine_safety' | 'commit_regressed' | 'apply_order';
  title: string;
  /** What it promises, in a sentence. */
  rule: string;
  /** Indexes into `violations`. */
  violations: number[];
}

export interface ChallengeView {
  id: string;
  title: string;
  hint: string;
  achieved: boolean;
  /** How the engine saw it done. */
  how: string | null;
}

/** A message's fate once it left the wire, and the sentences the inspector shows. */
export interface MessageStory {
  id: number;
  /** Why it was sent, with the values compared. */
  why: string;
  /** What the receiver decided and why (replies; requests once answered). */
  verdict: string | null;
  fate: 'in flight' | 'delivered' | 'dropped by you' | 'lost by the network' | 'cut link' | 'receiver down';
  fateText: string;
  delayedMs: number;
  copies: number;
}

/** A feed line (by its seq) or a message (by its id): what the pseudocode view explains. */
export type ExplainTarget = { kind: 'event'; seq: number } | { kind: 'message'; id: number };

/** One step of the core's decision trace, ready to draw: the rule, its wording, the condition with its values. */
export interface PseudocodeLine {
  /** The rule's id ("AppendEntries receiver 1"), as the core's trace names it. */
  rule: string;
  /** The rule in Figure 2's words (or the extension's). */
  text: string;
  /** The condition the handler tested, each name followed by its value ("term 3 < currentTerm 4"). */
  condition: string;
  holds: boolean;
  /** What the handler did ("reply false"). */
  result: string;
}

/** One input a node handled (a message, a tick, a client command...): its decisions in order. */
export interface PseudocodeSection {
  /** "n2 handles AppendEntries from n1 (term 3)". */
  title: string;
  /** Why this section is here: the sender's decisions, the receiver's, or the event's own. */
  role: 'event' | 'sender' | 'receiver';
  node: NodeId;
  at: number;
  lines: PseudocodeLine[];
}

export interface PseudocodeView {
  target: ExplainTarget;
  /** What was selected, in words. */
  title: string;
  sections: PseudocodeSection[];
  /** Said when there is nothing (or not everything) to show, and why. */
  note: string | null;
}

export interface LoadedRun {
  title: string | null;
  status: 'running' | 'pass' | 'fail' | 'replayed';
  results: ExpectationResult[];
}

/** One option of the bug zoo (core's sim/bug-zoo.ts) and its two guided runs. */
export interface ZooEntryView {
  /** The UnsafeOptions name, e.g. truncateMatchingEntries. */
  name: string;
  /** The rule it breaks. */
  rule: string;
  /** What goes wrong when it bites. */
  effect: string;
  /** The guided run with the bug on (passes when the checkers catch it) and the same script with the rule kept. */
  bugScenario: string;
  ruleScenario: string;
}

/** What the bug-zoo run on screen showed: the rule broken (and how it was caught), or kept. */
export interface ZooVerdictView {
  bug: string;
  rule: string;
  /** 'bug': the rule broken (the bug's run, or the rule's run with the option on); 'rule': the rule's run. */
  variant: 'bug' | 'rule';
  /** For 'bug', pass means the checkers caught it. */
  status: ScenarioStatus;
  /** With the bug, once caught: by the invariant checker, the linearizability checker, or the run's progress check. */
  caughtAs: ('safety' | 'linearizability' | 'progress')[];
}

/** Where a node stands in the cluster's membership, as the most up-to-date node sees it. */
export type MemberRole = 'voter' | 'learner' | 'none';

export interface LabView {
  /** The run's fingerprint (core's Simulation.stateHash). */
  stateHash: string;
  /** The rules this run uses (a guided scenario may set its own). */
  protocol: ProtocolToggles;
  /** The unsafe options this run uses (commitOldTermByCount included when the commit rule is off). */
  bugs: string[];
  /** The bug zoo, for its switches. */
  zoo: readonly ZooEntryView[];
  /** The verdict of the bug-zoo run on screen, if one is. */
  zooVerdict: ZooVerdictView | null;
  branches: BranchView[];
  marks: MarkView[];
  safety: SafetyProperty[];
  challenges: ChallengeView[];
  /** The inspected message's story, when the page asked for one. */
  story: MessageStory | null;
  /** The rules the core applied for the selected event or message (the pseudocode view). */
  pseudocode: PseudocodeView | null;
  /** The script of the current branch up to now, for "Copy link" and "Export". */
  script: ScriptEntry[];
  loaded: LoadedRun | null;
  /** Every index any node holds or held: the log view scrolls over [first, last]. */
  logRange: { first: number; last: number };
  followLog: boolean;
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
  /** Set by the simulator only: branches, the state hash, the safety panel, challenges... */
  lab?: LabView;
}
