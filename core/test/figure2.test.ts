/**
 * One test (at least) per rule of Figure 2 of the Raft paper ("Rules for Servers", the
 * AppendEntries and RequestVote receiver implementations, persistent state), named after the rule.
 */
import { describe, expect, it } from 'vitest';
import type { AppendEntries, Entry, Message, RequestVote } from '../src/index';
import { MemoryStorage } from '../src/index';
import { TestCluster, handleReady, newNode, outbox } from './harness';

const voters = ['n1', 'n2', 'n3'];
const entry = (index: number, term: number, key = `k${index}`): Entry => ({ index, term, command: { op: 'set', key, value: `v${index}` } });

function appendEntries(fields: Partial<AppendEntries>): AppendEntries {
  return { type: 'AppendEntries', from: 'n1', to: 'n2', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, seq: 1, ...fields };
}

function requestVote(fields: Partial<RequestVote>): RequestVote {
  return { type: 'RequestVote', from: 'n3', to: 'n2', term: 1, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false, ...fields };
}

/** A follower n2 whose storage holds `entries` at `term`. */
function followerWith(entries: Entry[], term: number) {
  const storage = new MemoryStorage(voters);
  storage.append(entries);
  storage.setHardState({ term, vote: null, commit: 0 });
  return newNode('n2', voters, {}, storage);
}

const only = <T extends Message['type']>(messages: Message[], type: T) =>
  messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);

describe('Figure 2, AppendEntries receiver', () => {
  it('rule 1: reply false if term < currentTerm', () => {
    const n2 = followerWith([], 5);
    n2.raft.step(appendEntries({ term: 4, entries: [entry(1, 4)] }));
    const [reply] = only(outbox(n2), 'AppendEntriesResponse');
    expect(reply).toMatchObject({ success: false, term: 5, rejectReason: 'stale_term' });
    expect(n2.raft.lastIndex).toBe(0);
  });

  it('rule 2: reply false if the log has no entry at prevLogIndex whose term matches prevLogTerm', () => {
    const n2 = followerWith([entry(1, 1), entry(2, 1)], 2);
    n2.raft.step(appendEntries({ term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: [entry(3, 2)] }));
    const [mismatch] = only(outbox(n2), 'AppendEntriesResponse');
    expect(mismatch).toMatchObject({ success: false, rejectReason: 'term_mismatch', conflictTerm: 1, conflictIndex: 1, rejectedIndex: 2 });
    n2.raft.step(appendEntries({ term: 2, prevLogIndex: 5, prevLogTerm: 2, entries: [entry(6, 2)] }));
    const [missing] = only(outbox(n2), 'AppendEntriesResponse');
    expect(missing).toMatchObject({ success: false, rejectReason: 'missing_entries', conflictIndex: 3, conflictTerm: 0, lastLogIndex: 2 });
    expect(n2.raft.lastIndex).toBe(2);
  });

  it('rule 3: an existing entry that conflicts with a new one is deleted with all that follow it', () => {
    const n2 = followerWith([entry(1, 1), entry(2, 1), entry(3, 1), entry(4, 1)], 2);
    n2.raft.step(appendEntries({ term: 2, prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 2, 'new')] }));
    const rd = handleReady(n2);
    expect(rd.events.find((e) => e.type === 'entriesTruncated')).toMatchObject({ fromIndex: 2, count: 3 });
    expect(n2.raft.lastIndex).toBe(2);
    expect(n2.raft.termAt(2)).toBe(2);
    expect(n2.storage.lastIndex()).toBe(2);
  });

  it('rule 4: append any new entries not already in the log, and never truncate on a stale, shorter message', () => {
    const n2 = followerWith([entry(1, 1), entry(2, 1)], 1);
    n2.raft.step(appendEntries({ prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 1), entry(3, 1)] }));
    expect(n2.raft.lastIndex).toBe(3);
    // A delayed message that carries only entry 2 must not cut entry 3 off.
    n2.raft.step(appendEntries({ prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 1)] }));
    expect(n2.raft.lastIndex).toBe(3);
    const replies = only(outbox(n2), 'AppendEntriesResponse');
    expect(replies.map((r) => r.matchIndex)).toEqual([3, 2]);
  });

  it('rule 5: if leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last new entry)', () => {
    const n2 = followerWith([], 1);
    n2.raft.step(appendEntries({ entries: [entry(1, 1), entry(2, 1)], leaderCommit: 5 }));
    expect(n2.raft.commitIndex).toBe(2);
    const n3 = followerWith([], 1);
    n3.raft.step(appendEntries({ entries: [entry(1, 1), entry(2, 1)], leaderCommit: 1 }));
    expect(n3.raft.commitIndex).toBe(1);
  });
});

describe('Figure 2, RequestVote receiver', () => {
  it('rule 1: reply false if term < currentTerm', () => {
    const n2 = followerWith([], 3);
    n2.raft.step(requestVote({ term: 2 }));
    const [reply] = only(outbox(n2), 'RequestVoteResponse');
    expect(reply).toMatchObject({ voteGranted: false, term: 3, rejectReason: 'stale_term' });
  });

  it('rule 2: grant if votedFor is null or the candidate, and its log is at least as up-to-date (5.4.1)', () => {
    const n2 = followerWith([entry(1, 1), entry(2, 2)], 2);
    // Behind: last term 1 < 2.
    n2.raft.step(requestVote({ term: 3, lastLogIndex: 5, lastLogTerm: 1 }));
    // Same last term but shorter.
    n2.raft.step(requestVote({ term: 3, lastLogIndex: 1, lastLogTerm: 2 }));
    // Up to date: granted.
    n2.raft.step(requestVote({ term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    // The same candidate asking again gets the same answer.
    n2.raft.step(requestVote({ term: 3, lastLogIndex: 2, lastLogTerm: 2 }));
    // Another candidate in the same term: already voted.
    n2.raft.step(requestVote({ from: 'n1', term: 3, lastLogIndex: 9, lastLogTerm: 3 }));
    const replies = only(outbox(n2), 'RequestVoteResponse');
    expect(replies.map((r) => [r.voteGranted, r.rejectReason])).toEqual([
      [false, 'log_behind'], [false, 'log_behind'], [true, undefined], [true, undefined], [false, 'already_voted'],
    ]);
    expect(n2.raft.hardState().vote).toBe('n3');
  });

  it('persistent state: a vote is in the Ready before the grant goes out, and survives a restart', () => {
    const n2 = followerWith([], 1);
    n2.raft.step(requestVote({ term: 2 }));
    const rd = n2.raft.ready();
    expect(rd.hardState).toEqual({ term: 2, vote: 'n3', commit: 0 });
    expect(rd.messages.every((m) => m.waitForPersist)).toBe(true);
    n2.storage.setHardState(rd.hardState!);
    n2.raft.advance(rd);
    const restarted = newNode('n2', voters, {}, n2.storage);
    restarted.raft.step(requestVote({ from: 'n1', term: 2 }));
    const [reply] = only(outbox(restarted), 'RequestVoteResponse');
    expect(reply).toMatchObject({ voteGranted: false, rejectReason: 'already_voted' });
  });
});

describe('Figure 2, rules for all servers', () => {
  it('if commitIndex > lastApplied: apply entries in log order, each exactly once', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    for (let i = 0; i < 5; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: String(i) });
    c.stabilize();
    c.tickAll(2);
    for (const id of voters) {
      expect(c.node(id).applied).toEqual([1, 2, 3, 4, 5, 6]);
      expect(c.node(id).kv.get('k4')).toBe('4');
    }
  });

  it('if an RPC request or response contains term T > currentTerm: set currentTerm = T and convert to follower', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    const n1 = c.node('n1');
    n1.raft.step({ type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 7, success: false, matchIndex: 0, rejectedIndex: 0, conflictIndex: 0, conflictTerm: 0, lastLogIndex: 0, seq: 0, rejectReason: 'stale_term' });
    expect(n1.raft.role).toBe('follower');
    expect(n1.raft.term).toBe(7);
    expect(n1.raft.hardState().vote).toBeNull();
  });
});

describe('Figure 2, followers and candidates', () => {
  it('followers: when the election timeout elapses without hearing from a leader, convert to candidate', () => {
    const n1 = newNode('n1', voters, { electionTimeoutTicksMin: 5, electionTimeoutTicksMax: 5 });
    for (let i = 0; i < 4; i++) n1.raft.tick();
    expect(n1.raft.role).toBe('follower');
    n1.raft.tick();
    expect(n1.raft.role).toBe('candidate');
  });

  it('candidates: on conversion increment the term, vote for self, and send RequestVote to all others', () => {
    const n1 = newNode('n1', voters);
    n1.raft.campaign();
    expect(n1.raft.term).toBe(1);
    expect(n1.raft.hardState().vote).toBe('n1');
    const votes = only(outbox(n1), 'RequestVote');
    expect(votes.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    expect(votes.every((m) => m.term === 1 && !m.preVote)).toBe(true);
  });

  it('candidates: votes from a majority make a leader; a majority of rejections make a follower', () => {
    const n1 = newNode('n1', ['n1', 'n2', 'n3', 'n4', 'n5']);
    n1.raft.campaign();
    outbox(n1);
    const vote = (from: string, granted: boolean) =>
      n1.raft.step({ type: 'RequestVoteResponse', from, to: 'n1', term: 1, voteGranted: granted, preVote: false });
    vote('n2', true);
    expect(n1.raft.role).toBe('candidate');
    vote('n3', true);
    expect(n1.raft.role).toBe('leader');
    const n2 = newNode('n2', ['n1', 'n2', 'n3']);
    n2.raft.campaign();
    outbox(n2);
    n2.raft.step({ type: 'RequestVoteResponse', from: 'n1', to: 'n2', term: 1, voteGranted: false, preVote: false });
    expect(n2.raft.role).toBe('candidate');
    n2.raft.step({ type: 'RequestVoteResponse', from: 'n3', to: 'n2', term: 1, voteGranted: false, preVote: false });
    expect(n2.raft.role).toBe('follower');
  });

  it('candidates: an AppendEntries from a new leader of the same term converts to follower', () => {
    const n2 = newNode('n2', voters);
    n2.raft.campaign();
    outbox(n2);
    n2.raft.step(appendEntries({ term: 1, from: 'n3' }));
    expect(n2.raft.role).toBe('follower');
    expect(n2.raft.leaderId).toBe('n3');
  });

  it('candidates: if the election timeout elapses, start a new election', () => {
    const n1 = newNode('n1', voters, { electionTimeoutTicksMin: 5, electionTimeoutTicksMax: 5 });
    n1.raft.campaign();
    outbox(n1);
    for (let i = 0; i < 5; i++) n1.raft.tick();
    expect(n1.raft.term).toBe(2);
    expect(only(outbox(n1), 'RequestVote').every((m) => m.term === 2)).toBe(true);
  });
});

describe('Figure 2, leaders', () => {
  it('upon election: append a no-op and send AppendEntries to every server; repeat heartbeats when idle', () => {
    const c = new TestCluster(voters, { heartbeatTicks: 2 });
    c.campaign('n1');
    const n1 = c.node('n1');
    expect(n1.raft.termAt(1)).toBe(1);
    expect(n1.storage.entries(1, 2)[0]!.command).toEqual({ op: 'noop' });
    const before = c.delivered.length;
    n1.raft.tick();
    n1.raft.tick();
    const heartbeats = only(outbox(n1), 'AppendEntries');
    expect(heartbeats.map((m) => m.to).sort()).toEqual(['n2', 'n3']);
    expect(heartbeats.every((m) => m.entries.length === 0)).toBe(true);
    expect(c.delivered.length).toBe(before);
  });

  it('command from a client: append to the local log and replicate; the entry is applied once committed', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    const result = c.node('n1').raft.propose({ op: 'set', key: 'a', value: '1' });
    expect(result).toEqual({ ok: true, index: 2, term: 1 });
    expect(c.node('n2').raft.propose({ op: 'set', key: 'b', value: '2' })).toEqual({ ok: false, reason: 'not_leader', leaderId: 'n1' });
    c.stabilize();
    expect(c.node('n1').kv.get('a')).toBe('1');
  });

  it('if AppendEntries fails because of log inconsistency: move nextIndex back and retry', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    c.isolate('n3');
    for (let i = 0; i < 10; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'x' });
    c.stabilize();
    c.heal();
    // A new leader starts with nextIndex = its last index + 1 for everyone, far past n3's log.
    c.campaign('n2');
    expect(c.node('n2').raft.role).toBe('leader');
    const rejections = c.delivered.filter((m) => m.type === 'AppendEntriesResponse' && m.from === 'n3' && !m.success);
    expect(rejections.length).toBe(1); // one round trip: the hint says where n3's log ends
    expect(c.node('n3').raft.lastIndex).toBe(c.node('n2').raft.lastIndex);
  });

  it('a follower whose AppendEntries were lost is probed again after appendRetransmitTicks', () => {
    const c = new TestCluster(voters, { appendRetransmitTicks: 3 });
    c.campaign('n1');
    c.filter = (m) => !(m.type === 'AppendEntries' && m.to === 'n3' && m.entries.length > 0);
    c.node('n1').raft.propose({ op: 'set', key: 'a', value: '1' });
    c.stabilize();
    c.filter = () => true;
    c.tickAll(2);
    expect(c.node('n3').raft.lastIndex).toBe(1);
    c.tickAll(1);
    expect(c.node('n3').raft.lastIndex).toBe(2);
  });

  it('commit rule: N with a majority of matchIndex >= N and log[N].term == currentTerm (and no earlier)', () => {
    const c = new TestCluster(['n1', 'n2', 'n3', 'n4', 'n5']);
    c.campaign('n1');
    c.isolate('n4');
    c.isolate('n5');
    c.filter = (m) => !(m.type === 'AppendEntries' && m.to === 'n3' && m.entries.length > 0);
    c.node('n1').raft.propose({ op: 'set', key: 'a', value: '1' });
    c.stabilize();
    expect(c.node('n1').raft.commitIndex).toBe(1); // on n1 and n2 only: not a majority of five
    c.filter = () => true;
    c.tickAll(3); // the retransmit timer resends the lost entry to n3
    expect(c.node('n1').raft.commitIndex).toBe(2);
  });

  it('commit rule: an old-term entry on a majority is not committed by counting (Figure 8)', () => {
    const storage = new MemoryStorage(voters);
    storage.append([entry(1, 1)]);
    storage.setHardState({ term: 1, vote: null, commit: 0 });
    const n1 = newNode('n1', voters, {}, storage);
    n1.raft.campaign();
    outbox(n1);
    n1.raft.step({ type: 'RequestVoteResponse', from: 'n2', to: 'n1', term: 2, voteGranted: true, preVote: false });
    handleReady(n1); // persists the no-op at 2 (term 2)
    n1.raft.step({ type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 2, success: true, matchIndex: 1, rejectedIndex: 0, conflictIndex: 0, conflictTerm: 0, lastLogIndex: 1, seq: 1 });
    expect(n1.raft.commitIndex).toBe(0);
    n1.raft.step({ type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 2, success: true, matchIndex: 2, rejectedIndex: 0, conflictIndex: 0, conflictTerm: 0, lastLogIndex: 2, seq: 2 });
    expect(n1.raft.commitIndex).toBe(2);
  });
});
