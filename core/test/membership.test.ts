/**
 * Membership changes (Raft thesis chapter 4, single-server changes) and leadership transfer
 * (thesis 3.10). One test per rule; each names the rule it checks.
 */
import { describe, expect, it } from 'vitest';
import type { ConfigChange, RaftConfigInput } from '../src/index';
import { MemoryStorage } from '../src/index';
import { TestCluster, handleReady, newNode } from './harness';

const voters = ['n1', 'n2', 'n3'];

/** A 3-node cluster led by n1, with an empty n4 started to join (it knows no members yet). */
function clusterWithJoiner(config: Partial<RaftConfigInput> = {}): TestCluster {
  const c = new TestCluster([...voters], config);
  c.campaign('n1');
  c.nodes.set('n4', newNode('n4', [], config));
  c.ids.push('n4');
  return c;
}

function change(c: TestCluster, leader: string, ch: ConfigChange) {
  const result = c.node(leader).raft.proposeConfChange(ch);
  c.stabilize();
  return result;
}

describe('membership: single-server changes, in effect from the log', () => {
  it('a learner receives the log, and never counts in a majority', () => {
    const c = clusterWithJoiner();
    expect(change(c, 'n1', { type: 'addLearner', node: 'n4' })).toMatchObject({ ok: true });
    c.node('n1').raft.propose({ op: 'set', key: 'a', value: '1' });
    c.stabilize();
    expect(c.node('n4').kv.get('a')).toBe('1');
    expect(c.node('n4').raft.configuration).toMatchObject({ voters, learners: ['n4'] });
    // With both voting followers cut off, the learner's acknowledgement does not make a majority.
    c.isolate('n2');
    c.isolate('n3');
    const before = c.node('n1').raft.commitIndex;
    c.node('n1').raft.propose({ op: 'set', key: 'b', value: '2' });
    c.stabilize();
    expect(c.node('n4').raft.lastIndex).toBe(c.node('n1').raft.lastIndex);
    expect(c.node('n1').raft.commitIndex).toBe(before);
  });

  it('one change at a time: a change is refused while the previous one is not committed', () => {
    const c = clusterWithJoiner();
    c.isolate('n2');
    c.isolate('n3');
    expect(change(c, 'n1', { type: 'addLearner', node: 'n4' })).toMatchObject({ ok: true });
    expect(change(c, 'n1', { type: 'addLearner', node: 'n5' })).toMatchObject({ ok: false, reason: 'change_in_progress' });
    c.heal();
    c.tickAll(5);
    expect(change(c, 'n1', { type: 'addLearner', node: 'n5' })).toMatchObject({ ok: true });
  });

  it('no change before the leader has committed an entry of its own term (Ongaro 2015)', () => {
    const c = new TestCluster(voters);
    // n1 wins, but nobody acknowledges its no-op: it has committed nothing in its term.
    c.filter = (m) => m.type !== 'AppendEntriesResponse';
    c.campaign('n1');
    expect(c.node('n1').raft.role).toBe('leader');
    expect(c.node('n1').raft.proposeConfChange({ type: 'addLearner', node: 'n4' })).toMatchObject({ ok: false, reason: 'leader_not_ready' });
    c.filter = () => true;
    c.tickAll(3);
    expect(c.node('n1').raft.proposeConfChange({ type: 'addLearner', node: 'n4' })).toMatchObject({ ok: true });
  });

  it('with the unsafe option configChangeBeforeOwnTermCommit, that rule is skipped', () => {
    const c = new TestCluster(voters, { unsafe: { configChangeBeforeOwnTermCommit: true } });
    c.filter = (m) => m.type !== 'AppendEntriesResponse';
    c.campaign('n1');
    expect(c.node('n1').raft.proposeConfChange({ type: 'addLearner', node: 'n4' })).toMatchObject({ ok: true });
  });

  it('a configuration takes effect when it enters a log, committed or not; a truncated one is undone', () => {
    const five = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new TestCluster(five);
    c.campaign('n1');
    // Only n2 receives n1's change (a learner n9 in), and its acknowledgement is lost: not committed.
    c.filter = (m) => (m.from === 'n1' ? m.to === 'n2' : true) && !(m.from === 'n2' && m.to === 'n1');
    expect(c.node('n1').raft.proposeConfChange({ type: 'addLearner', node: 'n9' })).toMatchObject({ ok: true });
    c.stabilize();
    expect(c.node('n2').raft.configuration.learners).toEqual(['n9']);
    expect(c.node('n2').raft.commitIndex).toBeLessThan(c.node('n2').raft.lastIndex);
    // n3 wins a new term with n4 and n5, without that entry, and overwrites it on n2: n2 is back
    // to the configuration before it.
    c.filter = (m) => m.to !== 'n1' && m.from !== 'n1';
    c.node('n3').raft.campaign();
    c.stabilize();
    expect(c.node('n3').raft.role).toBe('leader');
    c.node('n3').raft.propose({ op: 'set', key: 'x', value: '1' });
    c.stabilize();
    expect(c.node('n2').raft.configuration).toMatchObject({ voters: five, learners: [] });
    c.tickAll(1);
    expect(c.node('n2').kv.get('x')).toBe('1');
  });

  it('a learner, a joining node and a removed node never campaign, under the configuration in their own log', () => {
    const c = clusterWithJoiner({ preVote: true, checkQuorum: true });
    const joiner = c.node('n4');
    c.isolate('n4');
    c.tickAll(60);
    expect(joiner.raft.role).toBe('follower');
    expect(joiner.raft.term).toBe(0);
    c.heal();
    change(c, 'n1', { type: 'addLearner', node: 'n4' });
    c.isolate('n4');
    c.tickAll(60);
    expect(joiner.raft.role).toBe('follower');
    c.heal();
    c.tickAll(5);
    change(c, 'n1', { type: 'remove', node: 'n3' });
    expect(c.node('n3').raft.configuration.voters).toEqual(['n1', 'n2']);
    c.isolate('n3');
    const term = c.node('n3').raft.term;
    c.tickAll(60);
    expect(c.node('n3').raft.role).toBe('follower');
    expect(c.node('n3').raft.term).toBe(term);
    // A forced campaign is refused too.
    c.node('n3').raft.campaign();
    expect(c.node('n3').raft.role).toBe('follower');
  });

  it('promotion is refused while the learner lags, and accepted once it caught up', () => {
    const c = clusterWithJoiner({ promoteLagEntriesMax: 10 });
    change(c, 'n1', { type: 'addLearner', node: 'n4' });
    c.isolate('n4');
    for (let i = 0; i < 30; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'v' });
    c.stabilize();
    expect(change(c, 'n1', { type: 'promote', node: 'n4' })).toMatchObject({ ok: false, reason: 'learner_behind' });
    c.heal();
    c.tickAll(5);
    expect(change(c, 'n1', { type: 'promote', node: 'n4' })).toMatchObject({ ok: true });
    expect(c.node('n1').raft.configuration.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('a learner that has acknowledged nothing yet is behind, however short the log', () => {
    // A learner that is down (or was added before it started) must not become a voter: with a
    // short log it is within promoteLagEntriesMax of the commit index, yet it holds nothing.
    const c = clusterWithJoiner();
    c.isolate('n4');
    change(c, 'n1', { type: 'addLearner', node: 'n4' });
    expect(c.node('n1').raft.isCaughtUp('n4')).toBe(false);
    expect(change(c, 'n1', { type: 'promote', node: 'n4' })).toMatchObject({ ok: false, reason: 'learner_behind' });
    c.heal();
    c.tickAll(5);
    expect(c.node('n1').raft.isCaughtUp('n4')).toBe(true);
    expect(change(c, 'n1', { type: 'promote', node: 'n4' })).toMatchObject({ ok: true });
  });

  it('changes that make no sense are refused with a reason', () => {
    const c = clusterWithJoiner();
    expect(change(c, 'n1', { type: 'addLearner', node: 'n2' })).toMatchObject({ ok: false, reason: 'already_member' });
    expect(change(c, 'n1', { type: 'promote', node: 'n2' })).toMatchObject({ ok: false, reason: 'not_learner' });
    expect(change(c, 'n1', { type: 'promote', node: 'n9' })).toMatchObject({ ok: false, reason: 'not_member' });
    expect(change(c, 'n1', { type: 'remove', node: 'n9' })).toMatchObject({ ok: false, reason: 'not_member' });
    expect(change(c, 'n2', { type: 'remove', node: 'n3' })).toMatchObject({ ok: false, reason: 'not_leader', leaderId: 'n1' });
    const single = new TestCluster(['n1']);
    single.campaign('n1');
    expect(change(single, 'n1', { type: 'remove', node: 'n1' })).toMatchObject({ ok: false, reason: 'last_voter' });
  });

  it('a leader that removes itself leads until its removal commits, then steps down and never campaigns', () => {
    const c = new TestCluster(voters, { preVote: true, checkQuorum: true });
    c.campaign('n1');
    c.isolate('n2');
    c.isolate('n3');
    expect(change(c, 'n1', { type: 'remove', node: 'n1' })).toMatchObject({ ok: true });
    // Not committed yet: it still leads, replicating without counting itself.
    expect(c.node('n1').raft.role).toBe('leader');
    c.heal();
    c.tickAll(3);
    expect(c.node('n1').raft.role).toBe('follower');
    expect(c.node('n2').raft.configuration.voters).toEqual(['n2', 'n3']);
    const steppedDown = c.delivered.length;
    // The two voters left elect a leader (the harness gives every node the same timer seed, so one
    // is made to time out first); n1 sits it out.
    c.tickAll(20);
    c.campaign('n2');
    c.tickAll(40);
    expect(c.leader()).toBe('n2');
    expect(c.node('n1').raft.role).toBe('follower');
    expect(c.delivered.slice(steppedDown).some((m) => m.type === 'RequestVote' && m.from === 'n1')).toBe(false);
  });

  it('a removed server that never learned of its removal cannot disrupt the cluster (PreVote, CheckQuorum)', () => {
    const c = new TestCluster(voters, { preVote: true, checkQuorum: true });
    c.campaign('n1');
    c.isolate('n3');
    change(c, 'n1', { type: 'remove', node: 'n3' });
    expect(c.node('n3').raft.configuration.voters).toEqual(voters);
    const term = c.node('n1').raft.term;
    // n3 hears nothing any more (it is out of the configuration), times out, and asks for votes.
    c.heal();
    c.tickAll(100);
    expect(c.node('n1').raft.role).toBe('leader');
    expect(c.node('n1').raft.term).toBe(term);
    expect(c.node('n2').raft.term).toBe(term);
    expect(c.delivered.some((m) => m.type === 'RequestVote' && m.from === 'n3')).toBe(true);
  });

  it('learners answer vote requests: a learner may have been promoted without knowing it yet', () => {
    const c = clusterWithJoiner();
    change(c, 'n1', { type: 'addLearner', node: 'n4' });
    const learner = c.node('n4');
    learner.raft.step({ type: 'RequestVote', from: 'n2', to: 'n4', term: 5, lastLogIndex: 99, lastLogTerm: 5, preVote: false, transfer: false });
    const replies = handleReady(learner).messages.map((m) => m.message);
    expect(replies).toContainEqual(expect.objectContaining({ type: 'RequestVoteResponse', to: 'n2', voteGranted: true }));
  });

  it('the configuration travels in snapshots and is restored on restart', () => {
    const c = clusterWithJoiner();
    change(c, 'n1', { type: 'addLearner', node: 'n4' });
    const n1 = c.node('n1');
    const index = n1.raft.appliedIndex;
    n1.storage.createSnapshot(index, n1.kv.snapshotChunks(), n1.raft.configurationAt(index), 0);
    expect(n1.storage.snapshot().config.learners).toEqual(['n4']);
    const restarted = newNode('n1', voters, {}, n1.storage);
    expect(restarted.raft.configuration).toMatchObject({ voters, learners: ['n4'] });
    // A node started from a fresh storage with the initial voters knows only those.
    expect(newNode('n1', voters, {}, new MemoryStorage(voters)).raft.configuration.learners).toEqual([]);
  });
});

describe('leadership transfer (TimeoutNow)', () => {
  it('the leader refuses writes, brings the target up to date, and the target leads within an election timeout', () => {
    const c = new TestCluster(voters, { preVote: true, checkQuorum: true });
    c.campaign('n1');
    // n3 is behind: it missed a few writes.
    c.isolate('n3');
    for (let i = 0; i < 5; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'v' });
    c.stabilize();
    c.heal();
    expect(c.node('n1').raft.transferLeadership('n3')).toEqual({ ok: true });
    expect(c.node('n1').raft.propose({ op: 'set', key: 'during', value: 'x' })).toMatchObject({ ok: false, reason: 'transferring', leaderId: 'n3' });
    // Within an election timeout (10 ticks): here, the retransmit that finds n3 behind, then TimeoutNow.
    c.tickAll(5);
    expect(c.leader()).toBe('n3');
    expect(c.node('n3').kv.get('k4')).toBe('v');
    expect(c.delivered.some((m) => m.type === 'TimeoutNow' && m.to === 'n3')).toBe(true);
    expect(c.node('n1').raft.leaderId).toBe('n3');
  });

  it('voters honour the target campaign inside their CheckQuorum lease', () => {
    const c = new TestCluster(voters, { preVote: true, checkQuorum: true });
    c.campaign('n1');
    c.tickAll(1);
    const term = c.node('n1').raft.term;
    c.node('n1').raft.transferLeadership('n2');
    c.stabilize();
    expect(c.leader()).toBe('n2');
    expect(c.node('n2').raft.term).toBe(term + 1);
    // The same campaign without the transfer flag is refused by a voter that hears a leader.
    c.node('n3').raft.step({ type: 'RequestVote', from: 'n1', to: 'n3', term: term + 2, lastLogIndex: 99, lastLogTerm: term + 1, preVote: false, transfer: false });
    const replies = handleReady(c.node('n3')).messages.map((m) => m.message);
    expect(replies).toContainEqual(expect.objectContaining({ type: 'RequestVoteResponse', voteGranted: false, rejectReason: 'leader_lease' }));
  });

  it('a transfer that does not finish within an election timeout is given up, and writes resume', () => {
    const c = new TestCluster(voters, { preVote: true, checkQuorum: true });
    c.campaign('n1');
    c.isolate('n3');
    expect(c.node('n1').raft.transferLeadership('n3')).toEqual({ ok: true });
    c.tickAll(4);
    expect(c.node('n1').raft.leadTransferee).toBe('n3');
    c.tickAll(10);
    expect(c.node('n1').raft.leadTransferee).toBeNull();
    expect(c.node('n1').raft.role).toBe('leader');
    expect(c.node('n1').raft.propose({ op: 'set', key: 'after', value: 'x' })).toMatchObject({ ok: true });
  });

  it('only a voter can be the target', () => {
    const c = clusterWithJoiner();
    change(c, 'n1', { type: 'addLearner', node: 'n4' });
    expect(c.node('n1').raft.transferLeadership('n4')).toMatchObject({ ok: false, reason: 'not_voter' });
    expect(c.node('n1').raft.transferLeadership('n1')).toMatchObject({ ok: false, reason: 'self' });
    expect(c.node('n2').raft.transferLeadership('n3')).toMatchObject({ ok: false, reason: 'not_leader', leaderId: 'n1' });
  });
});
