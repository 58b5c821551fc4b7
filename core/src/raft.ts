/**
 * The Raft state machine of one node: roles, terms and the dispatch of every input. It does no I/O
 * and reads no clock; messages and events pile up until the host takes them in a Ready.
 * Role behaviour lives in election.ts, replication.ts, follower.ts and read-index.ts.
 */
import { assert, fail } from './assert';
import type { RaftConfig } from './config';
import { campaign, handleRequestVote, handleTimeoutNow, handleVoteResponse, rejectStaleVote } from './election';
import type { RaftEvent } from './events';
import { handleAppendEntries, handleInstallSnapshot, rejectConflictingLeader, rejectStaleAppend, rejectStaleSnapshot } from './follower';
import { Membership, isVoter, membersOf } from './membership';
import type { Message, OutboundMessage } from './messages';
import { Prng } from './prng';
import { Progress } from './progress';
import { hasActiveQuorum } from './quorum';
import { RaftLog } from './raft-log';
import { ReadIndexQueue, handleReadIndexRequest, handleReadIndexResponse } from './read-index';
import {
  handleAppendResponse, handleSnapshotResponse, sendHeartbeats, tickFollowerRetransmits,
} from './replication';
import type { IncomingSnapshot, Storage } from './storage';
import type { TraceRule, TraceValue } from './trace';
import { Tracer } from './trace';
import type { Command, ConfigChange, Configuration, Entry, NodeId, Role } from './types';
import { configurationOf } from './types';

/** Distributive Omit, so that the `node` and `term` of every event variant can be filled in. */
type WithoutAt<T> = T extends unknown ? Omit<T, 'node' | 'term'> : never;
export type EventInput = WithoutAt<RaftEvent>;

export class Raft {
  readonly id: NodeId;
  readonly config: Readonly<RaftConfig>;
  /** Who is in the cluster: the latest configuration in this node's log. */
  readonly membership: Membership;
  readonly prng: Prng;
  readonly log: RaftLog;

  term = 0;
  vote: NodeId | null = null;
  lead: NodeId | null = null;
  role: Role = 'follower';

  /** Leader only: one entry per voter, this node included. */
  readonly progress = new Map<NodeId, Progress>();
  /** Candidate and pre-candidate: the answers received in this election. */
  readonly votes = new Map<NodeId, boolean>();

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  /** Leader only: sequence number of the last message sent in this term (see ReadIndexQueue). */
  seq = 0;
  /** Leader only: followers may have entries or a commit index to learn; sent when the host takes a Ready. */
  appendPending = false;
  readonly reads = new ReadIndexQueue();
  /** Follower: the snapshot being received, and how many of its chunks are held (on disk or in this Ready). */
  incoming: IncomingSnapshot | null;
  /** Leader: the voter leadership is being handed to, and ticks since the transfer began. */
  leadTransferee: NodeId | null = null;
  transferElapsed = 0;

  /** Outputs waiting for the next Ready. */
  messages: OutboundMessage[] = [];
  events: RaftEvent[] = [];
  /** Whether decisions are traced (config.traceDecisions): every recording site tests this first. */
  readonly tracing: boolean;
  /** Set when tracing. */
  readonly tracer: Tracer | null;

  constructor(config: Readonly<RaftConfig>, storage: Storage) {
    this.id = config.id;
    this.config = config;
    this.tracing = config.traceDecisions;
    this.tracer = config.traceDecisions ? new Tracer(config.id) : null;
    const initial = storage.initialState();
    this.prng = new Prng(config.seed);
    this.log = new RaftLog(storage, initial.hardState.commit);
    // The membership: the snapshot's (or the initial one), then every configuration entry after it.
    const snapshot = storage.snapshot();
    this.membership = new Membership(initial.config ?? configurationOf(config.voters), snapshot.index);
    const from = Math.max(snapshot.index + 1, this.log.firstIndex());
    if (from <= this.log.lastIndex()) this.membership.noteAppended(storage.entries(from, this.log.lastIndex() + 1));
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    if (config.fastFirstElection && config.preVote) this.electionElapsed = Math.max(0, config.electionTimeoutTicksMin - 2);
    this.incoming = initial.incoming ? { ...initial.incoming } : null;
    // Every chunk of a snapshot was made durable, but a crash came before it was installed: install it now.
    const held = this.incoming;
    if (held && held.received === held.meta.chunkCount && held.meta.index > this.log.committed && !this.log.matchTerm(held.meta.index, held.meta.term)) {
      this.log.restore(held.meta);
      this.membership.noteRestored(held.meta.index, held.meta.config);
      this.incoming = null;
    }
    this.resetElectionTimer();
  }

  /** The voters of the configuration in effect. */
  get voters(): readonly NodeId[] {
    return this.membership.config.voters;
  }

  /**
   * Every other member (voters and learners): whom a leader replicates to. Until a change commits,
   * that includes the members of the committed configuration, so that a member being removed
   * receives its own removal (and then never campaigns) instead of being left to time out.
   */
  get peers(): readonly NodeId[] {
    // A change in flight: both configurations' members (rare, not cached).
    if (this.membership.index > this.log.committed) return this.replicationTargets().filter((id) => id !== this.id);
    // Otherwise the members of one configuration, which is immutable: asked on every heartbeat
    // and append, computed once per configuration.
    const config = this.membership.config;
    if (this.peersOf?.config !== config) this.peersOf = { config, peers: Object.freeze(membersOf(config).filter((id) => id !== this.id)) };
    return this.peersOf.peers;
  }

  private peersOf: { config: Configuration; peers: readonly NodeId[] } | null = null;

  private replicationTargets(): NodeId[] {
    const latest = membersOf(this.membership.config);
    if (this.membership.index <= this.log.committed) return latest;
    const committed = membersOf(this.membership.configAt(this.log.committed));
    return [...latest, ...committed.filter((id) => !latest.includes(id))];
  }

  /** Every other voter: whom a candidate asks for votes. */
  get voterPeers(): NodeId[] {
    return this.voters.filter((id) => id !== this.id);
  }

  /** Whether this node may campaign and counts in majorities under its own configuration. */
  isVoter(): boolean {
    return isVoter(this.membership.config, this.id);
  }

  /** This node alone is a majority: it commits and confirms reads by itself. */
  isSoleVoter(): boolean {
    const voters = this.voters;
    return voters.length === 1 && voters[0] === this.id;
  }

  // ---- outputs -------------------------------------------------------------------------------

  send(message: Message): void {
    const fromLeader = message.type === 'AppendEntries' || message.type === 'InstallSnapshot';
    this.messages.push({ message, waitForPersist: !fromLeader });
    if (this.tracing) this.tracer!.sent(message);
  }

  /** Records one step of the decision trace. Callers test `tracing` first, so nothing is built when it is off. */
  note(rule: TraceRule, condition: string, values: Record<string, TraceValue>, holds: boolean, result: string): void {
    this.tracer!.step(rule, condition, values, holds, result);
  }

  /** Records an event; fills in the node and its current term (on the object given, to avoid a copy). */
  emit(event: EventInput): void {
    const e = event as RaftEvent;
    e.node = this.id;
    e.term = this.term;
    this.events.push(e);
    if (this.tracing) this.tracer!.event(e);
  }

  // ---- role transitions ------------------------------------------------------------------------

  becomeFollower(term: number, lead: NodeId | null, reason: Parameters<Raft['changeRole']>[1]): void {
    if (term < this.term) fail(`becomeFollower: term ${term} < ${this.term}`);
    this.setTerm(term, lead);
    this.changeRole('follower', reason, lead);
  }

  becomePreCandidate(): void {
    assert(this.role !== 'leader', 'becomePreCandidate from leader');
    // A PreVote round changes no term and no vote, so a partitioned node cannot disrupt anyone.
    this.changeRole('preCandidate', 'election_timeout', null);
  }

  becomeCandidate(reason: 'election_timeout' | 'prevote_won' | 'leadership_transfer'): void {
    assert(this.role !== 'leader', 'becomeCandidate from leader');
    this.setTerm(this.term + 1, null);
    this.vote = this.id;
    this.changeRole('candidate', reason, null);
  }

  becomeLeader(): void {
    if (this.role !== 'candidate') fail(`becomeLeader from ${this.role}`);
    this.changeRole('leader', 'election_won', this.id);
    this.syncProgress(false);
    const self = this.progress.get(this.id)!;
    self.maybeUpdate(this.log.lastStableIndex());
    self.becomeReplicate();
    // Figure 2 only commits entries of the leader's own term (5.4.2); a no-op lets the leader commit
    // everything before it at once, which also makes old entries visible after a restart.
    if (this.config.leaderNoop) this.appendEntry({ op: 'noop' });
    // Without it, an empty round tells the followers who leads (the no-op's append would have).
    else {
      if (this.tracing) this.note('Leaders 1', 'leaderNoop', { leaderNoop: false }, false, `upon election: send an empty AppendEntries (heartbeat) to ${this.peers.length} followers`);
      sendHeartbeats(this);
    }
  }

  private setTerm(term: number, lead: NodeId | null): void {
    if (term !== this.term) {
      this.emit({ type: 'termChanged', from: this.term, to: term, cause: lead });
      this.term = term;
      this.vote = null;
    }
  }

  private changeRole(role: Role, reason: Extract<RaftEvent, { type: 'roleChanged' }>['reason'], lead: NodeId | null): void {
    const from = this.role;
    const leadChanged = lead !== this.lead;
    if (from === 'leader' && role !== 'leader') {
      this.reads.dropAll(this, 'leadership_lost');
      if (this.leadTransferee !== null) this.emit({ type: 'transferAborted', target: this.leadTransferee, reason: 'leadership_lost' });
    }
    this.leadTransferee = null;
    this.transferElapsed = 0;
    this.role = role;
    this.lead = lead;
    this.votes.clear();
    this.progress.clear();
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.appendPending = false;
    this.seq = 0;
    this.resetElectionTimer();
    if (from !== role || leadChanged) this.emit({ type: 'roleChanged', from, to: role, leaderId: lead, reason });
  }

  /** A follower that hears from a new leader in its term records it without other changes. */
  acceptLeader(lead: NodeId): void {
    this.electionElapsed = 0;
    if (this.lead !== lead) {
      const from = this.role;
      this.lead = lead;
      this.emit({ type: 'roleChanged', from, to: 'follower', leaderId: lead, reason: 'leader_discovered' });
    }
  }

  resetElectionTimer(): void {
    this.randomizedElectionTimeout = this.prng.int(this.config.electionTimeoutTicksMin, this.config.electionTimeoutTicksMax);
  }

  // ---- inputs ----------------------------------------------------------------------------------

  tick(): void {
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      if (this.tracing) this.noteTimeout();
      this.electionElapsed = 0;
      // A learner, a node that joins, or one that was removed never campaigns.
      if (this.isVoter()) campaign(this, this.config.preVote);
    }
  }

  private noteTimeout(): void {
    const values = { electionElapsed: this.electionElapsed, electionTimeout: this.randomizedElectionTimeout, voter: this.isVoter() };
    const rule = this.role === 'follower' ? 'Followers 2' : 'Candidates 4';
    const result = !this.isVoter() ? 'stay a follower: not a voter' : this.config.preVote ? 'start a pre-vote round' : 'start an election';
    this.note(rule, 'electionElapsed >= electionTimeout', values, true, result);
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.leadTransferee !== null && ++this.transferElapsed >= this.config.electionTimeoutTicksMin) {
      // The target did not take over within an election timeout: give up and take writes again.
      this.emit({ type: 'transferAborted', target: this.leadTransferee, reason: 'timeout' });
      this.leadTransferee = null;
      this.transferElapsed = 0;
    }
    if (this.electionElapsed >= this.config.electionTimeoutTicksMin) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.maybeKeepLeadership()) return;
    }
    tickFollowerRetransmits(this);
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      if (this.tracing) {
        const values = { heartbeatElapsed: this.heartbeatElapsed, heartbeatTimeout: this.config.heartbeatTicks, followers: this.peers.length };
        this.note('Leaders 1', 'heartbeatElapsed >= heartbeatTimeout', values, true, `send an empty AppendEntries (heartbeat) to ${this.peers.length} followers`);
      }
      this.heartbeatElapsed = 0;
      sendHeartbeats(this);
    }
  }

  /** CheckQuorum: step down unless a majority was heard from in the last election timeout. */
  private maybeKeepLeadership(): boolean {
    const active = hasActiveQuorum(this.voters, (id) => id === this.id || this.progress.get(id)!.recentActive);
    if (this.tracing) {
      const heard = this.voters.filter((id) => id === this.id || this.progress.get(id)!.recentActive);
      const values = { heardFrom: heard.length, majority: Math.floor(this.voters.length / 2) + 1, voters: this.voters.length, active: heard.join(' ') };
      this.note('CheckQuorum 1', 'heardFrom < majority', values, !active, active ? 'stay leader' : 'step down to follower');
    }
    for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
    if (!active) this.becomeFollower(this.term, null, 'check_quorum');
    return active;
  }

  step(m: Message): void {
    if (m.to !== this.id) fail(`${this.id} stepped a message for ${m.to}`);
    if (m.type === 'ReadIndex') return handleReadIndexRequest(this, m);
    if (m.type === 'ReadIndexResponse') return handleReadIndexResponse(this, m);
    if (m.term > this.term && !this.acceptHigherTerm(m)) return;
    if (m.term < this.term) return this.handleStaleTerm(m);
    if (this.tracing) this.noteCurrentTerm(m);
    this.stepByRole(m);
  }

  /** Returns false when the message must be dropped rather than stepped. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === 'RequestVote') {
      // A campaign the leader itself asked for (TimeoutNow) is honoured inside the lease.
      const inLease = !m.transfer && this.config.checkQuorum && this.lead !== null && this.electionElapsed < this.config.electionTimeoutTicksMin;
      if (this.tracing && this.config.checkQuorum && !m.transfer) this.noteLease(m, inLease);
      if (inLease) {
        rejectStaleVote(this, m, 'leader_lease');
        return false;
      }
      if (m.preVote) {
        if (this.tracing) this.note('PreVote 2', 'preVote', { preVote: true, term: m.term, currentTerm: this.term }, true, 'keep my term: a pre-vote changes nothing here');
        return true;
      }
    }
    if (m.type === 'RequestVoteResponse' && m.preVote && m.voteGranted) {
      if (this.tracing) this.note('PreVote 2', 'preVote', { preVote: true, term: m.term, currentTerm: this.term }, true, 'count the pre-vote; keep my term');
      return true;
    }
    if (this.tracing) this.note('All Servers 2', 'term > currentTerm', { term: m.term, currentTerm: this.term }, true, `set currentTerm = ${m.term}, convert to follower`);
    const lead = m.type === 'AppendEntries' || m.type === 'InstallSnapshot' ? m.from : null;
    const timer = { elapsed: this.electionElapsed, timeout: this.randomizedElectionTimeout };
    this.becomeFollower(m.term, lead, 'higher_term');
    if (m.type === 'RequestVote' && this.config.unsafe.keepElectionTimerOnVote === true) {
      this.electionElapsed = timer.elapsed;
      this.randomizedElectionTimeout = timer.timeout;
    }
    return true;
  }

  private noteLease(m: Message, inLease: boolean): void {
    const values = { leader: this.lead, electionElapsed: this.electionElapsed, minElectionTimeout: this.config.electionTimeoutTicksMin };
    const condition = 'leader != null && electionElapsed < minElectionTimeout';
    this.note('CheckQuorum 2', condition, values, inLease, inLease ? `ignore ${m.from}'s vote request: my leader is alive` : 'no live leader: consider the request');
  }

  /** A request of the current term passes receiver step 1 (the stale-term test), which the trace says. */
  private noteCurrentTerm(m: Message): void {
    const values = { term: m.term, currentTerm: this.term };
    if (m.type === 'AppendEntries') this.note('AppendEntries receiver 1', 'term < currentTerm', values, false, 'go on');
    else if (m.type === 'RequestVote') this.note('RequestVote receiver 1', 'term < currentTerm', values, false, 'go on');
    else if (m.type === 'InstallSnapshot') this.note('InstallSnapshot receiver 1', 'term < currentTerm', values, false, 'go on');
  }

  /** Figure 2: a request with an older term is rejected with our term, so its sender steps down. */
  private handleStaleTerm(m: Message): void {
    if (this.tracing) this.noteStaleTerm(m);
    switch (m.type) {
      case 'AppendEntries':
        if (this.config.unsafe.acceptStaleTermAppends === true && this.role !== 'leader') return handleAppendEntries(this, m);
        return rejectStaleAppend(this, m);
      case 'InstallSnapshot': return rejectStaleSnapshot(this, m);
      case 'RequestVote': return rejectStaleVote(this, m, 'stale_term');
      default: return; // a late response from an older term carries nothing we can use
    }
  }

  private noteStaleTerm(m: Message): void {
    const values = { term: m.term, currentTerm: this.term };
    const stale = 'term < currentTerm';
    switch (m.type) {
      case 'AppendEntries': {
        const unsafe = this.config.unsafe.acceptStaleTermAppends === true && this.role !== 'leader';
        return this.note('AppendEntries receiver 1', stale, values, true, unsafe ? 'handle it anyway (unsafe: stale appends accepted)' : 'reply false');
      }
      case 'InstallSnapshot': return this.note('InstallSnapshot receiver 1', stale, values, true, 'reply false');
      case 'RequestVote': return this.note('RequestVote receiver 1', stale, values, true, 'reply false');
      default: return this.note('Stale reply', stale, values, true, 'ignore it');
    }
  }

  private stepByRole(m: Message): void {
    switch (m.type) {
      case 'RequestVote':
        return handleRequestVote(this, m);
      case 'RequestVoteResponse':
        if ((this.role === 'candidate' && !m.preVote) || (this.role === 'preCandidate' && m.preVote)) handleVoteResponse(this, m);
        return;
      case 'AppendEntries':
        // Input from the network must not crash a node: another leader of our own term is refused.
        if (this.role === 'leader') return rejectConflictingLeader(this, m);
        if (this.tracing && this.role !== 'follower') this.note('Candidates 3', 'role != follower', { role: this.role, leader: m.from }, true, 'convert to follower');
        if (this.role !== 'follower') this.becomeFollower(this.term, m.from, 'leader_discovered');
        this.acceptLeader(m.from);
        return handleAppendEntries(this, m);
      case 'InstallSnapshot':
        if (this.role === 'leader') return rejectConflictingLeader(this, m);
        if (this.role !== 'follower') this.becomeFollower(this.term, m.from, 'leader_discovered');
        this.acceptLeader(m.from);
        return handleInstallSnapshot(this, m);
      case 'AppendEntriesResponse':
        if (this.role === 'leader') handleAppendResponse(this, m);
        return;
      case 'InstallSnapshotResponse':
        if (this.role === 'leader') handleSnapshotResponse(this, m);
        return;
      case 'TimeoutNow':
        return handleTimeoutNow(this, m);
      case 'TimeoutNowResponse':
        return;
    }
  }

  // ---- leader helpers ----------------------------------------------------------------------------

  appendEntry(command: Command): Entry {
    const entry: Entry = Object.freeze({ term: this.term, index: this.log.lastIndex() + 1, command: Object.freeze(command) });
    this.log.append([entry]);
    this.appendPending = true;
    if (command.op === 'config') this.configAppended([entry], 0);
    return entry;
  }

  // ---- membership ----------------------------------------------------------------------------------

  /**
   * Entries entered the log (after a truncation from `truncatedFrom`, 0 for none): a configuration
   * among them, or one truncated away, is in effect at once.
   */
  configAppended(entries: readonly Entry[], truncatedFrom: number): void {
    const before = this.membership.index;
    if (truncatedFrom > 0) this.membership.noteTruncated(truncatedFrom);
    const afterTruncation = this.membership.index;
    this.membership.noteAppended(entries);
    const after = this.membership.index;
    if (after === before) return;
    const change = after !== afterTruncation ? changeAt(entries, after) : null;
    this.emit({ type: 'configChanged', index: after, change, config: this.membership.config, cause: change ? 'appended' : 'truncated' });
    this.membershipChanged();
  }

  /** A snapshot replaced the log: its configuration is in effect. */
  configRestored(index: number, config: Configuration): void {
    this.membership.noteRestored(index, config);
    this.emit({ type: 'configChanged', index, change: null, config, cause: 'snapshot' });
    this.membershipChanged();
  }

  /**
   * Leader: the latest configuration committed. Members it removed get no more entries; a leader
   * that removed itself hands over now (thesis 4.2.2): until now it went on replicating, without
   * counting itself in any majority.
   */
  configCommitted(): void {
    if (!this.isVoter()) return this.becomeFollower(this.term, null, 'removed');
    this.syncProgress(true);
  }

  private membershipChanged(): void {
    if (this.role !== 'leader') return;
    this.syncProgress(true);
    if (this.leadTransferee !== null && !this.voters.includes(this.leadTransferee)) {
      this.emit({ type: 'transferAborted', target: this.leadTransferee, reason: 'target_removed' });
      this.leadTransferee = null;
    }
  }

  /**
   * Leader: one Progress per member (this node included), added and dropped as members come and
   * go. A member that joins while this node leads is presumed alive (`joined`), so CheckQuorum
   * does not count it out before it could answer.
   */
  private syncProgress(joined: boolean): void {
    const members = this.replicationTargets();
    const next = this.log.lastIndex() + 1;
    for (const id of members) {
      if (this.progress.has(id)) continue;
      const pr = new Progress(next, this.config.inflightMessagesMax);
      pr.recentActive = joined;
      this.progress.set(id, pr);
    }
    if (!this.progress.has(this.id)) this.progress.set(this.id, new Progress(next, this.config.inflightMessagesMax));
    for (const id of [...this.progress.keys()]) {
      if (id !== this.id && !members.includes(id)) this.progress.delete(id);
    }
  }

  /** True once the leader committed an entry of its own term (then its commit index is current). */
  hasCommittedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }
}

/** The change carried by the configuration entry at `index` among `entries`. */
function changeAt(entries: readonly Entry[], index: number): ConfigChange | null {
  for (const entry of entries) if (entry.index === index && entry.command.op === 'config') return entry.command.change;
  return null;
}
