/**
 * The decision trace: which rule of Figure 2 (or of the core's extensions) each handler applied,
 * with the values it compared and what it did. The handlers record the steps themselves, as they
 * decide, so the trace is the core's own reasoning, not a second model of Raft. The playground's
 * pseudocode view shows it; the real node never turns it on (RaftConfig.traceDecisions), and every
 * recording site is behind one boolean, so it costs nothing there.
 */
import type { RaftEvent } from './events';
import type { Message } from './messages';
import type { NodeId } from './types';

/**
 * Every rule a step can name, in Figure 2's words (RequestVote and AppendEntries receiver
 * implementation, Rules for Servers), then the core's extensions. The ids are what the view shows
 * and what tests assert on; the text is the rule as the paper (or the thesis) states it.
 */
export const traceRules = {
  'RequestVote receiver 1': 'Reply false if term < currentTerm',
  'RequestVote receiver 2': "If votedFor is null or candidateId, and candidate's log is at least as up-to-date as receiver's log, grant vote",
  'AppendEntries receiver 1': 'Reply false if term < currentTerm',
  'AppendEntries receiver 2': "Reply false if log doesn't contain an entry at prevLogIndex whose term matches prevLogTerm",
  'AppendEntries receiver 3': 'If an existing entry conflicts with a new one (same index but different terms), delete the existing entry and all that follow it',
  'AppendEntries receiver 4': 'Append any new entries not already in the log',
  'AppendEntries receiver 5': 'If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)',
  'All Servers 1': 'If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied] to state machine',
  'All Servers 2': 'If RPC request or response contains term T > currentTerm: set currentTerm = T, convert to follower',
  'Followers 2': 'If election timeout elapses without receiving AppendEntries from current leader or granting vote to candidate: convert to candidate',
  'Candidates 1': 'On conversion to candidate, start election: increment currentTerm, vote for self, reset election timer, send RequestVote RPCs to all other servers',
  'Candidates 2': 'If votes received from majority of servers: become leader',
  'Candidates 3': 'If AppendEntries RPC received from new leader: convert to follower',
  'Candidates 4': 'If election timeout elapses: start new election',
  'Leaders 1': 'Upon election: send initial empty AppendEntries RPCs (heartbeat) to each server; repeat during idle periods',
  'Leaders 2': 'If command received from client: append entry to local log, respond after entry applied to state machine',
  'Leaders 3': 'If last log index >= nextIndex for a follower: send AppendEntries RPC with log entries starting at nextIndex',
  'Leaders 3.1': 'If successful: update nextIndex and matchIndex for follower',
  'Leaders 3.2': 'If AppendEntries fails because of log inconsistency: decrement nextIndex and retry',
  'Leaders 4': 'If there exists an N such that N > commitIndex, a majority of matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex = N',
  // ---- the core's extensions ----
  'Stale reply': 'A reply from an older term carries nothing this node can use: ignore it',
  'Committed prefix': 'Entries up to commitIndex already match the leader (Leader Completeness): answer with commitIndex',
  'Election Safety': 'At most one leader per term: refuse AppendEntries or InstallSnapshot from another leader of my term',
  'PreVote 1': 'Before raising its term, a node asks whether it could win: RequestVote with term + 1, changing no term and no vote',
  'PreVote 2': 'A pre-vote is granted on the log check alone and changes nothing on the voter',
  'CheckQuorum 1': 'A leader that has not heard from a majority within an election timeout steps down',
  'CheckQuorum 2': 'A node that heard from a leader within the minimum election timeout ignores vote requests (leader lease)',
  'Fast backtracking': "On a rejection, skip the follower's whole conflicting term (its hint) instead of one entry",
  'Retransmit': 'A follower whose appends went unanswered for too long is probed again from its matchIndex',
  'InstallSnapshot receiver 1': 'Reply immediately if term < currentTerm',
  'InstallSnapshot covered': 'A snapshot at or below commitIndex adds nothing: answer with commitIndex',
  'InstallSnapshot receiver 6': 'If existing log entry has same index and term as snapshot\'s last included entry, retain log entries following it and reply',
  'InstallSnapshot chunks': 'Keep a chunk only if it is the next one needed; otherwise say which one is',
  'InstallSnapshot receiver 7': 'When the last chunk is in: discard the entire log, reset the state machine using snapshot contents',
  'Leaders snapshot': 'A follower needs entries the log no longer holds: send it the snapshot instead',
  'Snapshot chunks': 'Stream the snapshot a few chunks at a time: send the next ones while the window allows',
  'Log compaction': 'Each server snapshots its applied state on its own; the log entries the snapshot covers can be discarded',
  'ReadIndex 1': 'A read waits until the leader has committed an entry of its term; then readIndex = commitIndex',
  'ReadIndex 2': 'The leader confirms it still leads: a majority answers a heartbeat sent after the read arrived',
  'ReadIndex 3': 'Only the leader can confirm a read',
  'Membership': 'One configuration change at a time, proposed by a leader that has committed an entry of its term',
  'TimeoutNow': 'Leadership transfer: the leader tells a caught-up voter to campaign now, without waiting for its timer',
} as const;

export type TraceRule = keyof typeof traceRules;

export type TraceValue = number | string | boolean | null;

export interface TraceStep {
  readonly rule: TraceRule;
  /** The condition as the handler tested it, naming the values (see formatCondition). */
  readonly condition: string;
  readonly values: Readonly<Record<string, TraceValue>>;
  /** Whether the condition held. */
  readonly holds: boolean;
  /** What the handler did because of it ("reply false", "grant vote"). */
  readonly result: string;
}

/** What a node was handling when it decided. */
export type TraceInputKind =
  | 'message' | 'tick' | 'propose' | 'confChange' | 'transfer' | 'readIndex' | 'campaign' | 'heartbeat' | 'ready' | 'advance'
  | 'snapshotTaken' | 'host';

/** One input's decisions: the steps in order, and the events it emitted and the messages it sent. */
export interface DecisionTrace {
  readonly node: NodeId;
  /** The node's term when the input arrived. */
  readonly term: number;
  readonly input: TraceInputKind;
  /** The message handled (input 'message'). */
  readonly message: Message | null;
  readonly steps: readonly TraceStep[];
  readonly events: readonly RaftEvent[];
  readonly sent: readonly Message[];
}

/** A trace while its input runs. */
interface OpenTrace extends DecisionTrace {
  readonly steps: TraceStep[];
  readonly events: RaftEvent[];
  readonly sent: Message[];
}

/** A Ready's traces when no one traces: one shared frozen array, so an untraced Ready allocates nothing for them. */
export const noTraces: readonly DecisionTrace[] = Object.freeze([]);

/**
 * Collects the traces of one node. Only built when tracing is on; the node checks its `tracing`
 * boolean before every call, so the values objects are never allocated otherwise.
 */
export class Tracer {
  private readonly node: NodeId;
  private current: OpenTrace | null = null;
  /** The input begun, until it records something (most ticks never do: they cost no trace). */
  private input: TraceInputKind = 'host';
  private message: Message | null = null;
  private term = -1;
  private done: DecisionTrace[] = [];

  constructor(node: NodeId) {
    this.node = node;
  }

  /** A new input starts: what follows belongs to it. Its trace is created when it records something. */
  begin(input: TraceInputKind, term: number, message: Message | null = null): void {
    this.finish();
    this.input = input;
    this.message = message && Object.freeze(message);
    this.term = term;
  }

  step(rule: TraceRule, condition: string, values: Record<string, TraceValue>, holds: boolean, result: string): void {
    // Not frozen one by one (that costs more than the step): the trace is, when it is done.
    this.trace().steps.push({ rule, condition, values, holds, result });
  }

  event(event: RaftEvent): void {
    this.trace().events.push(event);
  }

  /**
   * Messages are frozen once traced (nothing changes a message after it is sent): a simulation's
   * checkpoints then share them instead of copying them, so a trace still names the very message
   * object on the wire after time travel.
   */
  sent(message: Message): void {
    this.trace().sent.push(Object.freeze(message));
  }

  /** Every trace finished since the last call, frozen (they are history now). */
  take(): readonly DecisionTrace[] {
    this.finish();
    if (this.done.length === 0) return noTraces;
    const out = this.done;
    this.done = [];
    return out;
  }

  private trace(): OpenTrace {
    if (this.current) return this.current;
    this.current = { node: this.node, term: this.term, input: this.input, message: this.message, steps: [], events: [], sent: [] };
    return this.current;
  }

  /**
   * The trace is history now: frozen, so a simulation's checkpoints share it. Its arrays are not
   * frozen one by one (freezing costs more than the trace); their type is readonly instead.
   */
  private finish(): void {
    if (this.current) this.done.push(Object.freeze(this.current));
    this.current = null;
    // Every entry point of RaftNode begins its input; 'host' marks one that did not (a gap to fix).
    this.input = 'host';
    this.message = null;
    this.term = -1;
  }
}

/**
 * The condition with each value written after its name: "term < currentTerm" with term 3 and
 * currentTerm 4 reads "term 3 < currentTerm 4".
 */
export function formatCondition(step: Pick<TraceStep, 'condition' | 'values'>): string {
  return step.condition.replace(/[A-Za-z_][A-Za-z0-9_]*/g, (name) =>
    Object.prototype.hasOwnProperty.call(step.values, name) ? `${name} ${formatValue(step.values[name]!)}` : name);
}

function formatValue(value: TraceValue): string {
  if (value === null) return 'null';
  return typeof value === 'string' && value.includes(' ') ? `(${value})` : String(value);
}

/** One line: "AppendEntries receiver 1: term 3 < currentTerm 4 -> reply false". */
export function formatStep(step: TraceStep): string {
  return `${step.rule}: ${formatCondition(step)}${step.holds ? '' : ' is false'} -> ${step.result}`;
}
