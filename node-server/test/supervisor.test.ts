/**
 * `npm start`'s supervisor: its fault book and build check as pure code, then the real thing on
 * chosen ports with a temp data dir and a fixture page: /api/cluster, the page, the observation
 * stream of a real node, SIGKILL and restart through the API, isolate and heal, refusal of foreign
 * pages, and that no node outlives it (Ctrl-C, or the supervisor itself SIGKILLed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LiveCluster, LiveFaultCommand, LiveNodeStatus, NodeId } from '@raft-kv/core';
import { io } from 'socket.io-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FaultBook } from '../src/supervisor/fault-book';
import { playgroundStaleReason } from '../src/supervisor/playground-build';
import { call, until } from './support/in-process-node';
import { choosePortBase, leakedPids, pidAlive, startedPids, startedProcesses } from './support/process-cluster';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const token = 'supervisor-test-token';

describe('the fault book', () => {
  const ids = ['n1', 'n2', 'n3'];
  const book = (...commands: LiveFaultCommand[]) => {
    const b = new FaultBook(ids);
    for (const c of commands) b.apply(c);
    return b.all();
  };

  it('isolates a node by making it drop everything to and from every other node', () => {
    expect(book({ type: 'isolate', node: 'n2' })).toEqual({
      n1: { dropTo: [], dropFrom: [] }, n2: { dropTo: ['n1', 'n3'], dropFrom: ['n1', 'n3'] }, n3: { dropTo: [], dropFrom: [] },
    });
  });

  it('cuts one way or both ways, and heals a direction whichever side drops it', () => {
    expect(book({ type: 'cut', from: 'n1', to: 'n2', bothWays: false })).toMatchObject({ n1: { dropTo: ['n2'], dropFrom: [] }, n2: { dropTo: [], dropFrom: [] } });
    expect(book({ type: 'cut', from: 'n1', to: 'n2', bothWays: true })).toMatchObject({ n1: { dropTo: ['n2'] }, n2: { dropTo: ['n1'] } });
    expect(book({ type: 'cut', from: 'n1', to: 'n2', bothWays: true }, { type: 'heal', from: 'n2', to: 'n1', bothWays: false }))
      .toMatchObject({ n1: { dropTo: ['n2'] }, n2: { dropTo: [] } });
    // n2 isolated; healing n1 <-> n2 leaves n2 cut from n3 only.
    expect(book({ type: 'isolate', node: 'n2' }, { type: 'heal', from: 'n1', to: 'n2', bothWays: true }))
      .toEqual({ n1: { dropTo: [], dropFrom: [] }, n2: { dropTo: ['n3'], dropFrom: ['n3'] }, n3: { dropTo: [], dropFrom: [] } });
    expect(book({ type: 'isolate', node: 'n1' }, { type: 'cut', from: 'n2', to: 'n3', bothWays: false }, { type: 'healAll' }))
      .toEqual({ n1: { dropTo: [], dropFrom: [] }, n2: { dropTo: [], dropFrom: [] }, n3: { dropTo: [], dropFrom: [] } });
  });

  it('says which nodes changed, and refuses unknown nodes and a link to itself', () => {
    const b = new FaultBook(ids);
    expect(b.apply({ type: 'cut', from: 'n1', to: 'n3', bothWays: true })).toEqual(['n1', 'n3']);
    expect(b.apply({ type: 'cut', from: 'n1', to: 'n3', bothWays: false })).toEqual([]);
    expect(() => b.apply({ type: 'isolate', node: 'n9' })).toThrow(RangeError);
    expect(() => b.apply({ type: 'cut', from: 'n1', to: 'n1', bothWays: false })).toThrow(RangeError);
  });
});

describe('the playground build check', () => {
  it('wants a build when dist/index.html is missing or older than a source', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-build-'));
    try {
      const src = path.join(dir, 'src');
      const dist = path.join(dir, 'dist');
      fs.mkdirSync(path.join(src, 'deep'), { recursive: true });
      fs.writeFileSync(path.join(src, 'deep', 'a.ts'), 'x');
      expect(playgroundStaleReason(dist, [src])).toMatch(/missing/);
      fs.mkdirSync(dist);
      fs.writeFileSync(path.join(dist, 'index.html'), '<html>');
      const now = Date.now() / 1000;
      fs.utimesSync(path.join(src, 'deep', 'a.ts'), now - 100, now - 100);
      expect(playgroundStaleReason(dist, [src, path.join(dir, 'absent')])).toBeNull();
      fs.utimesSync(path.join(src, 'deep', 'a.ts'), now + 100, now + 100);
      expect(playgroundStaleReason(dist, [src])).toMatch(/changed/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

interface Running {
  child: ChildProcess;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
  dataDir: string;
}

const running: Running[] = [];

/** @param nodes how many nodes' ports must be free (more than 3 for tests that add nodes) */
async function startSupervisor(nodes = 3): Promise<Running> {
  const portBase = await choosePortBase(nodes, true);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-start-'));
  const pageDir = path.join(dataDir, 'page');
  fs.mkdirSync(pageDir);
  fs.writeFileSync(path.join(pageDir, 'index.html'), '<!doctype html><title>fixture playground</title>');
  const child = spawn(process.execPath, ['--import', 'tsx', 'node-server/src/supervisor/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '', START_PORT: String(portBase), START_KV_PORT: String(portBase + 1), START_RAFT_PORT: String(portBase + 1001),
      RAFT_DATA_DIR: path.join(dataDir, 'data'), START_PLAYGROUND_DIR: pageDir, RAFT_CLUSTER_TOKEN: token, LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  startedProcesses.add(child);
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const r: Running = { child, base: `http://127.0.0.1:${portBase}`, output: () => output, exited, dataDir };
  running.push(r);
  // What /api/cluster last said (or why it did not answer): a timeout then names the node that never ran.
  let last = 'no answer yet';
  const started = Date.now();
  await until('the supervisor to answer with three running nodes', async () => {
    const c = await clusterOf(r).catch((err: unknown) => {
      last = `no answer: ${(err as Error).message}`;
      return null;
    });
    if (c) last = c.nodes.map((n) => `${n.id} ${n.state} pid ${n.pid}`).join(', ');
    for (const n of c?.nodes ?? []) if (n.pid !== null) startedPids.add(n.pid);
    return c !== null && c.nodes.every((n) => n.state === 'running');
  }, 30_000).catch((err: unknown) => {
    // A process killed by a signal has no exit code, only a signal code.
    const ended = r.child.exitCode ?? r.child.signalCode;
    const exit = ended === null ? 'still running' : `exited with ${ended}`;
    throw new Error(`${(err as Error).message} after ${Date.now() - started} ms; supervisor ${exit}; /api/cluster: ${last}\n${output.slice(-3000)}`);
  });
  return r;
}

async function clusterOf(r: Running): Promise<LiveCluster> {
  const res = await fetch(`${r.base}/api/cluster`, { signal: AbortSignal.timeout(1000) });
  return (await res.json()) as LiveCluster;
}

const post = (r: Running, p: string, body?: unknown, headers: Record<string, string> = {}) =>
  call(`${r.base}${p}`, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }), headers: { 'content-type': 'application/json', ...headers } });

async function health(kvUrl: string): Promise<{ state: string; term: number; leaderId: string | null } | null> {
  try {
    return (await call(`${kvUrl}/health`)).body as never;
  } catch {
    return null;
  }
}

async function leaderOf(c: LiveCluster, among: readonly NodeId[] = c.nodes.map((n) => n.id)): Promise<NodeId | null> {
  const all = await Promise.all(c.nodes.filter((n) => among.includes(n.id)).map(async (n) => ({ id: n.id, h: await health(n.kvUrl) })));
  return all.filter((x) => x.h?.state === 'leader').sort((a, b) => b.h!.term - a.h!.term)[0]?.id ?? null;
}

async function rawStatus(c: LiveCluster, id: NodeId): Promise<Record<string, unknown>> {
  return (await call(`${c.nodes.find((n) => n.id === id)!.raftUrl}/raft/status`)).body;
}

afterEach(async () => {
  for (const r of running.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGINT');
      await Promise.race([r.exited, new Promise((res) => setTimeout(res, 8000))]);
      r.child.kill('SIGKILL');
    }
    await until('the supervisor\'s nodes to be gone', () => leakedPids().length === 0, 8000).catch(() => {
      for (const pid of leakedPids()) process.kill(pid, 'SIGKILL');
    });
    fs.rmSync(r.dataDir, { recursive: true, force: true });
  }
});

afterAll(() => {
  expect(leakedPids()).toEqual([]);
});

describe('npm start (the supervisor, real processes)', () => {
  it('serves the page and the API, kills and restarts nodes, isolates and heals, and stops everything on Ctrl-C', async () => {
    const r = await startSupervisor();
    let c = await clusterOf(r);
    expect(c.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    for (const n of c.nodes) {
      expect(n.observeUrl).toBe(n.raftUrl);
      expect(pidAlive(n.pid!)).toBe(true);
    }
    const page = await fetch(`${r.base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('fixture playground');

    // The page's origin may watch a real node, and sees the real leader.
    const leader = await until('a leader', async () => (await leaderOf(c)) !== null, 15_000).then(() => leaderOf(c));
    const statuses: LiveNodeStatus[] = [];
    const socket = io(c.nodes[0]!.observeUrl, { transports: ['websocket'], reconnection: false, extraHeaders: { origin: r.base } });
    socket.on('status', (s: LiveNodeStatus) => statuses.push(s));
    try {
      await until('a status from n1 that knows the leader', () => statuses.some((s) => s.leaderId === leader), 5000);
      expect(statuses.at(-1)).toMatchObject({ id: 'n1', kvUrl: c.nodes[0]!.kvUrl, faults: { dropTo: [], dropFrom: [] } });
    } finally {
      socket.disconnect();
    }

    // A page of another origin may not act.
    expect((await post(r, `/api/nodes/${leader}/kill`, undefined, { origin: 'http://evil.example' })).status).toBe(403);
    expect((await post(r, '/api/nodes/n9/kill')).status).toBe(404);
    expect((await post(r, '/api/faults', { type: 'isolate', node: 'n9' })).status).toBe(400);
    expect((await post(r, '/api/faults', { type: 'explode' })).status).toBe(400);

    // SIGKILL through the API: the process is gone and the cluster says stopped, until restarted.
    const victim = c.nodes.find((n) => n.id === leader)!;
    expect(await post(r, `/api/nodes/${victim.id}/kill`, undefined, { origin: r.base })).toMatchObject({ status: 200, body: { ok: true } });
    expect(pidAlive(victim.pid!)).toBe(false);
    c = await clusterOf(r);
    expect(c.nodes.find((n) => n.id === victim.id)).toMatchObject({ state: 'stopped', pid: null });
    await new Promise((res) => setTimeout(res, 300));
    expect((await clusterOf(r)).nodes.find((n) => n.id === victim.id)!.state).toBe('stopped');
    expect(await post(r, `/api/nodes/${victim.id}/restart`)).toMatchObject({ status: 200, body: { ok: true } });
    await until(`${victim.id} to run again`, async () => (await clusterOf(r)).nodes.find((n) => n.id === victim.id)!.state === 'running', 15_000);
    c = await clusterOf(r);
    const restarted = c.nodes.find((n) => n.id === victim.id)!;
    startedPids.add(restarted.pid!);
    expect(restarted.pid).not.toBe(victim.pid);
    expect((await health(restarted.kvUrl))?.state).toBeDefined();

    // Isolate a follower: its commit index falls behind; heal: it catches up.
    const now = await until('a leader again', async () => (await leaderOf(c)) !== null, 15_000).then(() => leaderOf(c));
    const follower = c.nodes.find((n) => n.id !== now)!.id;
    const isolated = await post(r, '/api/faults', { type: 'isolate', node: follower });
    expect(isolated.status).toBe(200);
    expect((isolated.body.faults as Record<string, unknown>)[follower]).toEqual({ dropTo: c.nodes.map((n) => n.id).filter((id) => id !== follower).sort(), dropFrom: c.nodes.map((n) => n.id).filter((id) => id !== follower).sort() });
    const adminView = await call(`${c.nodes.find((n) => n.id === follower)!.raftUrl}/admin/faults`, { headers: { authorization: `Bearer ${token}` } });
    expect(adminView.body).toEqual((isolated.body.faults as Record<string, unknown>)[follower]);
    const leaderKv = c.nodes.find((n) => n.id === now)!.kvUrl;
    for (let i = 0; i < 3; i++) {
      const w = await call(`${leaderKv}/set`, { method: 'PUT', body: JSON.stringify({ key: `k${i}`, value: 'v' }) });
      expect(w.status).toBe(200);
    }
    const leaderCommit = (await rawStatus(c, now!)).commitIndex as number;
    expect((await rawStatus(c, follower)).commitIndex as number).toBeLessThan(leaderCommit);
    expect((await post(r, '/api/faults', { type: 'healAll' })).body).toMatchObject({ ok: true, faults: { [follower]: { dropTo: [], dropFrom: [] } } });
    await until(`${follower} to catch up`, async () => ((await rawStatus(c, follower)).commitIndex as number) >= leaderCommit, 10_000);

    // Ctrl-C: exit 0, every node gone.
    const pids = c.nodes.map((n) => n.pid!);
    r.child.kill('SIGINT');
    expect(await r.exited).toBe(0);
    await until('the nodes to be gone', () => pids.every((pid) => !pidAlive(pid)), 8000);
  });

  it('starts a new node that joins, and changes the membership and the leader through the leader', async () => {
    const r = await startSupervisor(4);
    let c = await clusterOf(r);
    await until('a leader', async () => (await leaderOf(c)) !== null, 15_000);
    /** A membership request through the supervisor until it is answered 200 (a promotion waits for catch-up). */
    const untilOk = async (method: 'POST' | 'DELETE', p: string, body?: unknown) => {
      let last: unknown;
      await until(`${method} ${p} to succeed`, async () => {
        const answer = method === 'POST' ? await post(r, p, body) : await call(`${r.base}${p}`, { method: 'DELETE' });
        last = answer.body;
        return answer.status === 200;
      }, 15_000).catch((err: unknown) => {
        throw new Error(`${(err as Error).message}: last answer ${JSON.stringify(last)}`);
      });
    };

    const added = await post(r, '/api/nodes');
    expect(added).toMatchObject({ status: 200, body: { ok: true, node: { id: 'n4', state: 'starting' } } });
    await until('n4 to run', async () => (await clusterOf(r)).nodes.find((n) => n.id === 'n4')?.state === 'running', 20_000);
    c = await clusterOf(r);
    startedPids.add(c.nodes.find((n) => n.id === 'n4')!.pid!);
    expect(c.nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3', 'n4']);
    expect(await health(c.nodes[3]!.kvUrl)).toMatchObject({ term: 0, leaderId: null });

    expect((await post(r, '/api/members', { id: 'n9' })).status).toBe(404);
    expect((await post(r, '/api/members', {})).status).toBe(400);
    expect((await post(r, '/api/members', { id: 'n4' }, { origin: 'http://evil.example' })).status).toBe(403);
    const learner = await post(r, '/api/members', { id: 'n4' });
    expect(learner).toMatchObject({ status: 200, body: { ok: true, learners: ['n4'] } });
    await untilOk('POST', '/api/members/n4/promote');
    const members = await call(`${r.base}/api/members`);
    expect(members.body.members).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'n4', role: 'voter', kvUrl: c.nodes[3]!.kvUrl })]));

    await untilOk('POST', '/api/leader', { id: 'n4' });
    expect(await leaderOf(c)).toBe('n4');
    // Kill and restart work for the added node: it comes back a voter, from its disk.
    expect((await post(r, '/api/nodes/n4/kill')).status).toBe(200);
    expect((await post(r, '/api/nodes/n4/restart')).status).toBe(200);
    await until('n4 to run again', async () => (await clusterOf(r)).nodes.find((n) => n.id === 'n4')?.state === 'running', 20_000);
    startedPids.add((await clusterOf(r)).nodes.find((n) => n.id === 'n4')!.pid!);
    await until('n4 to see itself a voter', async () => {
      const own = (await call(`${c.nodes[3]!.kvUrl}/cluster/members`, { headers: { authorization: `Bearer ${token}` } })).body;
      return (own.members as { id: string; role: string }[]).some((m) => m.id === 'n4' && m.role === 'voter') && own.leaderId !== null;
    }, 15_000);
    // The fault book knows it: isolating it names it on the others too.
    const isolated = await post(r, '/api/faults', { type: 'isolate', node: 'n4' });
    expect(isolated.status).toBe(200);
    expect((isolated.body.faults as Record<string, unknown>).n4).toEqual({ dropTo: ['n1', 'n2', 'n3'], dropFrom: ['n1', 'n2', 'n3'] });
    expect((await post(r, '/api/faults', { type: 'healAll' })).status).toBe(200);

    await untilOk('DELETE', '/api/members/n1');
    const after = await call(`${r.base}/api/members`);
    expect((after.body.members as { id: string }[]).map((m) => m.id).sort()).toEqual(['n2', 'n3', 'n4']);
  });

  it('leaves no node behind when the supervisor itself is SIGKILLed', async () => {
    const r = await startSupervisor();
    const pids = (await clusterOf(r)).nodes.map((n) => n.pid!);
    r.child.kill('SIGKILL');
    await r.exited;
    await until('the orphaned nodes to stop by themselves', () => pids.every((pid) => !pidAlive(pid)), 10_000);
  });
});
