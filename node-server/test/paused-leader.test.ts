/**
 * A paused leader (SIGSTOP for longer than the election timeout, then SIGCONT) must not answer with
 * data older than what the new leader committed while it slept. While it is stopped the kernel
 * still accepts connections and queues requests for it; once it runs again it sees those requests,
 * its own timers that all fired at once, and the new leader's messages, in whatever order.
 *
 * Each round: write `old` through the leader; SIGSTOP it; send it reads and a write (they wait in
 * its socket buffers); wait for another node to lead in a higher term and commit `new` there; then
 * SIGCONT, and read from the old leader again right away and for a second. No read it answers may
 * return `old` (or anything but `new`, or the paused write if that one committed), and the whole
 * history must be linearizable. The same test against the unsafe build (reads answered from local
 * state, RAFT_UNSAFE_LOCAL_READS) must see `old`: the test can fail.
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

async function pauseLeaderRounds(cluster: ProcessCluster): Promise<Observed> {
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
    // Sent while it is stopped: they wait in its socket buffers.
    const queuedReads = [1, 2, 3, 4].map((i) => op(history, `q${i}`, cluster, leader, 'get', key));
    const queuedWrite = op(history, 'qw', cluster, leader, 'put', key, pausedValue);
    const next = await newLeaderOtherThan(cluster, leader, oldTerm);
    expect((await op(history, 'w', cluster, next, 'put', key, newValue)).status).toBe(200);
    process.kill(pid, 'SIGCONT');
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
    for (const read of [...(await Promise.all(queuedReads)), await firstLateRead, ...lateReads]) {
      if (read.status === 200) {
        observed.oldLeaderReads.push({ round, value: String(read.body.value), expectedNot: oldValue, newValue, pausedWrite: { value: pausedValue, status: pausedWrite.status } });
      }
    }
    leader = await stableLeader(cluster);
  }
  return observed;
}

describe('a paused leader, resumed after a new leader committed', () => {
  it(`answers no read with data older than the new leader's commit (${rounds} rounds of SIGSTOP past the election timeout, then SIGCONT), and the history is linearizable`, async () => {
    const cluster = await startCluster({ nodes: 3 });
    const { history, oldLeaderReads } = await pauseLeaderRounds(cluster);
    const stale = oldLeaderReads.filter((r) => r.value === r.expectedNot);
    expect(stale).toEqual([]);
    // Every value read is the new leader's write, or the paused write when that one committed after it.
    for (const r of oldLeaderReads) expect([r.newValue, ...(r.pausedWrite.status === 200 ? [r.pausedWrite.value] : [])]).toContain(r.value);
    // Not vacuous: once it follows the new leader, the old leader answers reads, with the new value.
    for (let round = 1; round <= rounds; round++) expect(oldLeaderReads.some((r) => r.round === round && r.value === r.newValue)).toBe(true);
    expect(checkLinearizability(history).verdict).toBe('linearizable');
  }, 180_000);

  it('catches the unsafe build (RAFT_UNSAFE_LOCAL_READS): the resumed leader answers with its old value', async () => {
    const cluster = await startCluster({ nodes: 3, env: { RAFT_UNSAFE_LOCAL_READS: '1' } });
    const { history, oldLeaderReads } = await pauseLeaderRounds(cluster);
    expect(oldLeaderReads.filter((r) => r.value === r.expectedNot).length).toBeGreaterThan(0);
    expect(checkLinearizability(history).verdict).toBe('not_linearizable');
  }, 180_000);
});
