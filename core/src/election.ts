/** Leader election (5.2), the voting rule (5.4.1) and PreVote (Raft thesis 9.6). */
import type { RequestVote, RequestVoteResponse, TimeoutNow, VoteRejectReason } from './messages';
import { tallyVotes } from './quorum';
import type { Raft } from './raft';

/**
 * Starts an election: a PreVote round first when enabled, otherwise a real one. A transfer (the
 * leader sent TimeoutNow) goes straight to a real election that voters honour inside their lease.
 */
export function campaign(r: Raft, preVote: boolean, transfer = false): void {
  if (preVote && !transfer) r.becomePreCandidate();
  else r.becomeCandidate(transfer ? 'leadership_transfer' : 'election_timeout');
  startElectionRound(r, preVote && !transfer, transfer);
}

/** The leader hands over: campaign now, if this node is a voter (its answer goes out first). */
export function handleTimeoutNow(r: Raft, m: TimeoutNow): void {
  r.send({ type: 'TimeoutNowResponse', from: r.id, to: m.from, term: r.term });
  const able = r.role !== 'leader' && r.isVoter();
  if (r.tracing) r.note('TimeoutNow', "role != leader && voter", { role: r.role, voter: r.isVoter() }, able, able ? 'start an election now (voters honour it inside their lease)' : 'ignore it');
  if (!able) return;
  campaign(r, false, true);
}

function startElectionRound(r: Raft, preVote: boolean, transfer = false): void {
  const electionTerm = preVote ? r.term + 1 : r.term;
  r.votes.set(r.id, true);
  if (r.tracing) noteElectionStart(r, preVote, electionTerm);
  r.emit({ type: 'electionStarted', electionTerm, preVote, voters: [...r.voters] });
  if (finishIfDecided(r, preVote)) return;
  const lastLogIndex = r.log.lastIndex();
  const lastLogTerm = r.log.lastTerm();
  for (const to of r.voterPeers) {
    r.send({ type: 'RequestVote', from: r.id, to, term: electionTerm, lastLogIndex, lastLogTerm, preVote, transfer });
  }
}

function noteElectionStart(r: Raft, preVote: boolean, electionTerm: number): void {
  const others = r.voterPeers.length;
  if (preVote) {
    r.note('PreVote 1', 'role == preCandidate', { role: r.role, currentTerm: r.term, askedTerm: electionTerm }, true, `ask ${others} voters for a pre-vote in term ${electionTerm}, keeping term ${r.term}`);
  } else {
    r.note('Candidates 1', 'role == candidate', { role: r.role, currentTerm: r.term, votedFor: r.vote }, true, `term is now ${r.term}, vote for myself, reset the election timer, send RequestVote to ${others} voters`);
  }
}

/** Acts on the votes so far; returns true when the round is over. */
function finishIfDecided(r: Raft, preVote: boolean): boolean {
  const result = tallyVotes(r.voters, r.votes);
  const electionTerm = preVote ? r.term + 1 : r.term;
  if (r.tracing) noteTally(r, preVote, result);
  if (result === 'won') {
    const votes = [...r.votes].filter(([, granted]) => granted).map(([id]) => id);
    r.emit({ type: 'electionWon', electionTerm, preVote, votes });
    if (preVote) {
      r.becomeCandidate('prevote_won');
      startElectionRound(r, false);
    } else {
      r.becomeLeader();
    }
    return true;
  }
  if (result === 'lost') {
    const rejectedBy = [...r.votes].filter(([, granted]) => !granted).map(([id]) => id);
    r.emit({ type: 'electionLost', electionTerm, preVote, rejectedBy });
    r.becomeFollower(r.term, null, 'election_lost');
    return true;
  }
  return false;
}

function noteTally(r: Raft, preVote: boolean, result: 'won' | 'lost' | 'pending'): void {
  let granted = 0;
  let refused = 0;
  for (const id of r.voters) {
    const vote = r.votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) refused++;
  }
  const majority = Math.floor(r.voters.length / 2) + 1;
  const values = { granted, refused, majority, voters: r.voters.length };
  const won = preVote ? 'pre-vote won: become a candidate and start the real election' : 'become leader';
  const outcome = result === 'won' ? won : result === 'lost' ? 'a majority refused: back to follower' : 'wait for more answers';
  r.note(preVote ? 'PreVote 1' : 'Candidates 2', 'granted >= majority', values, result === 'won', outcome);
}

export function handleVoteResponse(r: Raft, m: RequestVoteResponse): void {
  if (r.votes.has(m.from)) return; // a duplicate answer
  r.votes.set(m.from, m.voteGranted);
  finishIfDecided(r, m.preVote);
}

/**
 * RequestVote receiver (Figure 2): grant if we have not voted for someone else in this term and the
 * candidate's log is at least as up-to-date as ours. A PreVote for a future term is granted on the
 * log check alone and changes nothing here.
 */
export function handleRequestVote(r: Raft, m: RequestVote): void {
  const canVote = r.vote === m.from || (r.vote === null && r.lead === null) || (m.preVote && m.term > r.term);
  const upToDate = r.config.unsafe.skipVoteLogCheck === true || r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
  if (r.tracing) noteVoteChecks(r, m, canVote, upToDate);
  if (!canVote) return rejectVote(r, m, 'already_voted');
  if (!upToDate) return rejectVote(r, m, 'log_behind');
  if (!m.preVote) {
    r.vote = m.from;
    if (r.config.unsafe.keepElectionTimerOnVote !== true) r.electionElapsed = 0;
  }
  // A granted PreVote answers in the requested term, so the pre-candidate can tell it from a stale one.
  respond(r, m, true, m.preVote ? m.term : r.term);
  r.emit({ type: 'voteGranted', candidate: m.from, electionTerm: m.term, preVote: m.preVote });
}

/** Receiver step 2 as two lines: the vote check, then the log check (only if the first passed). */
function noteVoteChecks(r: Raft, m: RequestVote, canVote: boolean, upToDate: boolean): void {
  const rule = 'RequestVote receiver 2';
  const who = { votedFor: r.vote, candidateId: m.from, leader: r.lead };
  if (m.preVote && m.term > r.term) {
    r.note(rule, 'preVote && term > currentTerm', { preVote: true, term: m.term, currentTerm: r.term }, true, 'a pre-vote for a later term: only the log decides');
  } else {
    // The core also refuses while it knows a leader of this term (etcd's rule): a vote for anyone then would split the term.
    r.note(rule, '(votedFor == null && leader == null) || votedFor == candidateId', who, canVote, canVote ? 'may vote for the candidate' : 'reply false: already voted or following a leader');
  }
  if (!canVote) return;
  const log = { lastLogTerm: m.lastLogTerm, lastLogIndex: m.lastLogIndex, myLastTerm: r.log.lastTerm(), myLastIndex: r.log.lastIndex() };
  const skipped = r.config.unsafe.skipVoteLogCheck === true;
  const logOk = r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm);
  const grant = m.preVote ? 'grant the pre-vote' : `grant vote: votedFor = ${m.from}, reset the election timer`;
  r.note(rule, 'lastLogTerm > myLastTerm || (lastLogTerm == myLastTerm && lastLogIndex >= myLastIndex)', log, logOk,
    upToDate ? (skipped && !logOk ? `${grant} (unsafe: log check skipped)` : grant) : "reply false: candidate's log is behind mine");
}

/** Rejects a vote request whose term is older than ours, or that arrives during a leader's lease. */
export function rejectStaleVote(r: Raft, m: RequestVote, reason: 'stale_term' | 'leader_lease'): void {
  rejectVote(r, m, reason);
}

function rejectVote(r: Raft, m: RequestVote, reason: VoteRejectReason): void {
  respond(r, m, false, r.term, reason);
  r.emit({
    type: 'voteRejected',
    candidate: m.from,
    electionTerm: m.term,
    preVote: m.preVote,
    reason,
    votedFor: r.vote,
    leaderId: r.lead,
    candidateLast: { index: m.lastLogIndex, term: m.lastLogTerm },
    voterLast: { index: r.log.lastIndex(), term: r.log.lastTerm() },
  });
}

function respond(r: Raft, m: RequestVote, voteGranted: boolean, term: number, rejectReason?: VoteRejectReason): void {
  const response: RequestVoteResponse = { type: 'RequestVoteResponse', from: r.id, to: m.from, term, voteGranted, preVote: m.preVote };
  if (rejectReason) response.rejectReason = rejectReason;
  r.send(response);
}
