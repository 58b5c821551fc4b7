/**
 * The decision trace (raft.traceDecisions): each handler names the rule of Figure 2 it applied,
 * with the values it really compared, in the order it applied them. The playground's pseudocode
 * view shows exactly these steps, so they are checked here against the handlers' own answers.
 */
import { describe, expect, it } from 'vitest';
import type { AppendEntries, DecisionTrace, Entry, Message, Ready, RequestVote } from '../src/index';
import { MemoryStorage, formatStep } from '../src/index';
import { Simulation } from '../src/sim/index';
import { TestCluster, handleReady, newNode } from './harness';

const voters = ['n1', 'n2', 'n3'];
const entry = (index: number, term: number): Entry => ({ index, term, command: { op: 'set', key: `k${index}`, value: `v${index}` } });

function appendEntries(fields: Partial<AppendEntries>): AppendEntries {
  return { type: 'AppendEntries', from: 'n1', to: 'n2', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0, seq: 1, ...fields };
}

function requestVote(fields: Partial<RequestVote>): RequestVote {
  return { type: 'RequestVote', from: 'n3', to: 'n2', term: 1, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false, ...fields };
}

/** A follower n2 that traces, whose storage holds `entries` at `term`. */
function tracedFollower(entries: Entry[], term: number, traceDecisions = true) {
  const storage = new MemoryStorage(voters);
  storage.append(entries);
  storage.setHardState({ term, vote: null, commit: 0 });
  return newNode('n2', voters, { traceDecisions }, storage);
}

/** The trace of the one message the node handled in this Ready. */
function traceOf(rd: Ready, m: Message): DecisionTrace {
  const trace = rd.traces.find((t) => t.message === m);
  expect(trace, 'a trace for the message').toBeDefined();
  return trace!;
}

const lines = (trace: DecisionTrace): string[] => trace.steps.map(formatStep);
const reply = (rd: Ready) => rd.messages.map((o) => o.message).find((m) => m.type.endsWith('Response'))!;

describe('decision trace: AppendEntries receiver', () => {
  it('a stale-term AppendEntries names receiver 1 with both terms, and the reply is false', () => {
    const n2 = tracedFollower([], 4);
    const m = appendEntries({ term: 3 });
    n2.raft.step(m);
    const rd = handleReady(n2);
    expect(reply(rd)).toMatchObject({ type: 'AppendEntriesResponse', success: false, term: 4 });
    expect(lines(traceOf(rd, m))).toEqual(['AppendEntries receiver 1: term 3 < currentTerm 4 -> reply false']);
    expect(traceOf(rd, m).steps[0]).toMatchObject({ rule: 'AppendEntries receiver 1', values: { term: 3, currentTerm: 4 }, holds: true });
  });

  it('a mismatch at prevLogIndex names receiver 2 with the term this log holds there', () => {
    const n2 = tracedFollower([entry(1, 1), entry(2, 1)], 2);
    const m = appendEntries({ term: 2, prevLogIndex: 2, prevLogTerm: 2, entries: [entry(3, 2)] });
    n2.raft.step(m);
    const rd = handleReady(n2);
    expect(reply(rd)).toMatchObject({ success: false, rejectReason: 'term_mismatch' });
    const steps = traceOf(rd, m).steps;
    expect(steps.map((s) => s.rule)).toEqual(['AppendEntries receiver 1', 'Committed prefix', 'AppendEntries receiver 2']);
    expect(steps[2]).toMatchObject({ values: { prevLogIndex: 2, prevLogTerm: 2, myTermAtPrevLogIndex: 1 }, holds: true, result: 'reply false' });
  });

  it('an accepted append walks receiver 1-5 in order, with the entries appended and the commit index it set', () => {
    const n2 = tracedFollower([entry(1, 1)], 1);
    const m = appendEntries({ prevLogIndex: 1, prevLogTerm: 1, entries: [entry(2, 1), entry(3, 1)], leaderCommit: 3 });
    n2.raft.step(m);
    const rd = handleReady(n2);
    expect(reply(rd)).toMatchObject({ success: true, matchIndex: 3 });
    const trace = traceOf(rd, m);
    expect(trace.steps.map((s) => s.rule)).toEqual([
      'AppendEntries receiver 1', 'Committed prefix', 'AppendEntries receiver 2',
      'AppendEntries receiver 3', 'AppendEntries receiver 4', 'AppendEntries receiver 5',
    ]);
    expect(formatStep(trace.steps[4]!)).toBe('AppendEntries receiver 4: newEntries 2 > 0 -> append entries 2-3');
    expect(formatStep(trace.steps[5]!)).toBe('AppendEntries receiver 5: leaderCommit 3 > commitIndex 0 -> commitIndex = min(leaderCommit, lastNewIndex) = 3');
    expect(n2.raft.commitIndex).toBe(3);
    // The events the input emitted belong to its trace.
    expect(trace.events.map((e) => e.type)).toEqual(expect.arrayContaining(['appendAccepted', 'commitAdvanced']));
  });
});

describe('decision trace: RequestVote receiver', () => {
  it('a vote refused for an out-of-date log names receiver 2 with both last terms and indexes', () => {
    const n2 = tracedFollower([entry(1, 1), entry(2, 2)], 2);
    const m = requestVote({ term: 3, lastLogIndex: 5, lastLogTerm: 1 });
    n2.raft.step(m);
    const rd = handleReady(n2);
    expect(reply(rd)).toMatchObject({ type: 'RequestVoteResponse', voteGranted: false });
    const logCheck = traceOf(rd, m).steps.filter((s) => s.rule === 'RequestVote receiver 2').at(-1)!;
    expect(logCheck).toMatchObject({ values: { lastLogTerm: 1, lastLogIndex: 5, myLastTerm: 2, myLastIndex: 2 }, holds: false });
    expect(formatStep(logCheck)).toBe(
      "RequestVote receiver 2: lastLogTerm 1 > myLastTerm 2 || (lastLogTerm 1 == myLastTerm 2 && lastLogIndex 5 >= myLastIndex 2) is false -> reply false: candidate's log is behind mine");
    // The higher term came first: Rules for All Servers.
    expect(traceOf(rd, m).steps[0]).toMatchObject({ rule: 'All Servers 2', values: { term: 3, currentTerm: 2 } });
  });

  it('a granted vote names both checks of receiver 2 as passed', () => {
    const n2 = tracedFollower([entry(1, 1)], 1);
    const m = requestVote({ term: 2, lastLogIndex: 1, lastLogTerm: 1 });
    n2.raft.step(m);
    const rd = handleReady(n2);
    expect(reply(rd)).toMatchObject({ voteGranted: true });
    const checks = traceOf(rd, m).steps.filter((s) => s.rule === 'RequestVote receiver 2');
    expect(checks.map((s) => s.holds)).toEqual([true, true]);
    expect(checks[0]!.values).toMatchObject({ votedFor: null, candidateId: 'n3' });
    expect(checks[1]!.result).toBe('grant vote: votedFor = n3, reset the election timer');
  });

  it('a second candidate in the same term is refused by the votedFor check, and the log check is not reached', () => {
    const n2 = tracedFollower([], 1);
    n2.raft.step(requestVote({ from: 'n1', term: 2 }));
    handleReady(n2);
    const m = requestVote({ from: 'n3', term: 2 });
    n2.raft.step(m);
    const rd = handleReady(n2);
    expect(reply(rd)).toMatchObject({ voteGranted: false });
    const steps = traceOf(rd, m).steps;
    expect(steps.map((s) => s.rule)).toEqual(['RequestVote receiver 1', 'RequestVote receiver 2']);
    expect(steps[1]).toMatchObject({ values: { votedFor: 'n1', candidateId: 'n3' }, holds: false });
  });
});

describe('decision trace: Rules for Leaders', () => {
  it('a commit advance names Leaders rule 4 with every matchIndex and the majority N', () => {
    const c = new TestCluster(voters, { traceDecisions: true });
    c.node('n1').raft.campaign();
    c.stabilize();
    expect(c.node('n1').raft.role).toBe('leader');
    const before = c.node('n1').raft.commitIndex;
    c.node('n1').raft.propose({ op: 'set', key: 'x', value: '1' });
    // Deliver by hand so the leader's Readies (and their traces) can be read.
    const traces: DecisionTrace[] = [];
    const leader = c.node('n1');
    for (let round = 0; round < 20; round++) {
      const pending: Message[] = [];
      for (const node of c.nodes.values()) {
        while (node.raft.hasReady()) {
          const rd = handleReady(node);
          if (node === leader) traces.push(...rd.traces);
          pending.push(...rd.messages.map((o) => o.message));
        }
      }
      if (pending.length === 0) break;
      for (const m of pending) c.deliver(m);
    }
    expect(leader.raft.commitIndex).toBe(before + 1);
    const advance = traces.flatMap((t) => t.steps).find((s) => s.rule === 'Leaders 4' && s.holds)!;
    expect(advance).toBeDefined();
    expect(advance.values).toMatchObject({ N: before + 1, commitIndex: before, termOfN: 1, currentTerm: 1 });
    // Every voter's matchIndex, and a majority of them reach N.
    const matches = String(advance.values.matchIndex).split(' ').map((kv) => Number(kv.split('=')[1]));
    expect(matches).toHaveLength(3);
    expect(matches.filter((m) => m >= before + 1).length).toBeGreaterThanOrEqual(2);
    expect(advance.result).toBe(`commitIndex = ${before + 1}`);
  });

  it('an election names Followers 2, Candidates 1 and Candidates 2 with the vote count', () => {
    const sim = new Simulation({ seed: 3, nodeCount: 3, raft: { traceDecisions: true, preVote: false } });
    expect(sim.runUntil(() => sim.leader() !== null, 10_000)).toBe(true);
    const leader = sim.leader()!;
    const own = sim.traceLog.filter((t) => t.trace.node === leader).flatMap((t) => t.trace.steps);
    const rules = own.map((s) => s.rule);
    expect(rules).toContain('Followers 2');
    expect(rules).toContain('Candidates 1');
    const won = own.find((s) => s.rule === 'Candidates 2' && s.holds)!;
    expect(won.values).toMatchObject({ majority: 2, voters: 3 });
    expect(Number(won.values.granted)).toBeGreaterThanOrEqual(2);
    expect(rules.indexOf('Followers 2')).toBeLessThan(rules.indexOf('Candidates 1'));
    // The event that made it leader carries the trace it came from.
    const wonEvent = sim.eventLog.find((e) => e.event.type === 'electionWon' && e.event.node === leader)!;
    expect(wonEvent.trace?.steps.some((s) => s.rule === 'Candidates 2' && s.holds)).toBe(true);
  });
});

describe('decision trace: off', () => {
  it('records nothing unless asked, and the same run takes the same decisions either way', () => {
    const n2 = tracedFollower([], 4, false);
    n2.raft.step(appendEntries({ term: 3 }));
    expect(handleReady(n2).traces).toEqual([]);
    const plain = new Simulation({ seed: 7, nodeCount: 5 });
    const traced = new Simulation({ seed: 7, nodeCount: 5, raft: { traceDecisions: true } });
    for (const sim of [plain, traced]) sim.runFor(5_000);
    expect(plain.traceLog).toHaveLength(0);
    expect(traced.traceLog.length).toBeGreaterThan(0);
    expect(traced.stateHash()).toBe(plain.stateHash());
  });
});
