/**
 * The protocol switches the playground toggles (each must change behaviour, so each test can fail):
 * the leader's no-op entry, fast backtracking, and the simulator's local reads, election-timer and
 * message controls, and its state hash.
 */
import { describe, expect, it } from 'vitest';
import type { AppendEntriesResponse, Message } from '../src/index';
import { Simulation } from '../src/sim/index';
import { TestCluster, outbox } from './harness';

const voters = ['n1', 'n2', 'n3'];

describe('leaderNoop', () => {
  it('on: a new leader appends a no-op of its term and commits the entries before it', () => {
    const c = new TestCluster(voters, { leaderNoop: true });
    c.campaign('n1');
    c.node('n1').raft.propose({ op: 'set', key: 'x', value: '1' });
    c.isolate('n3');
    c.stabilize();
    // n1 is cut off: n2 takes over with x=1 in its log from term 1.
    c.heal();
    c.isolate('n1');
    c.node('n2').raft.campaign();
    c.stabilize();
    const n2 = c.node('n2').raft;
    expect(n2.role).toBe('leader');
    expect(n2.entries(n2.lastIndex, n2.lastIndex + 1)![0]!.command).toEqual({ op: 'noop' });
    expect(n2.commitIndex).toBe(n2.lastIndex);
  });

  it('off: a new leader appends nothing, and an old-term entry stays uncommitted until a client writes', () => {
    const c = new TestCluster(voters, { leaderNoop: false });
    c.campaign('n1');
    expect(c.node('n1').raft.lastIndex).toBe(0);
    c.node('n1').raft.propose({ op: 'set', key: 'x', value: '1' });
    c.isolate('n3');
    // Deliver n1's append to n2 but drop n2's answer: x=1 is on two nodes, committed nowhere.
    c.filter = (m: Message) => !(m.type === 'AppendEntriesResponse' && m.from === 'n2');
    c.stabilize();
    c.filter = () => true;
    c.heal();
    c.isolate('n1');
    c.node('n2').raft.campaign();
    c.stabilize();
    const n2 = c.node('n2').raft;
    expect(n2.role).toBe('leader');
    expect(n2.lastIndex).toBe(1);
    expect(n2.commitIndex).toBe(0);
    c.tickAll(5);
    expect(n2.commitIndex).toBe(0);
    n2.propose({ op: 'set', key: 'y', value: '2' });
    c.stabilize();
    expect(n2.commitIndex).toBe(2);
  });
});

describe('fastBacktracking', () => {
  const reject: AppendEntriesResponse = {
    type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 1, success: false, matchIndex: 0,
    rejectedIndex: 6, conflictIndex: 3, conflictTerm: 0, lastLogIndex: 2, seq: 99, rejectReason: 'missing_entries',
  };

  for (const fast of [true, false]) {
    it(`${fast ? 'on' : 'off'}: a rejection ${fast ? 'jumps to the follower\'s hint' : 'moves nextIndex back by one entry'}`, () => {
      const c = new TestCluster(voters, { fastBacktracking: fast });
      c.campaign('n1');
      const n1 = c.node('n1').raft;
      for (let i = 0; i < 5; i++) n1.propose({ op: 'set', key: `k${i}`, value: 'v' });
      outbox(c.node('n1'));
      // n2 says: my log ends at 2, retry from 3 (it refused the append after index 6).
      n1.step(reject);
      expect(n1.status().progress!.n2).toMatchObject({ state: 'probe', next: fast ? 3 : 6 });
    });
  }

  /**
   * The classic lab test: the old leader (cut off with 30 entries no one else has) rejoins a new
   * leader that was elected while it is reachable; count the AppendEntries it refuses.
   */
  const rejectionsToCatchUp = (fast: boolean): number => {
    const sim = new Simulation({ seed: 3, nodeCount: 3, raft: { fastBacktracking: fast }, snapshotThreshold: 10_000 });
    sim.runUntil(() => sim.leader() !== null && sim.nodeIds.every((id) => sim.view(id).commitIndex >= 1), 5_000);
    const old = sim.leader()!;
    sim.act({ type: 'isolate', node: old });
    for (let i = 0; i < 30; i++) sim.act({ type: 'client', request: { clientId: 'lost', node: old, op: 'put', key: `lost${i}`, value: 'x', record: false } });
    const others = sim.nodeIds.filter((id) => id !== old);
    sim.runUntil(() => sim.leader() !== old && sim.leader() !== null, 5_000);
    const second = sim.leader()!;
    const third = others.find((id) => id !== second)!;
    for (let i = 0; i < 40; i++) sim.act({ type: 'client', request: { clientId: 'ok', node: second, op: 'put', key: `ok${i}`, value: 'y' } });
    sim.runUntil(() => sim.view(third).commitIndex >= 40, 5_000);
    let rejections = 0;
    sim.subscribe(({ event: e }) => {
      if (e.type === 'appendRejected' && e.node === old && (e.reason === 'term_mismatch' || e.reason === 'missing_entries')) rejections++;
    });
    sim.act({ type: 'healAll' });
    sim.act({ type: 'isolate', node: second });
    sim.runUntil(() => sim.view(third).role === 'leader' && sim.view(old).lastApplied === sim.view(third).commitIndex, 20_000);
    expect(sim.view(old).lastApplied).toBe(sim.view(third).commitIndex);
    expect(sim.violations).toEqual([]);
    return rejections;
  };

  it('a far-diverged follower costs two rejections with hints, more without (until a heartbeat finds the match)', () => {
    expect(rejectionsToCatchUp(true)).toBeLessThanOrEqual(2);
    expect(rejectionsToCatchUp(false)).toBeGreaterThan(2);
  });
});

describe('simulator: local reads (the playground\'s ReadIndex toggle)', () => {
  const staleRead = (localReads: boolean) => {
    const sim = new Simulation({ seed: 2, nodeCount: 3, localReads });
    sim.runUntil(() => sim.leader() !== null, 5_000);
    const old = sim.leader()!;
    sim.act({ type: 'client', request: { clientId: 'w', node: old, op: 'put', key: 'x', value: '1' } });
    sim.runFor(500);
    sim.act({ type: 'isolate', node: old });
    const others = sim.nodeIds.filter((id) => id !== old);
    sim.runUntil(() => others.some((id) => sim.view(id).role === 'leader'), 5_000);
    sim.act({ type: 'client', request: { clientId: 'w', node: sim.leader()!, op: 'put', key: 'x', value: '2' } });
    sim.runFor(500);
    const read = sim.act({ type: 'client', request: { clientId: 'r', node: old, op: 'get', key: 'x' } })!;
    sim.runFor(4_000);
    return sim.request(read)!.response!;
  };

  it('off (ReadIndex): the cut-off old leader cannot confirm a read and does not answer with x=1', () => {
    expect(staleRead(false).status).toBe(503);
  });

  it('on: the cut-off old leader answers x=1 from its own state, as if it were current', () => {
    expect(staleRead(true)).toMatchObject({ status: 200, body: { value: '1' } });
    expect(staleRead(true).body.stale).toBeUndefined();
  });
});

describe('simulator: message and timer controls', () => {
  const settled = () => {
    const sim = new Simulation({ seed: 4, nodeCount: 3 });
    sim.runUntil(() => sim.leader() !== null, 5_000);
    sim.runFor(300);
    return sim;
  };

  it('delayMessage holds a message in flight longer, and it is delivered once, at the new time', () => {
    const sim = settled();
    sim.runUntil(() => sim.inFlight().length > 0, 1_000);
    const [flight] = sim.inFlight();
    const due = flight!.deliverAt;
    sim.act({ type: 'delayMessage', id: flight!.id, ms: 500 });
    sim.runUntilTime(due + 1);
    expect(sim.inFlight().some((f) => f.id === flight!.id)).toBe(true);
    sim.runUntilTime(due + 501);
    expect(sim.inFlight().some((f) => f.id === flight!.id)).toBe(false);
    expect(sim.eventLog.some((e) => e.event.type === 'messageDelayed' && e.event.id === flight!.id)).toBe(true);
  });

  it('duplicateMessage puts a second copy on the wire', () => {
    const sim = settled();
    sim.runUntil(() => sim.inFlight().length > 0, 1_000);
    const [flight] = sim.inFlight();
    sim.act({ type: 'duplicateMessage', id: flight!.id });
    const copies = sim.inFlight().filter((f) => f.message === flight!.message);
    expect(copies).toHaveLength(2);
    expect(copies[1]!.duplicate).toBe(true);
    expect(copies[1]!.deliverAt).toBeGreaterThan(flight!.deliverAt);
  });

  it('align: every node that does not lead campaigns at once; with PreVote off the vote splits', () => {
    const sim = new Simulation({ seed: 4, nodeCount: 3, raft: { preVote: false, checkQuorum: false } });
    sim.runUntil(() => sim.leader() !== null, 5_000);
    sim.act({ type: 'crash', node: sim.leader()! });
    const term = Math.max(...sim.nodeIds.map((id) => sim.view(id).term));
    sim.act({ type: 'electionTimers', mode: 'align' });
    const up = sim.nodeIds.filter((id) => sim.node(id).up);
    expect(up.every((id) => sim.view(id).role === 'candidate' && sim.view(id).term === term + 1)).toBe(true);
    sim.runFor(200);
    // Two candidates, each with its own vote: nobody wins term + 1.
    expect(up.some((id) => sim.view(id).role === 'leader' && sim.view(id).term === term + 1)).toBe(false);
  });

  it('spread: the election timers restart at timeouts spread over the configured range', () => {
    const sim = settled();
    const leader = sim.leader()!;
    sim.act({ type: 'crash', node: leader });
    sim.act({ type: 'electionTimers', mode: 'spread' });
    const timeouts = sim.nodeIds.filter((id) => id !== leader).map((id) => sim.node(id).raft!.status().electionTimeout);
    expect(timeouts).toEqual([12, 24]);
  });
});

describe('simulator: state hash', () => {
  const run = (crashAt: number) => {
    const sim = new Simulation({ seed: 9, nodeCount: 3 });
    sim.runFor(crashAt);
    sim.act({ type: 'crash', node: 'n1' });
    sim.runFor(2_000 - crashAt);
    return sim;
  };

  it('is equal for equal runs and differs when anything differs', () => {
    expect(run(1_000).stateHash()).toBe(run(1_000).stateHash());
    const other = new Simulation({ seed: 9, nodeCount: 3 });
    other.runFor(1_000);
    other.act({ type: 'crash', node: 'n2' });
    other.runFor(1_000);
    expect(run(1_000).stateHash()).not.toBe(other.stateHash());
    const sim = run(1_000);
    const before = sim.stateHash();
    sim.runFor(1);
    expect(sim.stateHash()).not.toBe(before);
  });

  it('survives a checkpoint and restore', () => {
    const sim = run(1_000);
    const cp = sim.checkpoint();
    const hash = sim.stateHash();
    sim.runFor(500);
    sim.restore(cp);
    expect(sim.stateHash()).toBe(hash);
  });
});
