/**
 * The Raft port in-process: the reference's wire format in and out, malformed RPCs rejected with
 * 400 and no state change, the cluster token, and pipelined requests stepped in arrival order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PeerConnection } from '../src/transport/peer-connection';
import type { TestNode } from './support/in-process-node';
import { call, startTestNode } from './support/in-process-node';

const post = (t: TestNode, route: string, body: unknown, headers: Record<string, string> = {}) =>
  call(`${t.raft}/raft/${route}`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

const peers = { PEERS: 'http://127.0.0.1:1,http://127.0.0.1:2', PEER_IDS: 'n2,n3', PEER_KV_URLS: 'http://127.0.0.1:3,http://127.0.0.1:4' };
const setCommand = (i: number) => ({ op: 'set', key: `k${i}`, value: `v${i}` });

function durableState(t: TestNode) {
  const s = t.node.host.raft.status();
  return { term: s.term, vote: s.vote, lastIndex: s.lastIndex, commit: s.commitIndex, hardState: t.node.storage.hardStateNow() };
}

describe('Raft RPC routes', () => {
  let t: TestNode;
  beforeAll(async () => {
    // Long election timeouts: this node must stay a follower of the test's "leader" n2.
    t = await startTestNode({ ...peers, RAFT_ELECTION_TIMEOUT_MIN_MS: '60000', RAFT_ELECTION_TIMEOUT_MAX_MS: '60000' });
  });
  afterAll(() => t.stop());

  it('accepts AppendEntries in the reference format and answers {term, success, ...}', async () => {
    const r = await post(t, 'appendentries', {
      term: 1, leaderId: 'n2', leaderAddr: 'http://127.0.0.1:8082', prevLogIndex: 0, prevLogTerm: 0,
      entries: [{ term: 1, index: 1, command: setCommand(1) }, { term: 1, index: 2, command: { op: 'noop' } }], leaderCommit: 1,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ term: 1, success: true, matchIndex: 2, lastLogIndex: 2 });
    const status = (await call(`${t.raft}/raft/status`)).body;
    expect(status).toMatchObject({ node_id: 'n1', id: 'n1', state: 'follower', term: 1, leaderId: 'n2', leaderAddr: 'http://127.0.0.1:8082', commitIndex: 1, lastApplied: 1, logLen: 2, lastLogIndex: 2, lastLogTerm: 1, logBaseIndex: 0, logBaseTerm: 0, peers: ['http://127.0.0.1:1', 'http://127.0.0.1:2'], peersCount: 2 });
    expect(status.lastHeartbeatAgoMs).toBeGreaterThanOrEqual(0);
    // The AppendEntries above was a core step; no snapshot was taken or received yet.
    const steps = (status.stats as { longestStepMs: Record<string, number> }).longestStepMs;
    expect(steps.core).toBeGreaterThan(0);
    expect(steps).toMatchObject({ snapshotChunk: 0, snapshotCommit: 0 });
    expect((await call(`${t.kv}/health`)).body).toMatchObject({ leaderId: 'n2', leader: 'http://127.0.0.1:8082' });
  });

  it('rejects AppendEntries that does not match with conflict hints', async () => {
    const r = await post(t, 'appendentries', { term: 1, leaderId: 'n2', prevLogIndex: 5, prevLogTerm: 1, entries: [], leaderCommit: 1 });
    expect(r.body).toMatchObject({ term: 1, success: false, conflictIndex: 3, conflictTerm: 0, lastLogIndex: 2, rejectReason: 'missing_entries' });
  });

  it('answers RequestVote with {term, voteGranted}', async () => {
    const stale = await post(t, 'requestvote', { term: 0, candidateId: 'n3', lastLogIndex: 9, lastLogTerm: 1 });
    expect(stale.body).toMatchObject({ term: 1, voteGranted: false, rejectReason: 'stale_term' });
    const pre = await post(t, 'requestvote', { term: 2, candidateId: 'n3', lastLogIndex: 9, lastLogTerm: 1, preVote: true });
    expect(pre.body).toMatchObject({ voteGranted: false, preVote: true, rejectReason: 'leader_lease' });
  });

  it('answers a ReadIndex from a follower (it is not the leader here)', async () => {
    const r = await post(t, 'readindex', { term: 1, requesterId: 'n3', context: 'c1' });
    expect(r.body).toEqual({ term: 1, context: 'c1', success: false, index: 0 });
  });

  const malformed: [string, string, unknown][] = [
    ['appendentries', 'not JSON', '{"term":'],
    ['appendentries', 'an array', [1, 2]],
    ['appendentries', 'a missing term', { leaderId: 'n2', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 2 }],
    ['appendentries', 'a string term', { term: '9', leaderId: 'n2', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 2 }],
    ['appendentries', 'a negative index', { term: 9, leaderId: 'n2', prevLogIndex: -1, prevLogTerm: 1, entries: [], leaderCommit: 2 }],
    ['appendentries', 'entries that skip an index', { term: 9, leaderId: 'n2', prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 9, index: 4, command: setCommand(4) }], leaderCommit: 2 }],
    ['appendentries', 'an entry from a future term', { term: 9, leaderId: 'n2', prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 10, index: 3, command: setCommand(3) }], leaderCommit: 2 }],
    ['appendentries', 'an unknown command', { term: 9, leaderId: 'n2', prevLogIndex: 2, prevLogTerm: 1, entries: [{ term: 9, index: 3, command: { op: 'drop' } }], leaderCommit: 2 }],
    ['appendentries', 'this node as the leader', { term: 9, leaderId: 'n1', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 2 }],
    ['requestvote', 'a missing candidate', { term: 9, lastLogIndex: 0, lastLogTerm: 0 }],
    ['requestvote', 'a fractional term', { term: 9.5, candidateId: 'n3', lastLogIndex: 0, lastLogTerm: 0 }],
    ['requestvote', 'a non-boolean preVote', { term: 9, candidateId: 'n3', lastLogIndex: 0, lastLogTerm: 0, preVote: 'yes' }],
    ['installsnapshot', 'chunk data that is not a KV snapshot chunk', { term: 9, leaderId: 'n2', meta: { index: 10, term: 9, voters: ['n1', 'n2', 'n3'], chunkCount: 2, bytes: 10 }, chunk: 0, data: 'garbage' }],
    ['installsnapshot', 'a chunk past the end of the snapshot', { term: 9, leaderId: 'n2', meta: { index: 10, term: 9, voters: ['n1', 'n2', 'n3'], chunkCount: 2, bytes: 10 }, chunk: 2, data: '{"kv":[]}' }],
    ['installsnapshot', 'keys out of order in a chunk', { term: 9, leaderId: 'n2', meta: { index: 10, term: 9, voters: ['n1', 'n2', 'n3'], chunkCount: 2, bytes: 10 }, chunk: 0, data: '{"kv":[["b","1"],["a","2"]]}' }],
    ['installsnapshot', 'a missing snapshot', { term: 9, leaderId: 'n2' }],
    ['readindex', 'a missing context', { term: 9, requesterId: 'n3' }],
  ];

  it('rejects malformed RPCs with 400 and changes nothing', async () => {
    const before = durableState(t);
    for (const [route, what, body] of malformed) {
      const r = await post(t, route, body);
      expect({ route, what, status: r.status, error: r.body.error }).toEqual({ route, what, status: 400, error: 'bad_request' });
    }
    expect(durableState(t)).toEqual(before);
    // Still serving: a well-formed heartbeat is accepted.
    expect((await post(t, 'appendentries', { term: 1, leaderId: 'n2', prevLogIndex: 2, prevLogTerm: 1, entries: [], leaderCommit: 2 })).body.success).toBe(true);
    expect(t.fatal).toEqual([]);
  });

  it('answers wrong methods with 405 and unknown routes with 404', async () => {
    expect(await call(`${t.raft}/raft/appendentries`)).toMatchObject({ status: 405, body: { error: 'method_not_allowed' } });
    expect(await call(`${t.raft}/raft/status`, { method: 'POST' })).toMatchObject({ status: 405 });
    expect(await post(t, 'nope', {})).toMatchObject({ status: 404, body: { ok: false, error: 'not_found' } });
  });

  it('steps requests pipelined on one connection in the order they were sent', async () => {
    const connection = new PeerConnection(t.raft, { timeoutMs: 5000, queueMax: 256, token: null });
    try {
      const start = t.node.host.raft.lastIndex;
      const sends = Array.from({ length: 100 }, (_, i) => {
        const index = start + 1 + i;
        const body = { term: 1, leaderId: 'n2', prevLogIndex: index - 1, prevLogTerm: 1, entries: [{ term: 1, index, command: setCommand(index) }], leaderCommit: 2, seq: i + 1 };
        return connection.post('/raft/appendentries', JSON.stringify(body));
      });
      connection.flush();
      const answers = await Promise.all(sends);
      expect(answers.map((a) => (a.body as { success: boolean; matchIndex: number }).matchIndex)).toEqual(Array.from({ length: 100 }, (_, i) => start + 1 + i));
      expect(t.node.host.raft.lastIndex).toBe(start + 100);
    } finally {
      connection.close();
    }
  });
});

describe('cluster token', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ ...peers, RAFT_CLUSTER_TOKEN: 'correct-horse', RAFT_ELECTION_TIMEOUT_MIN_MS: '60000', RAFT_ELECTION_TIMEOUT_MAX_MS: '60000' });
  });
  afterAll(() => t.stop());

  const heartbeat = { term: 1, leaderId: 'n2', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 };

  it('refuses a Raft RPC without the token with 401 and a log line, changing nothing', async () => {
    expect(await post(t, 'appendentries', heartbeat)).toMatchObject({ status: 401, body: { ok: false, error: 'unauthorized' } });
    expect(await post(t, 'appendentries', heartbeat, { authorization: 'Bearer wrong-token!' })).toMatchObject({ status: 401 });
    expect(t.lines.filter((l) => l.includes('[raft] rejected POST /raft/appendentries') && l.includes('cluster token')).length).toBe(2);
    expect(t.node.host.raft.term).toBe(0);
  });

  it('accepts it with the token', async () => {
    expect(await post(t, 'appendentries', heartbeat, { authorization: 'Bearer correct-horse' })).toMatchObject({ status: 200, body: { success: true } });
    expect(t.node.host.raft.term).toBe(1);
  });
});

describe('senders', () => {
  it('hears a sender it has not heard of (a member added while it was away may lead now)', async () => {
    const t = await startTestNode({ ...peers, RAFT_ELECTION_TIMEOUT_MIN_MS: '60000', RAFT_ELECTION_TIMEOUT_MAX_MS: '60000' });
    try {
      const r = await post(t, 'appendentries', { term: 5, leaderId: 'n7', leaderAddr: 'http://127.0.0.1:8087', prevLogIndex: 0, prevLogTerm: 0, entries: [], leaderCommit: 0 });
      expect(r).toMatchObject({ status: 200, body: { term: 5, success: true } });
      expect(t.node.host.raft.leaderId).toBe('n7');
      expect(t.node.host.leaderUrl('n7')).toBe('http://127.0.0.1:8087');
      // Its own id as the sender is refused.
      expect((await post(t, 'requestvote', { term: 6, candidateId: 'n1', lastLogIndex: 0, lastLogTerm: 0 })).status).toBe(400);
    } finally {
      await t.stop();
    }
  });
});
