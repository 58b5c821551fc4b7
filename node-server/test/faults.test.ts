/**
 * Fault injection (core/src/live.ts): /admin/faults is 404 unless enabled, refuses non-loopback
 * callers (for real, through this machine's own non-loopback address), callers without the cluster
 * token and pages of foreign origins; dropFrom refuses a peer's request before stepping it, dropTo
 * steps it and loses the answer; the transport sends nothing to dropTo and discards answers from
 * dropFrom; and on real processes, isolating the leader through the endpoint elects a new one,
 * the old one steps down, and after healing it rejoins.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import type { NodeId, RequestVote } from '@raft-kv/core';
import { waitFor } from '@raft-kv/core/scenarios';
import { afterEach, describe, expect, it } from 'vitest';
import { isLoopback } from '../src/http/guards';
import { PeerFaults } from '../src/transport/faults';
import { HttpTransport } from '../src/transport/transport';
import { captureLogger } from './support/capture-logger';
import type { TestNode } from './support/in-process-node';
import { call, startTestNode, until } from './support/in-process-node';
import { clusterPerTest } from './support/process-cluster';

const token = 'fault-test-token';
const auth = { authorization: `Bearer ${token}` };
const peers = { PEERS: 'http://127.0.0.1:1,http://127.0.0.1:2', PEER_IDS: 'n2,n3', PEER_KV_URLS: 'http://127.0.0.1:3,http://127.0.0.1:4' };
const quiet = { RAFT_ELECTION_TIMEOUT_MIN_MS: '60000', RAFT_ELECTION_TIMEOUT_MAX_MS: '60000' };

const setFaults = (base: string, body: unknown, headers: Record<string, string> = auth) =>
  call(`${base}/admin/faults`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });

let nodes: TestNode[] = [];
const startCluster = clusterPerTest();

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.stop()));
  nodes = [];
});

async function node(env: Record<string, string>): Promise<TestNode> {
  const t = await startTestNode(env);
  nodes.push(t);
  return t;
}

/** This machine's first non-loopback IPv4 address, if it has one. */
function outsideAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return null;
}

describe('the loopback check', () => {
  it('accepts 127.0.0.0/8, ::1 and IPv4-mapped 127.x; refuses everything else', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::FFFF:127.9.9.9']) expect(isLoopback(a), a).toBe(true);
    for (const a of [undefined, '', '10.0.0.1', '192.0.2.2', '128.0.0.1', '::', '::2', 'fe80::1', '::ffff:10.0.0.1', '::ffff:128.0.0.1', '127.0.0.1.evil', 'localhost']) {
      expect(isLoopback(a), String(a)).toBe(false);
    }
  });
});

describe('/admin/faults', () => {
  it('is 404 when the node was not started with RAFT_FAULT_INJECTION', async () => {
    const t = await node({ ...peers, ...quiet, RAFT_CLUSTER_TOKEN: token });
    expect((await call(`${t.raft}/admin/faults`, { headers: auth })).status).toBe(404);
    expect((await setFaults(t.raft, { dropTo: ['n2'] })).status).toBe(404);
  });

  it('requires the cluster token, validates the body, and refuses a page of a foreign origin', async () => {
    const t = await node({ ...peers, ...quiet, RAFT_FAULT_INJECTION: '1', RAFT_CLUSTER_TOKEN: token, RAFT_CORS_ORIGINS: 'http://127.0.0.1:8080' });
    expect((await call(`${t.raft}/admin/faults`)).status).toBe(401);
    expect((await call(`${t.raft}/admin/faults`, { headers: { authorization: 'Bearer wrong-token!!' } })).status).toBe(401);
    expect((await setFaults(t.raft, { dropTo: ['n2'] }, {})).status).toBe(401);
    expect(t.lines.some((l) => l.includes('missing or wrong cluster token'))).toBe(true);
    expect((await call(`${t.raft}/admin/faults`, { headers: auth })).body).toEqual({ dropTo: [], dropFrom: [] });

    const set = await setFaults(t.raft, { dropTo: ['n3', 'n2'], dropFrom: ['n3'] });
    expect(set).toMatchObject({ status: 200, body: { dropTo: ['n2', 'n3'], dropFrom: ['n3'] } });
    expect((await call(`${t.raft}/admin/faults`, { headers: auth })).body).toEqual({ dropTo: ['n2', 'n3'], dropFrom: ['n3'] });
    expect(t.lines).toContain('[faults] n1 now dropTo=[n2,n3] dropFrom=[n3]');

    for (const bad of [{ dropTo: ['n1'] }, { dropTo: ['n 9'] }, { dropFrom: [''] }, { dropTo: 'n2' }, { dropto: ['n2'] }, [1]]) {
      expect((await setFaults(t.raft, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    // A node it has not heard of yet (one about to join) may be named; the log line says so.
    expect(await setFaults(t.raft, { dropTo: ['n2', 'n9'] })).toMatchObject({ status: 200, body: { dropTo: ['n2', 'n9'], dropFrom: [] } });
    expect(t.lines).toContain('[faults] n1 now dropTo=[n2,n9] dropFrom=[] (not a peer it knows of yet: n9)');
    expect((await setFaults(t.raft, { dropTo: ['n2', 'n3'], dropFrom: ['n3'] })).status).toBe(200);
    expect((await setFaults(t.raft, { dropTo: ['n2'] }, { ...auth, origin: 'http://evil.example' })).status).toBe(403);
    expect((await call(`${t.raft}/admin/faults`, { headers: { ...auth, origin: 'http://127.0.0.1:8080' } })).status).toBe(200);
    // Still the last valid setting; {} heals.
    expect((await call(`${t.raft}/admin/faults`, { headers: auth })).body).toEqual({ dropTo: ['n2', 'n3'], dropFrom: ['n3'] });
    expect((await setFaults(t.raft, {})).body).toEqual({ dropTo: [], dropFrom: [] });
  });

  const outside = outsideAddress();
  it.skipIf(outside === null)(`refuses a caller that is not on loopback (through ${outside ?? 'no non-loopback address'}), with a log line`, async () => {
    const t = await node({ ...peers, ...quiet, RAFT_FAULT_INJECTION: '1', BIND_ADDRESS: '0.0.0.0' });
    const port = t.node.raftPort;
    const r = await call(`http://${outside}:${port}/admin/faults`);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ ok: false, error: 'forbidden' });
    expect(t.lines.some((l) => l.startsWith(`[admin] refused GET /admin/faults from ${outside}`))).toBe(true);
    expect((await setFaults(`http://${outside}:${port}`, { dropTo: ['n2'] }, {})).status).toBe(403);
    // The same node from loopback: allowed (no token configured here).
    expect((await call(`http://127.0.0.1:${port}/admin/faults`)).status).toBe(200);
    expect(t.node.faults.get()).toEqual({ dropTo: [], dropFrom: [] });
  });
});

describe('faults on the RPC routes', () => {
  const appendFromN2 = (t: TestNode, term: number) => call(`${t.raft}/raft/appendentries`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ term, leaderId: 'n2', prevLogIndex: 0, prevLogTerm: 0, entries: [{ term, index: 1, command: { op: 'noop' } }], leaderCommit: 0 }),
  });

  it('dropFrom refuses a peer before stepping; dropTo steps it and loses the answer', async () => {
    const t = await node({ ...peers, ...quiet, RAFT_FAULT_INJECTION: '1', RAFT_CLUSTER_TOKEN: token });
    const raft = t.node.host.raft;
    await setFaults(t.raft, { dropFrom: ['n2'] });
    expect(await appendFromN2(t, 1)).toMatchObject({ status: 503, body: { error: 'dropped' } });
    expect({ term: raft.term, lastIndex: raft.lastIndex }).toEqual({ term: 0, lastIndex: 0 });

    await setFaults(t.raft, { dropTo: ['n2'] });
    expect(await appendFromN2(t, 1)).toMatchObject({ status: 503, body: { error: 'dropped' } });
    expect({ term: raft.term, lastIndex: raft.lastIndex, leader: raft.leaderId }).toEqual({ term: 1, lastIndex: 1, leader: 'n2' });

    await setFaults(t.raft, {});
    expect(await appendFromN2(t, 2)).toMatchObject({ status: 200, body: { term: 2, success: true } });
  });

  it('the transport sends nothing to dropTo and discards answers from dropFrom', async () => {
    let received = 0;
    const peer = http.createServer((req, res) => {
      received++;
      req.resume();
      const body = JSON.stringify({ term: 1, voteGranted: true });
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
    });
    await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    const faults = new PeerFaults('n1', (id) => id === 'n2');
    const answers: string[] = [];
    const failures: string[] = [];
    const transport = new HttpTransport(
      { peers: [{ id: 'n2', raftUrl: url, kvUrl: url }], rpcTimeoutMs: 1000, peerQueueMax: 16, clusterToken: null, kvUrl: 'http://127.0.0.1:1' },
      { onResponse: (m) => answers.push(m.type), onFailure: (_m, reason) => failures.push(reason) },
      captureLogger().logger,
      faults,
    );
    const vote: RequestVote = { type: 'RequestVote', from: 'n1', to: 'n2' as NodeId, term: 1, lastLogIndex: 0, lastLogTerm: 0, preVote: false, transfer: false };
    const settle = (n: number) => until('the outcome', () => answers.length + failures.length >= n, 3000);
    try {
      transport.send(vote);
      transport.flush();
      await settle(1);
      expect({ received, answers }).toEqual({ received: 1, answers: ['RequestVoteResponse'] });

      faults.set({ dropTo: ['n2'] });
      transport.send(vote);
      transport.flush();
      await settle(2);
      expect({ received, failures }).toEqual({ received: 1, failures: ['dropped (fault injection)'] });

      faults.set({ dropFrom: ['n2'] });
      transport.send(vote);
      transport.flush();
      await settle(3);
      expect({ received, answers, failures: failures.length }).toEqual({ received: 2, answers: ['RequestVoteResponse'], failures: 2 });
      expect(failures[1]).toBe('answer dropped (fault injection)');
    } finally {
      transport.close();
      peer.closeAllConnections();
      await new Promise((r) => peer.close(r));
    }
  });
});

describe('a partition through the endpoint, on real processes', () => {
  it('isolating the leader elects a new one and the old one steps down; after healing it rejoins', async () => {
    const c = await startCluster({ nodes: 3, env: { RAFT_FAULT_INJECTION: '1', RAFT_CLUSTER_TOKEN: token } });
    const leaderOf = async (among: readonly NodeId[]) => {
      const all = await Promise.all(among.map((id) => c.status(id)));
      return all.filter((s) => s.role === 'leader').sort((a, b) => b.term - a.term)[0];
    };
    const first = await waitFor(c, 'a leader', 15_000, () => leaderOf(c.nodeIds), 50);
    const old = first.id;
    const others = c.nodeIds.filter((id) => id !== old);
    expect((await setFaults(c.raftUrl(old), { dropTo: others, dropFrom: others })).status).toBe(200);

    const next = await waitFor(c, 'a new leader among the others', 15_000, () => leaderOf(others), 50);
    expect(next.term).toBeGreaterThan(first.term);
    await waitFor(c, `${old} to step down`, 10_000, async () => ((await c.status(old)).role !== 'leader' ? true : undefined), 50);
    expect((await c.put(next.id, 'during', 'partition')).status).toBe(200);
    expect((await c.get(old, 'during', { stale: true })).status).toBe(404);
    expect((await c.status(old)).term).toBeLessThanOrEqual(next.term);

    expect((await setFaults(c.raftUrl(old), {})).status).toBe(200);
    await waitFor(c, `${old} to rejoin`, 10_000, async () => {
      const s = await c.status(old);
      const leader = await leaderOf(c.nodeIds);
      return s.role === 'follower' && leader && s.leaderId === leader.id && (await c.get(old, 'during', { stale: true })).status === 200 ? true : undefined;
    }, 50);
  });
});
