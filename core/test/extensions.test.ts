/** Beyond Figure 2: PreVote, CheckQuorum, ReadIndex, fast backtracking, batching, pipelining, snapshots, limits. */
import { describe, expect, it } from 'vitest';
import type { AppendEntriesResponse, Message } from '../src/index';
import { MemoryStorage, configurationOf, textChunksDigest } from '../src/index';
import { TestCluster, handleReady, newNode, outbox } from './harness';

const voters = ['n1', 'n2', 'n3'];
const only = <T extends Message['type']>(messages: Message[], type: T) =>
  messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);

describe('PreVote (Raft thesis 9.6)', () => {
  it('a node that cannot win runs a PreVote round without raising anyone\'s term', () => {
    const c = new TestCluster(voters, { preVote: true });
    c.campaign('n1');
    const term = c.node('n1').raft.term;
    c.isolate('n3');
    for (let i = 0; i < 50; i++) c.node('n3').raft.tick();
    const probes = only(outbox(c.node('n3')), 'RequestVote');
    expect(probes.length).toBeGreaterThan(0);
    expect(probes.every((m) => m.preVote && m.term === term + 1)).toBe(true);
    expect(c.node('n3').raft.term).toBe(term);
    c.heal();
    c.tickAll(3);
    expect(c.node('n1').raft.role).toBe('leader');
    expect(c.node('n1').raft.term).toBe(term);
  });

  it('a PreVote win leads to a real election in the next term', () => {
    const c = new TestCluster(voters, { preVote: true });
    c.campaign('n2');
    expect(c.node('n2').raft.role).toBe('leader');
    expect(c.node('n2').raft.term).toBe(1);
    const kinds = c.delivered.filter((m) => m.type === 'RequestVote').map((m) => (m as { preVote: boolean }).preVote);
    expect(kinds).toEqual([true, true, false, false]);
  });
});

describe('CheckQuorum', () => {
  it('a leader that has not heard from a majority within an election timeout steps down', () => {
    const c = new TestCluster(voters, { checkQuorum: true, electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 20 });
    c.campaign('n1');
    c.isolate('n1');
    const n1 = c.node('n1');
    const events = [];
    for (let i = 0; i < 25 && n1.raft.role === 'leader'; i++) {
      n1.raft.tick();
      while (n1.raft.hasReady()) events.push(...handleReady(n1).events);
    }
    expect(n1.raft.role).toBe('follower');
    expect(events.some((e) => e.type === 'roleChanged' && e.reason === 'check_quorum')).toBe(true);
  });

  it('a node that hears from a live leader rejects vote requests (leader lease)', () => {
    const c = new TestCluster(voters, { checkQuorum: true });
    c.campaign('n1');
    const n2 = c.node('n2');
    n2.raft.step({ type: 'RequestVote', from: 'n3', to: 'n2', term: 5, lastLogIndex: 9, lastLogTerm: 9, preVote: false, transfer: false });
    const [reply] = only(outbox(n2), 'RequestVoteResponse');
    expect(reply).toMatchObject({ voteGranted: false, rejectReason: 'leader_lease', term: 1 });
    expect(n2.raft.term).toBe(1);
  });
});

describe('ReadIndex (thesis 6.4)', () => {
  it('a leader serves a read at its commit index only after a majority answers a later heartbeat', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    const n1 = c.node('n1');
    expect(n1.raft.readIndex('r1')).toEqual({ ok: true });
    const rd = handleReady(n1);
    expect(rd.readStates).toEqual([]);
    const heartbeats = only(rd.messages.map((m) => m.message), 'AppendEntries');
    expect(heartbeats).toHaveLength(2);
    for (const hb of heartbeats) c.deliver(hb);
    const [ack] = only(outbox(c.node('n2')), 'AppendEntriesResponse');
    c.deliver(ack!);
    expect(handleReady(n1).readStates).toEqual([{ context: 'r1', index: n1.raft.commitIndex }]);
  });

  it('a leader that has not committed in its term yet holds reads back', () => {
    const n1 = newNode('n1', voters);
    n1.raft.campaign();
    outbox(n1);
    n1.raft.step({ type: 'RequestVoteResponse', from: 'n2', to: 'n1', term: 1, voteGranted: true, preVote: false });
    n1.raft.readIndex('early');
    const rd = handleReady(n1);
    expect(rd.readStates).toEqual([]);
    expect(rd.messages.filter((m) => m.message.type === 'AppendEntries' && m.message.entries.length === 0)).toHaveLength(0);
  });

  it('a follower forwards the read to the leader and gets the index back', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    c.node('n2').raft.readIndex('r2');
    c.stabilize();
    expect(c.delivered.some((m) => m.type === 'ReadIndex' && m.from === 'n2')).toBe(true);
    const response = c.delivered.find((m) => m.type === 'ReadIndexResponse');
    expect(response).toMatchObject({ to: 'n2', context: 'r2', success: true, index: c.node('n1').raft.commitIndex });
  });

  it('reads are dropped when nobody leads or leadership is lost', () => {
    const n2 = newNode('n2', voters);
    expect(n2.raft.readIndex('x')).toEqual({ ok: false, reason: 'no_leader' });
    const c = new TestCluster(voters);
    c.campaign('n1');
    c.isolate('n1');
    c.node('n1').raft.readIndex('lost');
    c.node('n1').raft.step({ type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 9, success: false, matchIndex: 0, rejectedIndex: 0, conflictIndex: 0, conflictTerm: 0, lastLogIndex: 0, seq: 0, rejectReason: 'stale_term' });
    expect(handleReady(c.node('n1')).droppedReads).toEqual([{ context: 'lost', reason: 'leadership_lost' }]);
  });
});

describe('replication flow control', () => {
  it('batching: one AppendEntries carries up to entriesPerMessageMax entries', () => {
    const c = new TestCluster(voters, { entriesPerMessageMax: 4 });
    c.campaign('n1');
    for (let i = 0; i < 10; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'v' });
    const sent = only(outbox(c.node('n1')), 'AppendEntries').filter((m) => m.to === 'n2');
    expect(sent.map((m) => m.entries.length)).toEqual([4, 4, 2]);
  });

  it('pipelining: at most inflightMessagesMax AppendEntries are outstanding per follower', () => {
    const c = new TestCluster(voters, { entriesPerMessageMax: 1, inflightMessagesMax: 3 });
    c.campaign('n1');
    for (let i = 0; i < 10; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'v' });
    const sent = only(outbox(c.node('n1')), 'AppendEntries').filter((m) => m.to === 'n2');
    expect(sent).toHaveLength(3);
    expect(c.node('n1').raft.status().progress!.n2).toMatchObject({ state: 'replicate', inflight: 3 });
  });

  it('probe state sends one AppendEntries at a time until the follower answers', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    c.isolate('n3');
    for (let i = 0; i < 3; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'v' });
    c.stabilize();
    const n1 = c.node('n1');
    // n3 answered nothing; a rejection puts it in probe; only one probe is in flight.
    n1.raft.step({ type: 'AppendEntriesResponse', from: 'n3', to: 'n1', term: 1, success: false, matchIndex: 0, rejectedIndex: 4, conflictIndex: 2, conflictTerm: 0, lastLogIndex: 1, seq: 1, rejectReason: 'missing_entries' });
    const probes = only(outbox(n1), 'AppendEntries').filter((m) => m.to === 'n3');
    expect(probes).toHaveLength(1);
    expect(probes[0]).toMatchObject({ prevLogIndex: 1 });
    expect(n1.raft.status().progress!.n3!.state).toBe('probe');
  });

  it('fast backtracking: the leader skips the follower\'s whole conflicting term in one round trip', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    const n1 = c.node('n1');
    const reject: AppendEntriesResponse = {
      type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 1, success: false, matchIndex: 0,
      rejectedIndex: 1, conflictIndex: 1, conflictTerm: 0, lastLogIndex: 0, seq: 99, rejectReason: 'missing_entries',
    };
    for (let i = 0; i < 5; i++) n1.raft.propose({ op: 'set', key: `k${i}`, value: 'v' });
    outbox(n1);
    // An old answer, delayed: it echoes the seq of a message sent before n2 acknowledged index 1.
    n1.raft.step({ ...reject, rejectedIndex: 1, conflictIndex: 1, lastLogIndex: 0, seq: 1 });
    // n2 is in replicate with match 1, so a rejection at 1 is stale and ignored.
    expect(n1.raft.status().progress!.n2!.next).toBe(7);
    n1.raft.step({ ...reject, rejectedIndex: 6, conflictIndex: 3, conflictTerm: 0, lastLogIndex: 2 });
    expect(n1.raft.status().progress!.n2).toMatchObject({ state: 'probe', next: 3 });
  });

  it('proposals are refused beyond uncommittedEntriesMax', () => {
    const c = new TestCluster(voters, { uncommittedEntriesMax: 3 });
    c.campaign('n1');
    c.isolate('n1');
    const results = Array.from({ length: 5 }, (_, i) => c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: 'v' }).ok);
    expect(results).toEqual([true, true, true, false, false]);
  });

  it('a leader sends AppendEntries before its own fsync, and counts itself only once persisted', () => {
    const c = new TestCluster(voters);
    c.campaign('n1');
    const n1 = c.node('n1');
    n1.raft.propose({ op: 'set', key: 'a', value: '1' });
    const rd = n1.raft.ready();
    const appends = rd.messages.filter((m) => m.message.type === 'AppendEntries');
    expect(appends.length).toBe(2);
    expect(appends.every((m) => !m.waitForPersist)).toBe(true);
    for (const m of appends) c.deliver(m.message);
    // n2 persists and acks, but without n1's own durable copy there is no majority yet... n2 + n3 are two of three.
    c.isolate('n3');
    const ack = only(outbox(c.node('n2')), 'AppendEntriesResponse')[0]!;
    n1.raft.step(ack);
    expect(n1.raft.commitIndex).toBe(1);
    n1.storage.append(rd.entries);
    if (rd.hardState) n1.storage.setHardState(rd.hardState);
    n1.raft.advance(rd);
    expect(n1.raft.commitIndex).toBe(2);
  });
});

describe('input from the network cannot crash a node', () => {
  it('an AppendEntries from a second leader of the same term is refused with a reason, not trusted', () => {
    const n1 = newNode('n1', voters);
    n1.raft.campaign();
    outbox(n1);
    n1.raft.step({ type: 'RequestVoteResponse', from: 'n2', to: 'n1', term: 1, voteGranted: true, preVote: false });
    outbox(n1);
    const lastIndex = n1.raft.lastIndex;
    n1.raft.step({ type: 'AppendEntries', from: 'n3', to: 'n1', term: 1, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 1, term: 1, command: { op: 'noop' } }], leaderCommit: 1, seq: 1 });
    const rd = handleReady(n1);
    expect(rd.messages.map((m) => m.message)).toContainEqual(expect.objectContaining({ type: 'AppendEntriesResponse', to: 'n3', success: false, rejectReason: 'conflicting_leader' }));
    expect(rd.events.some((e) => e.type === 'appendRejected' && e.reason === 'conflicting_leader')).toBe(true);
    expect(n1.raft.role).toBe('leader');
    expect(n1.raft.lastIndex).toBe(lastIndex);
  });
});

describe('snapshots (Figure 13)', () => {
  function compactedLeader() {
    const c = new TestCluster(voters);
    c.campaign('n1');
    c.isolate('n3');
    for (let i = 0; i < 10; i++) c.node('n1').raft.propose({ op: 'set', key: `k${i}`, value: String(i) });
    c.stabilize();
    const n1 = c.node('n1');
    n1.storage.createSnapshot(n1.raft.appliedIndex, n1.kv.snapshotChunks(10), configurationOf(voters), 0);
    return c;
  }

  it('a follower behind the compacted log gets InstallSnapshot and restores its state machine', () => {
    const c = compactedLeader();
    c.heal();
    c.tickAll(4);
    const n3 = c.node('n3');
    expect(c.delivered.some((m) => m.type === 'InstallSnapshot' && m.to === 'n3')).toBe(true);
    expect(n3.kv.get('k9')).toBe('9');
    expect(n3.storage.snapshot().index).toBe(11);
    // The state travelled in several chunks, each acknowledged.
    const chunks = c.delivered.filter((m) => m.type === 'InstallSnapshot' && m.to === 'n3');
    expect(chunks.length).toBeGreaterThanOrEqual(c.node('n1').storage.snapshot().chunkCount);
    expect(c.node('n1').storage.snapshot().chunkCount).toBeGreaterThan(3);
    expect(c.node('n1').raft.status().progress!.n3!.state).toBe('replicate');
  });

  it('a snapshot that the follower\'s log already covers is not installed, only committed', () => {
    const storage = new MemoryStorage(voters);
    storage.append([1, 2, 3].map((index) => ({ index, term: 1, command: { op: 'noop' as const } })));
    storage.setHardState({ term: 1, vote: null, commit: 0 });
    const n2 = newNode('n2', voters, {}, storage);
    n2.raft.step({ type: 'InstallSnapshot', from: 'n1', to: 'n2', term: 1, seq: 1, meta: { index: 2, term: 1, config: configurationOf(voters), chunkCount: 1, bytes: 8, digest: textChunksDigest(['{"kv":[]}']) }, chunk: 0, data: '{"kv":[]}' });
    const rd = handleReady(n2);
    expect(rd.snapshot).toBeNull();
    expect(n2.raft.commitIndex).toBe(2);
    expect(n2.raft.lastIndex).toBe(3);
  });

  it('a restarted node re-applies committed entries after its snapshot', () => {
    const c = compactedLeader();
    const n1 = c.node('n1');
    n1.raft.propose({ op: 'set', key: 'after', value: 'snap' });
    c.heal();
    c.stabilize();
    const restarted = newNode('n1', voters, {}, n1.storage);
    expect(restarted.kv.get('k9')).toBe('9');
    expect(restarted.kv.get('after')).toBeUndefined();
    handleReady(restarted);
    expect(restarted.kv.get('after')).toBe('snap');
    expect(restarted.applied[0]).toBe(12);
  });
});
