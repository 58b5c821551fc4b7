/**
 * The Raft state machine of one node: roles, terms and the dispatch of every input. It does no I/O
 * and reads no clock; messages and events pile up until the host takes them in a Ready.
 * Role behaviour lives in election.ts, replication.ts, follower.ts and read-index.ts.
 */
import { assert, fail } from './assert';
import type { RaftConfig } from './config';
import { campaign, handleRequestVote, handleVoteResponse, rejectStaleVote } from './election';
import type { RaftEvent } from './events';
import { handleAppendEntries, handleInstallSnapshot, rejectConflictingLeader, rejectStaleAppend, rejectStaleSnapshot } from './follower';
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
import type { Command, Entry, NodeId, Role } from './types';

/** Distributive Omit, so that the `node` and `term` of every event variant can be filled in. */
type WithoutAt<T> = T extends unknown ? Omit<T, 'node' | 'term'> : never;
export type EventInput = WithoutAt<RaftEvent>;

export class Raft {
  readonly id: NodeId;
  readonly config: Readonly<RaftConfig>;
  readonly voters: NodeId[];
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

  /** Outputs waiting for the next Ready. */
  messages: OutboundMessage[] = [];
  events: RaftEvent[] = [];

  constructor(config: Readonly<RaftConfig>, storage: Storage) {
    this.id = config.id;
    this.config = config;
    const initial = storage.initialState();
    this.voters = initial.voters ?? [...config.voters];
    if (!this.voters.includes(this.id)) fail(`${this.id} is not among the voters ${this.voters.join(',')}`);
    this.prng = new Prng(config.seed);
    this.log = new RaftLog(storage, initial.hardState.commit);
    this.term = initial.hardState.term;
    this.vote = initial.hardState.vote;
    this.incoming = initial.incoming ? { ...initial.incoming } : null;
    this.resetElectionTimer();
  }

  get peers(): NodeId[] {
    return this.voters.filter((id) => id !== this.id);
  }

  // ---- outputs -------------------------------------------------------------------------------

  send(message: Message): void {
    const fromLeader = message.type === 'AppendEntries' || message.type === 'InstallSnapshot';
    this.messages.push({ message, waitForPersist: !fromLeader });
  }

  /** Records an event; fills in the node and its current term (on the object given, to avoid a copy). */
  emit(event: EventInput): void {
    const e = event as RaftEvent;
    e.node = this.id;
    e.term = this.term;
    this.events.push(e);
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

  becomeCandidate(reason: 'election_timeout' | 'prevote_won'): void {
    assert(this.role !== 'leader', 'becomeCandidate from leader');
    this.setTerm(this.term + 1, null);
    this.vote = this.id;
    this.changeRole('candidate', reason, null);
  }

  becomeLeader(): void {
    if (this.role !== 'candidate') fail(`becomeLeader from ${this.role}`);
    this.changeRole('leader', 'election_won', this.id);
    const next = this.log.lastIndex() + 1;
    for (const id of this.voters) this.progress.set(id, new Progress(next, this.config.inflightMessagesMax));
    const self = this.progress.get(this.id)!;
    self.maybeUpdate(this.log.lastStableIndex());
    self.becomeReplicate();
    // Figure 2 only commits entries of the leader's own term (5.4.2); a no-op lets the leader commit
    // everything before it at once, which also makes old entries visible after a restart.
    this.appendEntry({ op: 'noop' });
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
    if (from === 'leader' && role !== 'leader') this.reads.dropAll(this, 'leadership_lost');
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
      this.electionElapsed = 0;
      campaign(this, this.config.preVote);
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.config.electionTimeoutTicksMin) {
      this.electionElapsed = 0;
      if (this.config.checkQuorum && !this.maybeKeepLeadership()) return;
    }
    tickFollowerRetransmits(this);
    if (this.heartbeatElapsed >= this.config.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      sendHeartbeats(this);
    }
  }

  /** CheckQuorum: step down unless a majority was heard from in the last election timeout. */
  private maybeKeepLeadership(): boolean {
    const active = hasActiveQuorum(this.voters, (id) => id === this.id || this.progress.get(id)!.recentActive);
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
    this.stepByRole(m);
  }

  /** Returns false when the message must be dropped rather than stepped. */
  private acceptHigherTerm(m: Message): boolean {
    if (m.type === 'RequestVote') {
      const inLease = this.config.checkQuorum && this.lead !== null && this.electionElapsed < this.config.electionTimeoutTicksMin;
      if (inLease) {
        rejectStaleVote(this, m, 'leader_lease');
        return false;
      }
      if (m.preVote) return true;
    }
    if (m.type === 'RequestVoteResponse' && m.preVote && m.voteGranted) return true;
    const lead = m.type === 'AppendEntries' || m.type === 'InstallSnapshot' ? m.from : null;
    const timer = { elapsed: this.electionElapsed, timeout: this.randomizedElectionTimeout };
    this.becomeFollower(m.term, lead, 'higher_term');
    if (m.type === 'RequestVote' && this.config.unsafe.keepElectionTimerOnVote === true) {
      this.electionElapsed = timer.elapsed;
      this.randomizedElectionTimeout = timer.timeout;
    }
    return true;
  }

  /** Figure 2: a request with an older term is rejected with our term, so its sender steps down. */
  private handleStaleTerm(m: Message): void {
    switch (m.type) {
      case 'AppendEntries':
        if (this.config.unsafe.acceptStaleTermAppends === true && this.role !== 'leader') return handleAppendEntries(this, m);
        return rejectStaleAppend(this, m);
      case 'InstallSnapshot': return rejectStaleSnapshot(this, m);
      case 'RequestVote': return rejectStaleVote(this, m, 'stale_term');
      default: return; // a late response from an older term carries nothing we can use
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
    }
  }

  // ---- leader helpers ----------------------------------------------------------------------------

  appendEntry(command: Command): Entry {
    const entry: Entry = Object.freeze({ term: this.term, index: this.log.lastIndex() + 1, command: Object.freeze(command) });
    this.log.append([entry]);
    this.appendPending = true;
    return entry;
  }

  /** True once the leader committed an entry of its own term (then its commit index is current). */
  hasCommittedInTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }
}
