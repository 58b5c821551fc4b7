/**
 * The public face of the core, in the etcd-raft shape. The host feeds inputs (tick, step, propose,
 * readIndex) and repeatedly takes a Ready, handling it in this order:
 *   1. persist the snapshot, hard state and entries (fsync);
 *   2. send the messages (those with waitForPersist=false may go out before step 1 finishes);
 *   3. apply the committed entries (and restore the snapshot) to the state machine;
 *   4. call advance(ready).
 * Only one Ready is out at a time; inputs may arrive while it is being handled.
 */
import { assert } from './assert';
import type { RaftConfigInput, UnsafeOptions } from './config';
import { resolveRaftConfig } from './config';
import { campaign } from './election';
import type { RaftEvent } from './events';
import type { Message, OutboundMessage } from './messages';
import type { ProgressState } from './progress';
import { Raft } from './raft';
import type { DroppedRead, ReadDropReason, ReadState } from './read-index';
import { requestRead } from './read-index';
import type { ConfigChangeRefusal } from './membership';
import { applyChange, checkChange } from './membership';
import { flushAppends, maybeCommit, sendHeartbeats, transferLeadership } from './replication';
import type { Storage } from './storage';
import type { DecisionTrace, TraceInputKind } from './trace';
import { noTraces } from './trace';
import type { Command, ConfigChange, Configuration, Entry, HardState, NodeId, Role, SessionTag, SnapshotChunk, SnapshotMeta } from './types';
import { none } from './types';

export interface Ready {
  role: Role;
  leaderId: NodeId | null;
  /** Persist when not null. */
  hardState: HardState | null;
  /**
   * Whether the write must be synced (fsync) before messages that wait for it are sent: true when
   * entries, a snapshot, the term or the vote changed. A change of the commit index alone may be
   * written lazily (it is recomputed from the log after a crash), as etcd's MustSync does.
   */
  mustSync: boolean;
  /** Persist (replacing any held entries at the same indexes). */
  entries: Entry[];
  /** Chunks of a snapshot being received: persist, in order, before anything else. */
  snapshotChunks: SnapshotChunk[];
  /** A snapshot received in full (its chunks persisted): install it, replacing the log, then restore
   *  the state machine from it. */
  snapshot: SnapshotMeta | null;
  messages: OutboundMessage[];
  /** Apply in order, after persisting. */
  committedEntries: Entry[];
  /** Reads that became safe: serve each once this node has applied `index`. */
  readStates: ReadState[];
  /** Reads that will never be confirmed (answer them as unavailable). */
  droppedReads: DroppedRead[];
  events: RaftEvent[];
  /** With RaftConfig.traceDecisions: the decisions behind this Ready, one trace per input (see trace.ts). Empty otherwise. */
  traces: readonly DecisionTrace[];
}

export type ProposeResult =
  | { ok: true; index: number; term: number }
  | { ok: false; reason: 'not_leader' | 'uncommitted_limit' | 'transferring'; leaderId: NodeId | null };

/** Why a membership change was not proposed. */
export type ConfChangeRefusal =
  | 'not_leader'
  | 'transferring'
  /** The leader has not committed an entry of its own term yet (Ongaro's 2015 rule). */
  | 'leader_not_ready'
  /** Another change is in the log, not committed yet: one at a time. */
  | 'change_in_progress'
  /** A learner to promote is too far behind the leader's commit index. */
  | 'learner_behind'
  | ConfigChangeRefusal;

export type ConfChangeResult =
  | { ok: true; index: number; term: number; config: Configuration }
  | { ok: false; reason: ConfChangeRefusal; leaderId: NodeId | null };

export type TransferResult = { ok: true } | { ok: false; reason: 'not_leader' | 'self' | 'not_voter'; leaderId: NodeId | null };

export type ReadIndexResult = { ok: true } | { ok: false; reason: ReadDropReason };

export interface FollowerStatus {
  match: number;
  next: number;
  state: ProgressState;
  inflight: number;
  recentActive: boolean;
}

export interface RaftStatus {
  id: NodeId;
  role: Role;
  term: number;
  vote: NodeId | null;
  leaderId: NodeId | null;
  commitIndex: number;
  lastApplied: number;
  firstIndex: number;
  lastIndex: number;
  lastTerm: number;
  /** Index and term of the log's base (the compaction point: entries after it are held). */
  logBaseIndex: number;
  logBaseTerm: number;
  /** Index and term of the latest snapshot (at or after the log's base). */
  snapshotIndex: number;
  snapshotTerm: number;
  voters: NodeId[];
  learners: NodeId[];
  /** Index of the configuration entry in effect (0: the initial configuration). */
  configIndex: number;
  /** Leader: the voter leadership is being handed to. */
  leadTransferee: NodeId | null;
  electionElapsed: number;
  electionTimeout: number;
  /** Candidate and pre-candidate: the answers received so far in this election. */
  votes: Record<NodeId, boolean> | null;
  /** Leader only. */
  progress: Record<NodeId, FollowerStatus> | null;
}

/**
 * A learner may be promoted once its log is at most `lagMax` entries behind the leader's commit
 * index, and once it has acknowledged something at all: with a short log, a learner that is down
 * (match 0) would otherwise count as caught up, and promoting it could leave no majority alive.
 */
const isCaughtUp = (match: number, committed: number, lagMax: number): boolean => match > 0 && match + lagMax >= committed;

export class RaftNode {
  private readonly raft: Raft;
  private persistedHardState: HardState;
  private outstanding: Ready | null = null;

  constructor(config: RaftConfigInput, storage: Storage) {
    this.raft = new Raft(resolveRaftConfig(config), storage);
    this.persistedHardState = this.hardState();
  }

  get id(): NodeId {
    return this.raft.id;
  }

  get role(): Role {
    return this.raft.role;
  }

  get term(): number {
    return this.raft.term;
  }

  get leaderId(): NodeId | null {
    return this.raft.lead;
  }

  get commitIndex(): number {
    return this.raft.log.committed;
  }

  get appliedIndex(): number {
    return this.raft.log.applied;
  }

  get lastIndex(): number {
    return this.raft.log.lastIndex();
  }

  get firstIndex(): number {
    return this.raft.log.firstIndex();
  }

  /** The members whose votes and acknowledgements count. */
  get voters(): readonly NodeId[] {
    return this.raft.voters;
  }

  /** The term of the entry at `index`, or undefined if compacted or absent. */
  termAt(index: number): number | undefined {
    return this.raft.log.term(index);
  }

  tick(): void {
    this.begin('tick');
    this.raft.tick();
  }

  step(message: Message): void {
    if (this.raft.tracing) this.raft.tracer!.begin('message', this.raft.term, message);
    this.raft.step(message);
  }

  /** A new input: the decisions that follow belong to it (only when tracing). */
  private begin(input: TraceInputKind): void {
    if (this.raft.tracing) this.raft.tracer!.begin(input, this.raft.term);
  }

  /** Starts an election now, as if the election timeout had fired (not on a leader, a learner or a non-member). */
  campaign(): void {
    this.begin('campaign');
    if (this.raft.role !== 'leader' && this.raft.isVoter()) campaign(this.raft, this.raft.config.preVote);
  }

  /** Leader: some follower is receiving a snapshot from this node. */
  isSendingSnapshot(): boolean {
    if (this.raft.role !== 'leader') return false;
    for (const pr of this.raft.progress.values()) if (pr.state === 'snapshot') return true;
    return false;
  }

  /** Leader: the voter leadership is being handed to, if any. */
  get leadTransferee(): NodeId | null {
    return this.raft.leadTransferee;
  }

  /** The membership in effect (the latest configuration in this node's log). */
  get configuration(): Configuration {
    return this.raft.membership.config;
  }

  /**
   * Every other member this node may have to reach: those of the latest configuration and, until a
   * change commits, those of the committed one (a member being removed still gets its removal).
   */
  get peers(): readonly NodeId[] {
    return this.raft.peers;
  }

  /**
   * Leader: whether member `id` is close enough to the commit index to be promoted (the rule
   * proposeConfChange applies); null on other nodes, or for a node that is not a member.
   */
  isCaughtUp(id: NodeId): boolean | null {
    const match = this.matchIndexOf(id);
    return match === null ? null : isCaughtUp(match, this.raft.log.committed, this.raft.config.promoteLagEntriesMax);
  }

  /** Leader: the highest index known to be replicated on member `id`; null on other nodes or for a non-member. */
  matchIndexOf(id: NodeId): number | null {
    const r = this.raft;
    return r.role === 'leader' ? r.progress.get(id)?.match ?? null : null;
  }

  /** The membership in effect at `index` (at or after the latest snapshot). */
  configurationAt(index: number): Configuration {
    return this.raft.membership.configAt(index);
  }

  /**
   * Proposes one membership change. Refused unless this node leads, has committed an entry of
   * its own term, and the previous change is committed; the change itself must make sense (a
   * learner to promote must have caught up). In effect on every node once in its log; the caller
   * learns it committed when the entry at `index` is applied.
   */
  proposeConfChange(change: ConfigChange): ConfChangeResult {
    const r = this.raft;
    this.begin('confChange');
    const refuse = (reason: ConfChangeRefusal): ConfChangeResult => {
      if (r.tracing) r.note('Membership', 'change allowed', { change: change.type, node: change.node, reason }, false, `refuse: ${reason.replace(/_/g, ' ')}`);
      r.emit({ type: 'configChangeRefused', change, reason });
      return { ok: false, reason, leaderId: r.role === 'leader' ? r.id : r.lead };
    };
    if (r.role !== 'leader') return refuse('not_leader');
    if (r.leadTransferee !== null) return refuse('transferring');
    if (!r.hasCommittedInTerm() && r.config.unsafe.configChangeBeforeOwnTermCommit !== true) return refuse('leader_not_ready');
    if (r.membership.index > r.log.committed) return refuse('change_in_progress');
    const config = r.membership.config;
    const refusal = checkChange(config, change);
    if (refusal) return refuse(refusal);
    if (change.type === 'promote' && !isCaughtUp(r.progress.get(change.node)!.match, r.log.committed, r.config.promoteLagEntriesMax)) return refuse('learner_behind');
    const next = applyChange(config, change);
    if (r.tracing) r.note('Membership', 'change allowed', { change: change.type, node: change.node, configIndex: r.membership.index, commitIndex: r.log.committed }, true, `append the new configuration at index ${r.log.lastIndex() + 1}; it is in effect at once`);
    const entry = r.appendEntry({ op: 'config', change, config: next });
    r.emit({ type: 'proposalAccepted', index: entry.index, command: entry.command });
    if (r.isSoleVoter()) maybeCommit(r);
    return { ok: true, index: entry.index, term: entry.term, config: next };
  }

  /** Hands leadership to a voter (thesis 3.10); the leader refuses writes until it is done or an election timeout passed. */
  transferLeadership(target: NodeId): TransferResult {
    const r = this.raft;
    this.begin('transfer');
    if (r.role !== 'leader') return { ok: false, reason: 'not_leader', leaderId: r.lead };
    const result = transferLeadership(r, target);
    return result === 'started' ? { ok: true } : { ok: false, reason: result, leaderId: r.id };
  }

  /** Appends a command if this node is the leader. The caller learns the outcome when an entry at
   *  `index` is applied: with `term` it committed; with another term it was lost. */
  propose(command: Command): ProposeResult {
    const r = this.raft;
    this.begin('propose');
    if (r.role !== 'leader') return this.dropProposal('not_leader');
    if (r.leadTransferee !== null) return this.dropProposal('transferring');
    if (r.log.lastIndex() - r.log.committed >= r.config.uncommittedEntriesMax) return this.dropProposal('uncommitted_limit');
    const valid = validateCommand(command);
    if (r.tracing) r.note('Leaders 2', 'role == leader', { role: r.role }, true, `append the command at index ${r.log.lastIndex() + 1}; answer once it is applied`);
    const entry = r.appendEntry(valid);
    r.emit({ type: 'proposalAccepted', index: entry.index, command: entry.command });
    if (r.isSoleVoter()) maybeCommit(r);
    return { ok: true, index: entry.index, term: entry.term };
  }

  private dropProposal(reason: 'not_leader' | 'uncommitted_limit' | 'transferring'): ProposeResult {
    const r = this.raft;
    const leaderId = reason === 'transferring' ? r.leadTransferee : r.role === 'leader' ? r.id : r.lead;
    if (r.tracing) {
      const values = { role: r.role, leader: r.lead, uncommitted: r.log.lastIndex() - r.log.committed, transferring: r.leadTransferee !== null };
      r.note('Leaders 2', reason === 'not_leader' ? 'role == leader' : reason === 'transferring' ? '!transferring' : 'uncommitted < limit', values, false, `refuse: ${reason.replace(/_/g, ' ')}`);
    }
    r.emit({ type: 'proposalDropped', reason, leaderId });
    return { ok: false, reason, leaderId };
  }

  /** Asks for a linearizable read point; the answer arrives in a later Ready (readStates or droppedReads). */
  readIndex(context: string): ReadIndexResult {
    this.begin('readIndex');
    const result = requestRead(this.raft, context);
    if (!result.ok) this.raft.emit({ type: 'readDropped', context, reason: result.reason });
    return result;
  }

  /**
   * Restarts the election timer with a chosen timeout instead of a random one: `share` 0 is the
   * shortest configured timeout, 1 the longest (the simulator's "spread the timers" button; the
   * next role change draws a random one again).
   */
  restartElectionTimer(share: number): void {
    assert(share >= 0 && share <= 1, `timer share ${share} outside [0, 1]`);
    const { electionTimeoutTicksMin: min, electionTimeoutTicksMax: max } = this.raft.config;
    this.raft.electionElapsed = 0;
    this.raft.randomizedElectionTimeout = min + Math.round(share * (max - min));
  }

  /** Sends heartbeats now (used by hosts that want to refresh followers at once). */
  heartbeat(): void {
    this.begin('heartbeat');
    const r = this.raft;
    if (r.tracing) r.note('Leaders 1', 'role == leader', { role: r.role }, r.role === 'leader', r.role === 'leader' ? `send an empty AppendEntries (heartbeat) to ${r.peers.length} followers now` : 'nothing: not the leader');
    if (r.role === 'leader') sendHeartbeats(r);
  }

  hasReady(): boolean {
    if (this.outstanding) return false;
    const r = this.raft;
    return (
      r.messages.length > 0 ||
      r.events.length > 0 ||
      r.appendPending ||
      r.reads.heartbeatNeeded ||
      r.reads.readStates.length > 0 ||
      r.reads.droppedReads.length > 0 ||
      r.log.unstable.hasEntriesToPersist() ||
      r.log.unstable.chunks.length > 0 ||
      r.log.unstable.hasSnapshotToPersist() ||
      r.log.committed > r.log.applied ||
      !this.hardStateIsPersisted()
    );
  }

  /** Takes everything that happened since the last Ready. Sends queued appends first, so proposals
   *  made since the last Ready travel together. */
  ready(): Ready {
    assert(this.outstanding === null, 'ready() called again before advance()');
    const r = this.raft;
    this.begin('ready');
    if (r.reads.heartbeatNeeded && r.role === 'leader') {
      if (r.tracing) r.note('ReadIndex 2', 'readsWaiting > 0', { readsWaiting: r.reads.pending.length }, true, `send a heartbeat to ${r.peers.length} followers: their answers confirm I still lead`);
      sendHeartbeats(r);
    }
    r.reads.heartbeatNeeded = false;
    flushAppends(r);
    const hardState = this.hardStateIsPersisted() ? this.persistedHardState : this.hardState();
    const snapshotChunks = r.log.unstable.takeChunksToPersist();
    const snapshot = r.log.unstable.takeSnapshotToPersist();
    const entries = r.log.unstable.takeEntriesToPersist();
    const prev = this.persistedHardState;
    const rd: Ready = {
      role: r.role,
      leaderId: r.lead,
      hardState: hardState === prev ? null : hardState,
      mustSync: entries.length > 0 || snapshotChunks.length > 0 || snapshot !== null || hardState.term !== prev.term || hardState.vote !== prev.vote,
      entries,
      snapshotChunks,
      snapshot,
      messages: sendsBeforePersist(r.config.unsafe) ? answerBeforePersist(r.config.unsafe, r.messages) : r.messages,
      committedEntries: snapshot ? none() : r.log.entriesToApply(r.config.applyEntriesPerReadyMax),
      readStates: r.reads.readStates,
      droppedReads: r.reads.droppedReads,
      events: r.events,
      traces: r.tracing ? r.tracer!.take() : noTraces,
    };
    // Most Readies carry few kinds of output: an empty queue is handed out as the shared empty
    // array and not replaced (the simulator makes millions of Readies; these arrays were most of
    // its garbage). A non-empty one is handed out and replaced, so later output never joins it.
    if (r.messages.length > 0) r.messages = [];
    else rd.messages = none();
    if (r.events.length > 0) r.events = [];
    else rd.events = none();
    if (r.reads.readStates.length > 0) r.reads.readStates = [];
    else rd.readStates = none();
    if (r.reads.droppedReads.length > 0) r.reads.droppedReads = [];
    else rd.droppedReads = none();
    if (rd.hardState) this.persistedHardState = rd.hardState;
    this.outstanding = rd;
    return rd;
  }

  /** The host persisted, sent and applied `rd`. */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'advance() with a Ready that is not the outstanding one');
    this.outstanding = null;
    const r = this.raft;
    this.begin('advance');
    if (rd.snapshot) {
      r.log.unstable.stableSnapshotTo(rd.snapshot.index);
      r.log.applied = Math.max(r.log.applied, rd.snapshot.index);
    }
    const lastEntry = rd.entries[rd.entries.length - 1];
    if (lastEntry) r.log.unstable.stableTo(lastEntry.index, lastEntry.term);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) {
      if (r.tracing) {
        const first = rd.committedEntries[0]!.index;
        const what = first === lastApplied.index ? `entry ${first}` : `entries ${first}-${lastApplied.index}`;
        r.note('All Servers 1', 'commitIndex > lastApplied', { commitIndex: r.log.committed, lastApplied: r.log.applied }, true, `applied ${what}; lastApplied = ${lastApplied.index}`);
      }
      r.log.appliedTo(lastApplied.index);
      for (const e of rd.committedEntries) r.emit({ type: 'entryApplied', index: e.index, entryTerm: e.term, command: e.command });
    }
    if (r.role === 'leader' && r.progress.get(r.id)!.maybeUpdate(r.log.lastStableIndex())) maybeCommit(r);
  }

  /** The host took a snapshot of its state machine at `index` and compacted its log. */
  reportSnapshotTaken(index: number, term: number, compactedTo: number): void {
    this.begin('snapshotTaken');
    if (this.raft.tracing) this.raft.note('Log compaction', 'snapshotIndex <= lastApplied', { snapshotIndex: index, lastApplied: this.raft.log.applied }, index <= this.raft.log.applied, `the host took a snapshot at index ${index}; the log may drop entries up to ${compactedTo}`);
    this.raft.membership.noteCompacted(index);
    this.raft.emit({ type: 'snapshotTaken', index, snapshotTerm: term, compactedTo });
  }

  hardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  /** Whether the term, vote and commit index are the ones last handed out (no allocation: asked often). */
  private hardStateIsPersisted(): boolean {
    const p = this.persistedHardState;
    const r = this.raft;
    return p.term === r.term && p.vote === r.vote && p.commit === r.log.committed;
  }

  status(): RaftStatus {
    const r = this.raft;
    const log = r.log;
    const base = log.firstIndex() - 1;
    const snapshot = log.snapshot();
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leaderId: r.lead,
      commitIndex: log.committed,
      lastApplied: log.applied,
      firstIndex: log.firstIndex(),
      lastIndex: log.lastIndex(),
      lastTerm: log.lastTerm(),
      logBaseIndex: base,
      logBaseTerm: log.term(base) ?? 0,
      snapshotIndex: snapshot.index,
      snapshotTerm: snapshot.term,
      voters: [...r.voters],
      learners: [...r.membership.config.learners],
      configIndex: r.membership.index,
      leadTransferee: r.leadTransferee,
      electionElapsed: r.electionElapsed,
      electionTimeout: r.role === 'leader' ? r.config.electionTimeoutTicksMin : r.randomizedElectionTimeout,
      votes: r.role === 'candidate' || r.role === 'preCandidate' ? Object.fromEntries(r.votes) : null,
      progress: r.role === 'leader' ? progressStatus(r) : null,
    };
  }

  /** Entries in [lo, hi) from the log (for observers); undefined where compacted. */
  entries(lo: number, hi: number): Entry[] | undefined {
    return this.raft.log.slice(lo, hi, Number.MAX_SAFE_INTEGER);
  }
}

const sendsBeforePersist = (unsafe: UnsafeOptions): boolean => unsafe.voteBeforePersist === true || unsafe.ackAppendBeforePersist === true;

/**
 * The unsafe options that let a vote, or an acknowledgement of entries, go out before what it
 * promises is durable: the host sends them before it writes this Ready.
 */
function answerBeforePersist(unsafe: UnsafeOptions, messages: OutboundMessage[]): OutboundMessage[] {
  return messages.map(({ message, waitForPersist }) => {
    const early = (message.type === 'RequestVoteResponse' && !message.preVote && unsafe.voteBeforePersist === true) ||
      (message.type === 'AppendEntriesResponse' && unsafe.ackAppendBeforePersist === true);
    return { message, waitForPersist: waitForPersist && !early };
  });
}

function progressStatus(r: Raft): Record<NodeId, FollowerStatus> {
  const out: Record<NodeId, FollowerStatus> = {};
  for (const [id, pr] of r.progress) {
    out[id] = { match: pr.match, next: pr.next, state: pr.state, inflight: pr.inflights.count, recentActive: pr.recentActive };
  }
  return out;
}

export class InvalidCommandError extends Error {
  override name = 'InvalidCommandError';
}

/** Commands come from clients: check their shape at the edge of the core. */
function validateCommand(command: Command): Command {
  const c = command as { op?: unknown; key?: unknown; value?: unknown; expected?: unknown; timeoutMs?: unknown };
  if (c.op === 'noop') return { op: 'noop' };
  if (c.op === 'register') {
    if (!isCount(c.timeoutMs) || c.timeoutMs < 1) throw new InvalidCommandError('register command timeoutMs must be a positive integer');
    return { op: 'register', timeoutMs: c.timeoutMs, at: validTime(command) };
  }
  if (c.op !== 'set' && c.op !== 'delete' && c.op !== 'cas') throw new InvalidCommandError(`unknown command op ${String(c.op)}`);
  if (typeof c.key !== 'string' || c.key.length === 0) throw new InvalidCommandError('command key must be a non-empty string');
  const session = validSession(command);
  const tagged = session ? { session, at: validTime(command) } : {};
  if (c.op === 'delete') return { op: 'delete', key: c.key, ...tagged };
  if (typeof c.value !== 'string') throw new InvalidCommandError(`${String(c.op)} command value must be a string`);
  if (c.op === 'set') return { op: 'set', key: c.key, value: c.value, ...tagged };
  if (c.expected !== null && typeof c.expected !== 'string') throw new InvalidCommandError('cas command expected must be a string or null');
  return { op: 'cas', key: c.key, expected: c.expected, value: c.value, ...tagged };
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function validTime(command: Command): number {
  const at = (command as { at?: unknown }).at;
  if (!isCount(at)) throw new InvalidCommandError('a session command needs its time: at must be a non-negative integer');
  return at;
}

function validSession(command: Command): SessionTag | undefined {
  const session = (command as { session?: unknown }).session;
  if (session === undefined) return undefined;
  const s = session as Partial<Record<keyof SessionTag, unknown>>;
  if (typeof session !== 'object' || session === null || !isCount(s.client) || !isCount(s.seq) || !isCount(s.ack)) {
    throw new InvalidCommandError('command session must be {client, seq, ack} integers');
  }
  if (s.client < 1 || s.ack < 1 || s.ack > s.seq) throw new InvalidCommandError('command session needs client >= 1 and 1 <= ack <= seq');
  return { client: s.client, seq: s.seq, ack: s.ack };
}
