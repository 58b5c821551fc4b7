/**
 * A paused leader (SIGSTOP for longer than the election timeout, then SIGCONT) must not answer with
 * data older than what the new leader committed while it slept. While it is stopped the kernel
 * still accepts connections and queues requests for it; once it runs again it sees those requests,
 * its own timers that all fired at once, and the new leader's messages, in whatever order.
 *
 * Each round: write `old` through the leader; SIGSTOP it; send it reads and a write (they wait in
 * its socket buffers); wait for another node to lead in a higher term and commit `new` there; send
 * the stopped leader more reads (queued too, but begun after `new` committed); then SIGCONT, and
 * read from the old leader again right away and for a second. No read it answers may return `old`
 * (or anything but `new`, or the paused write if that one committed), and the whole history must be
 * linearizable. The same test against the unsafe build (reads answered from local state,
 * RAFT_UNSAFE_LOCAL_READS) must see `old` in a read begun after `new` committed: the test can fail.
 * For that, the unsafe build runs the rounds with the new leader's messages held back (the admin
 * faults endpoint) from the SIGSTOP until the resumed leader has answered the reads queued for it:
 * otherwise those messages reach it before the reads begun after the commit (they were queued
 * first) and depose it, and the unsafe build answered them `new` in most runs. The safe build runs
 * both ways.
 */
import http from 'node:http';
import https from 'node:https';
import type { ApiResponse, NodeId } from '@raft-kv/core';
import { outcomeOf } from '@raft-kv/core';
import type { HistoryOp } from '@raft-kv/core/check';
import { checkLinearizability } from '@raft-kv/core/check';
import { stableLeader } from '@raft-kv/core/scenarios';
import { afterAll, describe, expect, it } from 'vitest';
import { nowNs } from '../nemesis/history';
import type { Agents } from '../src/http/client-request';
import { jsonRequest } from '../src/http/client-request';
import type { ProcessCluster } from './support/process-cluster';
import { clusterPerTest } from './support/process-cluster';

const rounds = 3;
/** Requests queued at the stopped leader must outlive the pause (an election plus a write). */
const queuedRequestTimeoutMs = 20_000;
const readsAfterResumeMs = 1_000;
const rejoinTimeoutMs = 15_000;
const agents: Agents = { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };
afterAll(() => agents.http.destroy());

interface Observed {
  history: HistoryOp[];
  /** Reads the old leader answered 200 after it was resumed, per round: their values. */
  oldLeaderReads: { round: number; value: string; expectedNot: string; newValue: string; pausedWrite: { value: string; status: number } }[];
}

const startCluster = clusterPerTest();

/** One client operation, recorded for the linearizability check. */
async function op(history: HistoryOp[], clientId: string, cluster: ProcessCluster, node: NodeId, kind: 'put' | 'get', key: string, value?: string): Promise<ApiResponse> {
  const call = nowNs();
  const url = kind === 'put' ? `${cluster.kvUrl(node)}/set` : `${cluster.kvUrl(node)}/get?key=${key}`;
  const response = await jsonRequest(url, kind === 'put' ? 'PUT' : 'GET', kind === 'put' ? { key, value } : undefined, queuedRequestTimeoutMs, agents);
  const status = outcomeOf(kind, response);
  const entry: HistoryOp = { clientId, op: kind, key, call, return: status === 'unknown' ? null : nowNs(), status };
  if (value !== undefined) entry.value = value;
  if (kind === 'get' && status === 'ok') entry.output = response.status === 200 ? String(response.body.value) : null;
  history.push(entry);
  return response;
}

/**
 * A read whose request is handed to the kernel (`sent`) even while the node is stopped: the kernel
 * completes the connection and buffers the request. Recorded in the history like op().
 */
function queuedGet(history: HistoryOp[], clientId: string, cluster: ProcessCluster, node: NodeId, key: string): { sent: Promise<void>; answer: Promise<ApiResponse> } {
  const call = nowNs();
  let sent!: () => void;
  const sentPromise = new Promise<void>((resolve) => (sent = resolve));
  const answer = new Promise<ApiResponse>((resolve) => {
    const req = http.get(`${cluster.kvUrl(node)}/get?key=${key}`, { agent: agents.http, timeout: queuedRequestTimeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch {
          resolve({ status: 0, body: { ok: false, error: 'bad_response' } });
        }
      });
      res.on('error', () => resolve({ status: 0, body: { ok: false, error: 'connection_lost' } }));
    });
    req.on('finish', sent);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      sent();
      resolve({ status: 0, body: { ok: false, error: 'connection_lost' } });
    });
  }).then((response) => {
    const status = outcomeOf('get', response);
    const entry: HistoryOp = { clientId, op: 'get', key, call, return: status === 'unknown' ? null : nowNs(), status };
    if (status === 'ok') entry.output = response.status === 200 ? String(response.body.value) : null;
    history.push(entry);
    return response;
  });
  return { sent: sentPromise, answer };
}

async function newLeaderOtherThan(cluster: ProcessCluster, old: NodeId, oldTerm: number): Promise<NodeId> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    for (const id of cluster.nodeIds.filter((n) => n !== old)) {
      const s = await cluster.status(id);
      if (s.role === 'leader' && s.term > oldTerm) return id;
    }
    await cluster.sleep(50);
  }
  throw new Error(`no new leader without ${old} within 20 s`);
}

/**
 * What the others send `to` from now on: nothing (held) or everything. The admin faults endpoint
 * (RAFT_FAULT_INJECTION) drops a node's outgoing messages to the nodes named.
 */
async function holdMessagesTo(cluster: ProcessCluster, to: NodeId, held: boolean): Promise<void> {
  for (const id of cluster.nodeIds.filter((n) => n !== to)) {
    const response = await jsonRequest(`${cluster.raftUrl(id)}/admin/faults`, 'POST', { dropTo: held ? [to] : [] }, 5_000, agents);
    expect(response.status, `POST /admin/faults on ${id}`).toBe(200);
  }
}

/**
 * `holdNewLeader`: the others send the stopped leader nothing from its SIGSTOP until it has answered
 * the reads queued for it, so it takes them as the leader it was (the new leader's messages would
 * otherwise be queued before the reads sent after the commit, and depose it first).
 */
async function pauseLeaderRounds(cluster: ProcessCluster, holdNewLeader = false): Promise<Observed> {
  const observed: Observed = { history: [], oldLeaderReads: [] };
  const { history } = observed;
  let leader = await stableLeader(cluster);
  for (let round = 1; round <= rounds; round++) {
    const key = `k${round}`;
    const [oldValue, pausedValue, newValue] = [`old-${round}`, `paused-${round}`, `new-${round}`];
    expect((await op(history, 'w', cluster, leader, 'put', key, oldValue)).status).toBe(200);
    const oldTerm = (await cluster.status(leader)).term;
    const pid = cluster.pid(leader)!;
    process.kill(pid, 'SIGSTOP');
    if (holdNewLeader) await holdMessagesTo(cluster, leader, true);
    // Sent while it is stopped: they wait in its socket buffers.
    const queuedReads = [1, 2, 3, 4].map((i) => op(history, `q${i}`, cluster, leader, 'get', key));
    const queuedWrite = op(history, 'qw', cluster, leader, 'put', key, pausedValue);
    const next = await newLeaderOtherThan(cluster, leader, oldTerm);
    expect((await op(history, 'w', cluster, next, 'put', key, newValue)).status).toBe(200);
    // Reads sent once `new` committed, still to the stopped leader: they wait in its socket buffers
    // with the ones above, and are handled when those are. Answering one of them with `old` is not
    // linearizable (the ones above began before `new` was written: `old` is a fair answer to them).
    // SIGCONT only once the kernel holds every one of them.
    const afterCommitReads = [1, 2, 3, 4].map((i) => queuedGet(history, `a${i}`, cluster, leader, key));
    await Promise.all(afterCommitReads.map((r) => r.sent));
    process.kill(pid, 'SIGCONT');
    if (holdNewLeader) {
      await Promise.all(afterCommitReads.map((r) => r.answer));
      await holdMessagesTo(cluster, leader, false);
    }
    // Reads sent right after the resume: one alongside the queued ones, then one after another for
    // a second, and on until the old leader answers one (it does once it follows the new leader).
    const firstLateRead = op(history, 'l0', cluster, leader, 'get', key);
    const lateReads: ApiResponse[] = [];
    const resumedAt = Date.now();
    while (Date.now() - resumedAt < readsAfterResumeMs || !lateReads.some((r) => r.status === 200)) {
      if (Date.now() - resumedAt > rejoinTimeoutMs) throw new Error(`the old leader answered no read within ${rejoinTimeoutMs} ms of its resume`);
      const read = await op(history, 'l1', cluster, leader, 'get', key);
      lateReads.push(read);
      if (read.status !== 200) await cluster.sleep(20);
    }
    const pausedWrite = await queuedWrite;
    const answered = [...(await Promise.all(queuedReads)), ...(await Promise.all(afterCommitReads.map((r) => r.answer))), await firstLateRead, ...lateReads];
    for (const read of answered) {
      if (read.status === 200) {
        observed.oldLeaderReads.push({ round, value: String(read.body.value), expectedNot: oldValue, newValue, pausedWrite: { value: pausedValue, status: pausedWrite.status } });
      }
    }
    leader = await stableLeader(cluster);
  }
  return observed;
}

/** The assertions that the safe build passes and the unsafe one must fail. */
function expectNoStaleRead({ history, oldLeaderReads }: Observed): void {
  const stale = oldLeaderReads.filter((r) => r.value === r.expectedNot);
  expect(stale).toEqual([]);
  // Every value read is the new leader's write, or the paused write when that one committed after it.
  for (const r of oldLeaderReads) expect([r.newValue, ...(r.pausedWrite.status === 200 ? [r.pausedWrite.value] : [])]).toContain(r.value);
  // Not vacuous: once it follows the new leader, the old leader answers reads, with the new value.
  for (let round = 1; round <= rounds; round++) expect(oldLeaderReads.some((r) => r.round === round && r.value === r.newValue)).toBe(true);
  expect(checkLinearizability(history).verdict).toBe('linearizable');
}

describe('a paused leader, resumed after a new leader committed', () => {
  it(`answers no read with data older than the new leader's commit (${rounds} rounds of SIGSTOP past the election timeout, then SIGCONT), and the history is linearizable`, async () => {
    const cluster = await startCluster({ nodes: 3 });
    expectNoStaleRead(await pauseLeaderRounds(cluster));
  }, 180_000);

  it('the same when it takes the reads queued for it before any message of the new leader', async () => {
    const cluster = await startCluster({ nodes: 3, env: { RAFT_FAULT_INJECTION: '1' } });
    expectNoStaleRead(await pauseLeaderRounds(cluster, true));
  }, 180_000);

  it('catches the unsafe build (RAFT_UNSAFE_LOCAL_READS): the resumed leader answers reads begun after the commit with its old value', async () => {
    const cluster = await startCluster({ nodes: 3, env: { RAFT_UNSAFE_LOCAL_READS: '1', RAFT_FAULT_INJECTION: '1' } });
    const observed = await pauseLeaderRounds(cluster, true);
    expect(observed.oldLeaderReads.filter((r) => r.value === r.expectedNot).length).toBeGreaterThan(0);
    expect(checkLinearizability(observed.history).verdict).toBe('not_linearizable');
  }, 180_000);
});
