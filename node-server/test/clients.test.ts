/**
 * Issue 12's acceptance on real node processes: a write whose answer is lost, resent with the
 * same session and number, is applied once (the nodes' [apply] lines and the state prove it),
 * also when the resend reaches another node after a leader change, and after every node
 * restarted from a snapshot; N clients racing the same swap, exactly one wins; a watcher on a
 * follower sees every change once and in order through a leader kill; resuming from an index the
 * nodes compacted away gets 410.
 */
import fs from 'node:fs';
import http from 'node:http';
import { KvClient } from '@raft-kv/client';
import type { WatchEvent } from '@raft-kv/client';
import type { NodeId } from '@raft-kv/core';
import { others, stableLeader, waitFor } from '@raft-kv/core/scenarios';
import { describe, expect, it } from 'vitest';
import type { ProcessCluster } from './support/process-cluster';
import { clusterPerTest } from './support/process-cluster';
import { changesOf, openSse } from './support/sse';

const startCluster = clusterPerTest();

/** The `[apply]` lines a node printed in all its lives (its log file holds every start). */
function applyLines(c: ProcessCluster, id: NodeId): string[] {
  const text = fs.existsSync(c.node(id).logFile) ? fs.readFileSync(c.node(id).logFile, 'utf8') : '';
  return text.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
    return msg.startsWith('[apply] ') ? [msg] : [];
  });
}

/** Indexes at which a node's lines say `value` was written into the map (not as a duplicate or a refusal). */
function writtenAt(c: ProcessCluster, id: NodeId, value: string): number[] {
  const indexes = new Set<number>();
  for (const line of applyLines(c, id)) {
    if (!line.includes(` value=${value} `) && !line.endsWith(` value=${value}`)) continue;
    if (/ duplicate$| rejected=| swapped=false/.test(line)) continue;
    indexes.add(Number(/index=(\d+)/.exec(line)![1]));
  }
  return [...indexes];
}

/**
 * Sends a write and closes the connection as soon as it is sent: the node handles it, but its
 * answer goes nowhere (the client's view of a timeout or a connection lost after sending).
 */
function sendAndDrop(url: string, method: string, body: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve) => {
    const req = http.request(url, { method, headers: { 'content-type': 'application/json', ...headers } });
    req.on('error', () => resolve());
    req.end(body, () => {
      req.destroy();
      resolve();
    });
  });
}

async function openSession(c: ProcessCluster, leader: NodeId): Promise<number> {
  const res = await fetch(`${c.kvUrl(leader)}/session`, { method: 'POST', signal: AbortSignal.timeout(5_000) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { clientId: number }).clientId;
}

async function putWith(c: ProcessCluster, node: NodeId, key: string, value: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${c.kvUrl(node)}/set`, { method: 'PUT', body: JSON.stringify({ key, value }), headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const session = (client: number, seq: number) => ({ 'client-id': String(client), 'client-seq': String(seq), 'client-ack': String(seq) });

/** Waits until every live node applied the write of `value` (its [apply] line is out). */
function appliedEverywhere(c: ProcessCluster, ids: readonly NodeId[], value: string): Promise<true> {
  return waitFor(c, `${value} applied on ${ids.join(',')}`, 10_000, async () => (ids.every((id) => writtenAt(c, id, value).length > 0) ? true : undefined), 50);
}

describe('a write whose answer was lost, resent with the same session and number', () => {
  it('is applied once when resent to the same leader', async () => {
    const c = await startCluster({ nodes: 3 });
    const leader = await stableLeader(c);
    const client = await openSession(c, leader);
    await sendAndDrop(`${c.kvUrl(leader)}/set`, 'PUT', JSON.stringify({ key: 'k', value: 'lost-answer' }), session(client, 1));
    await appliedEverywhere(c, c.nodeIds, 'lost-answer');
    // Someone else writes meanwhile: a second application would put the old value back.
    expect((await putWith(c, leader, 'k', 'later')).status).toBe(200);
    const resent = await putWith(c, leader, 'k', 'lost-answer', session(client, 1));
    expect(resent).toEqual({ status: 200, body: { ok: true, message: 'stored', key: 'k' } });
    expect((await c.get(leader, 'k')).body.value).toBe('later');
    for (const id of c.nodeIds) {
      await waitFor(c, `the duplicate line on ${id}`, 10_000, async () => (applyLines(c, id).some((l) => / value=lost-answer client=\d+ seq=1 duplicate$/.test(l)) ? true : undefined), 50);
      expect(writtenAt(c, id, 'lost-answer')).toHaveLength(1);
    }
  });

  it('is applied once when resent to a new leader after the old one was killed', async () => {
    const c = await startCluster({ nodes: 3 });
    const first = await stableLeader(c);
    const client = await openSession(c, first);
    await sendAndDrop(`${c.kvUrl(first)}/set`, 'PUT', JSON.stringify({ key: 'k', value: 'before-kill' }), session(client, 1));
    await appliedEverywhere(c, c.nodeIds, 'before-kill');
    await c.kill(first);
    const second = await stableLeader(c, 20_000, others(c, first));
    expect((await putWith(c, second, 'k', 'after-kill')).status).toBe(200);
    const resent = await putWith(c, second, 'k', 'before-kill', session(client, 1));
    expect(resent).toEqual({ status: 200, body: { ok: true, message: 'stored', key: 'k' } });
    expect((await c.get(second, 'k')).body.value).toBe('after-kill');
    for (const id of others(c, first)) {
      await waitFor(c, `the duplicate line on ${id}`, 10_000, async () => (applyLines(c, id).some((l) => / value=before-kill client=\d+ seq=1 duplicate$/.test(l)) ? true : undefined), 50);
      expect(writtenAt(c, id, 'before-kill')).toHaveLength(1);
    }
  });

  it('is applied once when resent after every node restarted from a snapshot that holds the session', async () => {
    const c = await startCluster({ nodes: 3, snapshotThreshold: 5 });
    const leader = await stableLeader(c);
    const client = await openSession(c, leader);
    await sendAndDrop(`${c.kvUrl(leader)}/set`, 'PUT', JSON.stringify({ key: 'k', value: 'in-snapshot' }), session(client, 1));
    await appliedEverywhere(c, c.nodeIds, 'in-snapshot');
    const writeIndex = writtenAt(c, leader, 'in-snapshot')[0]!;
    for (let i = 0; i < 12; i++) expect((await putWith(c, leader, `filler${i}`, String(i))).status).toBe(200);
    expect((await putWith(c, leader, 'k', 'newer')).status).toBe(200);
    for (const id of c.nodeIds) await waitFor(c, `a snapshot past ${writeIndex} on ${id}`, 15_000, async () => ((await c.snapshotIndex(id)) > writeIndex ? true : undefined), 100);
    for (const id of c.nodeIds) await c.kill(id);
    for (const id of c.nodeIds) await c.restart(id);
    const after = await stableLeader(c);
    const resent = await putWith(c, after, 'k', 'in-snapshot', session(client, 1));
    expect(resent).toEqual({ status: 200, body: { ok: true, message: 'stored', key: 'k' } });
    expect((await c.get(after, 'k')).body.value).toBe('newer');
    for (const id of c.nodeIds) {
      // The restarted node replays only the log after its snapshot: the write's index is not applied again.
      await waitFor(c, `the duplicate line on ${id}`, 10_000, async () => (applyLines(c, id).some((l) => / value=in-snapshot client=\d+ seq=1 duplicate$/.test(l)) ? true : undefined), 50);
      expect(writtenAt(c, id, 'in-snapshot')).toEqual([writeIndex]);
    }
  });
});

describe('compare-and-swap under concurrent clients', () => {
  it('exactly one of N racing swaps from the same value wins', async () => {
    const c = await startCluster({ nodes: 3 });
    await stableLeader(c);
    const endpoints = c.nodeIds.map((id) => c.kvUrl(id));
    const setup = new KvClient({ endpoints });
    await setup.put('lock', 'free');
    const racers = Array.from({ length: 12 }, () => new KvClient({ endpoints }));
    for (let round = 1; round <= 3; round++) {
      const from = round === 1 ? 'free' : `owner-${round - 1}`;
      const results = await Promise.all(racers.map((r, i) => r.cas('lock', from, `r${round}-c${i}`)));
      const winners = results.filter((r) => r.swapped);
      expect(winners).toHaveLength(1);
      const won = winners[0]!.value!;
      expect(results.filter((r) => !r.swapped).every((r) => r.value === won)).toBe(true);
      expect(await setup.get('lock')).toBe(won);
      await setup.put('lock', `owner-${round}`);
    }
  });
});

describe('a watcher on a follower', () => {
  it('sees every change once and in order through a leader kill', async () => {
    const c = await startCluster({ nodes: 3 });
    const leader = await stableLeader(c);
    const follower = others(c, leader)[0]!;
    const from = (await c.status(follower)).lastApplied + 1;
    const stream = await openSse(`${c.kvUrl(follower)}/watch?prefix=w/&fromIndex=${from}`);
    try {
      expect(stream.status).toBe(200);
      const writer = new KvClient({ endpoints: c.nodeIds.map((id) => c.kvUrl(id)), deadlineMs: 30_000 });
      const acknowledged: string[] = [];
      const write = async (n: number) => {
        await writer.put(`w/${n % 4}`, `v${n}`);
        acknowledged.push(`v${n}`);
      };
      for (let n = 0; n < 30; n++) await write(n);
      await c.kill(leader);
      for (let n = 30; n < 60; n++) await write(n);
      await waitFor(c, 'the watcher to see the last write', 20_000, async () => (changesOf(stream).some(([, , , v]) => v === 'v59') ? true : undefined), 100);
      const seen = changesOf(stream);
      const indexes = seen.map(([index]) => index);
      expect(indexes).toEqual([...new Set(indexes)].sort((a, b) => a - b));
      expect(seen.map(([, , , value]) => value)).toEqual(acknowledged);
      // And exactly what the follower applied, as its [apply] lines say (once its log has them).
      await waitFor(c, 'the follower to log the last write', 10_000, async () => (writtenAt(c, follower, 'v59').length > 0 ? true : undefined), 50);
      const applied = applyLines(c, follower).filter((l) => / op=set key=w\//.test(l) && !/ duplicate$| rejected=/.test(l) && Number(/index=(\d+)/.exec(l)![1]) >= from);
      expect(seen.map(([index, , key, value]) => `[apply] index=${index} op=set key=${key} value=${value}`)).toEqual(applied.map((l) => l.replace(/ client=\d+ seq=\d+$/, '')));
    } finally {
      stream.close();
    }
  });

  it('resuming from an index the nodes compacted away gets 410 with the snapshot index', async () => {
    const c = await startCluster({ nodes: 3, snapshotThreshold: 5 });
    const leader = await stableLeader(c);
    for (let i = 0; i < 15; i++) expect((await putWith(c, leader, `k${i}`, String(i))).status).toBe(200);
    for (const id of c.nodeIds) {
      await waitFor(c, `a snapshot on ${id}`, 15_000, async () => ((await c.snapshotIndex(id)) > 5 ? true : undefined), 100);
      const gone = await openSse(`${c.kvUrl(id)}/watch?fromIndex=1`);
      expect(gone).toMatchObject({ status: 410, body: { ok: false, error: 'compacted', firstIndex: expect.any(Number), snapshotIndex: expect.any(Number) } });
      expect(gone.body!.snapshotIndex).toBeGreaterThan(5);
    }
    // The typed client reads the state again, says so, and goes on after it.
    const kv = new KvClient({ endpoints: c.nodeIds.map((id) => c.kvUrl(id)) });
    const events = kv.watch({ fromIndex: 1 });
    const reset = (await events.next()).value as WatchEvent;
    expect(reset).toMatchObject({ type: 'reset', index: expect.any(Number), more: false });
    if (reset.type !== 'reset') throw new Error('expected a reset');
    expect(reset.kvs.map((kv) => kv.key).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `k${i}`).sort());
    await kv.put('after', 'reset');
    expect((await events.next()).value).toMatchObject({ type: 'change', op: 'set', key: 'after', value: 'reset' });
    await events.return(undefined);
  });
});
