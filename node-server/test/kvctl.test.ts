/**
 * The real kvctl binary (node_modules/.bin/kvctl) against a real cluster: every command the nodes
 * serve, in both output formats, with its exit codes; a leader killed in the middle of a watch;
 * the outcome-unknown exit code; the membership commands against a real cluster (a node that joins
 * is added, promoted, given the leadership, and a first node removed); and, against a small
 * stand-in, what the membership commands send and how they follow the leader.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KvClient } from '@raft-kv/client';
import { others, stableLeader, waitFor } from '@raft-kv/core/scenarios';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvctlChild } from './support/kvctl-process';
import { kvctl, startKvctl } from './support/kvctl-process';
import { ProcessCluster, liveProcesses } from './support/process-cluster';

const started: ProcessCluster[] = [];
const children: KvctlChild[] = [];
afterAll(async () => {
  for (const child of children) child.kill();
  await Promise.all(children.map((c) => c.done));
  for (const c of started) await c.destroy();
  expect(liveProcesses().map((p) => p.pid)).toEqual([]);
});

async function cluster(env: Record<string, string> = {}): Promise<ProcessCluster> {
  const c = await ProcessCluster.start({ nodes: 3, env: { KV_KEY_BYTES_MAX: '64', ...env } });
  started.push(c);
  await stableLeader(c);
  return c;
}

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

/** A port nothing listens on (taken from the OS, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = http.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('kvctl against a real cluster', () => {
  let c: ProcessCluster;
  let env: Record<string, string>;
  beforeAll(async () => {
    c = await cluster();
    env = { KVCTL_ENDPOINTS: c.nodeIds.map((id) => c.kvUrl(id)).join(',') };
  });

  it('put, get, del: table and json output, exit codes 0 and 3', async () => {
    expect(await kvctl(['put', 'name', 'luffy'], env)).toEqual({ code: 0, stdout: 'stored name\n', stderr: '' });
    expect(await kvctl(['get', 'name'], env)).toEqual({ code: 0, stdout: 'KEY   VALUE\nname  luffy\n', stderr: '' });
    expect(await kvctl(['get', 'name', '-o', 'json', '--consistency', 'stale'], env)).toMatchObject({ code: 0, stdout: '{"key":"name","value":"luffy"}\n' });
    expect(await kvctl(['-o', 'json', 'del', 'name'], env)).toEqual({ code: 0, stdout: '{"ok":true,"key":"name"}\n', stderr: '' });
    expect(await kvctl(['get', 'name'], env)).toEqual({ code: 3, stdout: '', stderr: 'kvctl: name: not found\n' });
    expect(await kvctl(['get', 'name', '-o', 'json'], env)).toEqual({ code: 3, stdout: '', stderr: '{"ok":false,"error":"not_found","key":"name"}\n' });
    // A value that starts with a dash goes after --.
    expect((await kvctl(['put', 'neg', '--', '-1'], env)).code).toBe(0);
    expect((await kvctl(['get', 'neg', '-o=json'], env)).stdout).toBe('{"key":"neg","value":"-1"}\n');
  });

  it('cas: exit 0 when it swaps, 6 when it does not; --absent creates', async () => {
    expect(await kvctl(['cas', 'lock', '--absent', 'me'], env)).toEqual({ code: 0, stdout: 'KEY   SWAPPED  VALUE\nlock  true     me\n', stderr: '' });
    expect(await kvctl(['cas', 'lock', '--absent', 'you'], env)).toMatchObject({ code: 6, stdout: 'KEY   SWAPPED  VALUE\nlock  false    me\n' });
    expect(await kvctl(['cas', 'lock', 'me', 'you', '-o', 'json'], env)).toMatchObject({ code: 0, stdout: '{"key":"lock","swapped":true,"value":"you"}\n' });
    expect(await kvctl(['cas', 'lock', 'me', 'again', '-o', 'json'], env)).toMatchObject({ code: 6, stdout: '{"key":"lock","swapped":false,"value":"you"}\n' });
  });

  it('range: keys in order with the index they reflect; --limit', async () => {
    for (const k of ['fruit/b', 'fruit/a', 'fruit/c', 'veg/a']) expect((await kvctl(['put', k, k.toUpperCase()], env)).code).toBe(0);
    const table = await kvctl(['range', '--prefix', 'fruit/'], env);
    expect(table.code).toBe(0);
    expect(lines(table.stdout).slice(0, 4)).toEqual(['KEY      VALUE', 'fruit/a  FRUIT/A', 'fruit/b  FRUIT/B', 'fruit/c  FRUIT/C']);
    expect(lines(table.stdout)[4]).toMatch(/^3 keys at index \d+$/);
    const json = JSON.parse((await kvctl(['range', '--prefix', 'fruit/', '--limit', '2', '-o', 'json'], env)).stdout) as Record<string, unknown>;
    expect(json).toEqual({ index: expect.any(Number), kvs: [{ key: 'fruit/a', value: 'FRUIT/A' }, { key: 'fruit/b', value: 'FRUIT/B' }], more: true });
  });

  it('status: a row per endpoint (id, role, term, commit, applied, leader); exit 4 and the row marked when one is down', async () => {
    const table = await kvctl(['status'], env);
    expect(table.code).toBe(0);
    const rows = lines(table.stdout);
    expect(rows[0]).toMatch(/^ENDPOINT\s+ID\s+ROLE\s+TERM\s+COMMIT\s+APPLIED\s+LEADER$/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[1])).toEqual(['n1', 'n2', 'n3']);
    expect(rows.slice(1).filter((r) => / leader /.test(r))).toHaveLength(1);
    const json = JSON.parse((await kvctl(['status', '-o', 'json'], env)).stdout) as { id: string; role: string; commitIndex: number; leaderId: string }[];
    expect(json.map((s) => s.id)).toEqual(['n1', 'n2', 'n3']);
    expect(new Set(json.map((s) => s.leaderId)).size).toBe(1);
    const down = await kvctl(['status', '--endpoints', `${c.kvUrl('n1')},http://127.0.0.1:1`], env);
    expect(down.code).toBe(4);
    expect(lines(down.stdout)[2]).toMatch(/^http:\/\/127\.0\.0\.1:1\s+-\s+unreachable/);
  });

  it('bad input: usage errors and a request the node refuses exit 2 and change nothing', async () => {
    for (const args of [[], ['frobnicate'], ['get'], ['put', 'k'], ['get', 'k', '--prefix', 'x'], ['cas', 'k', 'v'], ['-o', 'yaml', 'get', 'k'], ['range', '--limit', '0'], ['--timeout', 'soon', 'get', 'k'], ['--endpoints', 'localhost:8081', 'get', 'k']]) {
      const r = await kvctl(args, env);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(r.stderr).toMatch(/^kvctl: /);
    }
    const tooLong = await kvctl(['put', 'k'.repeat(65), 'v'], env);
    expect(tooLong).toMatchObject({ code: 2, stderr: 'kvctl: 413 too_large: key larger than 64 bytes\n' });
    expect((await kvctl(['get', 'k'.repeat(65)], env)).code).toBe(2);
    expect((await kvctl(['--help'], env))).toMatchObject({ code: 0, stdout: expect.stringContaining('exit codes: 0 ok, 1 error, 2 bad input') });
  });

  it('unavailable: no endpoint answers, exit 4', async () => {
    const nobody = await Promise.all([freePort(), freePort()]);
    const endpoints = nobody.map((p) => `http://127.0.0.1:${p}`).join(',');
    const write = await kvctl(['put', 'k', 'v', '--timeout', '1500'], { KVCTL_ENDPOINTS: endpoints });
    expect(write).toMatchObject({ code: 4, stdout: '' });
    expect(write.stderr).toMatch(/^kvctl: could not open a session: no node took it in 1500 ms \(last: cannot connect to http:\/\/127\.0\.0\.1:\d+\/session \(ECONNREFUSED\)\)/);
    const read = await kvctl(['get', 'k', '--timeout', '1500'], { KVCTL_ENDPOINTS: endpoints });
    expect(read).toMatchObject({ code: 4, stdout: '' });
    expect(read.stderr).toMatch(/^kvctl: no node could serve the read in 1500 ms/);
  });

  it('follows the leader from any endpoint, and --debug prints each request as curl', async () => {
    const leader = await stableLeader(c);
    const follower = others(c, leader)[0]!;
    const r = await kvctl(['put', 'via', 'follower', '--debug', '--endpoints', c.kvUrl(follower)]);
    expect(r.code).toBe(0);
    const curls = lines(r.stderr);
    expect(curls[0]).toBe(`curl -s -X POST '${c.kvUrl(follower)}/session'`);
    expect(curls).toContain(`curl -s -X POST '${c.kvUrl(leader)}/session'`);
    expect(curls[curls.length - 1]).toMatch(new RegExp(`^curl -s -X PUT '${c.kvUrl(leader)}/set' -H 'Client-Id: \\d+' -H 'Client-Seq: 1' -H 'Client-Ack: 1' -d '\\{"key":"via","value":"follower"\\}'$`));
    expect((await kvctl(['get', 'via', '--endpoints', c.kvUrl(follower)])).stdout).toContain('follower');
  });
});

describe('kvctl watch', () => {
  it('prints every change once and in order, in both formats, across a leader kill', async () => {
    const c = await cluster();
    const leader = await stableLeader(c);
    // The leader first: the watchers start on the node the test kills, so they must resume elsewhere.
    const env = { KVCTL_ENDPOINTS: [leader, ...others(c, leader)].map((id) => c.kvUrl(id)).join(',') };
    const from = Math.max(...(await Promise.all(c.nodeIds.map(async (id) => (await c.status(id)).lastApplied)))) + 1;
    const asJson = startKvctl(['watch', '--prefix', 'w/', '--from-index', String(from), '--count', '8', '-o', 'json'], env);
    const asTable = startKvctl(['watch', '--prefix', 'w/', '--from-index', String(from), '--count', '8'], env);
    children.push(asJson, asTable);
    const writer = new KvClient({ endpoints: c.nodeIds.map((id) => c.kvUrl(id)), deadlineMs: 30_000 });
    for (let n = 1; n <= 4; n++) await writer.put(`w/${n}`, `before-${n}`);
    await writer.put('other', 'not watched');
    await waitFor(c, 'the watchers to print the first four', 20_000, async () => (lines(asJson.stdout).length >= 4 && lines(asTable.stdout).length >= 5 ? true : undefined), 100);
    await c.kill(leader);
    for (let n = 5; n <= 8; n++) await writer.put(`w/${n}`, `after-${n}`);
    const [json, table] = await Promise.all([asJson.done, asTable.done]);
    expect(json.code).toBe(0);
    const events = lines(json.stdout).map((l) => JSON.parse(l) as { type: string; index: number; op: string; key: string; value: string });
    expect(events.map((e) => [e.type, e.op, e.key, e.value])).toEqual([
      ...[1, 2, 3, 4].map((n) => ['change', 'set', `w/${n}`, `before-${n}`]),
      ...[5, 6, 7, 8].map((n) => ['change', 'set', `w/${n}`, `after-${n}`]),
    ]);
    const indexes = events.map((e) => e.index);
    expect(indexes).toEqual([...new Set(indexes)].sort((a, b) => a - b));
    expect(table.code).toBe(0);
    expect(lines(table.stdout)).toEqual(['INDEX  OP  KEY  VALUE', ...events.map((e) => `${e.index}  set  ${e.key}  ${e.value}`)]);
  });
});

describe('kvctl: a write whose outcome it cannot learn', () => {
  it('exits 5 (unknown) without a session when the leader cannot commit', async () => {
    // Long election timeouts: the leader keeps leading (and taking writes) after its followers die.
    const c = await cluster({ RAFT_ELECTION_TIMEOUT_MIN_MS: '6000', RAFT_ELECTION_TIMEOUT_MAX_MS: '8000' });
    const leader = await stableLeader(c, 40_000);
    for (const id of others(c, leader)) await c.kill(id);
    const r = await kvctl(['put', 'k', 'v', '--no-session', '--endpoints', c.kvUrl(leader)]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/^kvctl: the write may or may not have happened: .*504 timeout/);
  });
});

describe('kvctl members and leader transfer on a real cluster', () => {
  it('adds a node that joins, promotes it once it caught up, hands it the leadership, and removes a first node', async () => {
    const token = 'kvctl-members-token';
    const d = await ProcessCluster.start({ nodes: 3, spareNodes: 1, env: { RAFT_CLUSTER_TOKEN: token } });
    started.push(d);
    await stableLeader(d);
    const first = ['n1', 'n2', 'n3'];
    const env = { KVCTL_ENDPOINTS: first.map((id) => d.kvUrl(id)).join(','), KVCTL_TOKEN: token };
    const roles = async (): Promise<Record<string, string>> => {
      const listed = await kvctl(['members', '-o', 'json'], env);
      expect(listed.code, listed.stderr).toBe(0);
      const body = JSON.parse(listed.stdout) as { members: { id: string; role: string }[] };
      return Object.fromEntries(body.members.map((m) => [m.id, m.role]));
    };

    const n4 = await d.addNode();
    expect(await kvctl(['members', 'add', n4, '--raft-url', d.raftUrl(n4), '--kv-url', d.kvUrl(n4)], env)).toEqual({ code: 0, stdout: `added ${n4} as a learner\n`, stderr: '' });
    expect(await roles()).toEqual({ n1: 'voter', n2: 'voter', n3: 'voter', [n4]: 'learner' });
    // The leader refuses (learner_behind) until it has seen the learner catch up: ask until it agrees.
    await waitFor(d, `${n4} promoted`, 15_000, async () => ((await kvctl(['members', 'promote', n4], env)).code === 0 ? true : undefined), 200);
    expect((await roles())[n4]).toBe('voter');

    expect(await kvctl(['leader', 'transfer', n4], env)).toEqual({ code: 0, stdout: `${n4} leads\n`, stderr: '' });
    expect((await d.status(n4)).role).toBe('leader');

    const removed = await kvctl(['members', 'remove', 'n1'], env);
    expect(removed.code, removed.stderr).toBe(0);
    expect(await roles()).toEqual({ n2: 'voter', n3: 'voter', [n4]: 'voter' });
    // Writes go on, through the new leader.
    expect((await kvctl(['put', 'after', 'membership'], env)).code).toBe(0);
    expect((await kvctl(['get', 'after', '--endpoints', d.kvUrl(n4)], env)).stdout).toBe('KEY    VALUE\nafter  membership\n');
  });
});

describe('kvctl members and leader transfer against a stand-in (what they send, following the leader)', () => {
  /** Two "nodes": the first refers writes to the second, which keeps a member list. */
  let servers: http.Server[] = [];
  const seen: string[] = [];
  let urls: string[] = [];
  beforeAll(async () => {
    const members = [{ id: 'n1', raftUrl: 'http://127.0.0.1:9081', kvUrl: 'http://127.0.0.1:8081', role: 'voter' }, { id: 'n2', raftUrl: 'http://127.0.0.1:9082', kvUrl: 'http://127.0.0.1:8082', role: 'voter' }];
    const answer = (res: http.ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const follower = http.createServer((req, res) => {
      seen.push(`follower ${req.method} ${req.url}`);
      answer(res, 409, { ok: false, error: 'not_leader', message: 'not leader', leaderId: 'n2', leader: urls[1] });
    });
    const leader = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`leader ${req.method} ${req.url} ${req.headers.authorization ?? ''} ${body}`.trim());
        if (req.headers.authorization !== 'Bearer members-token') return answer(res, 401, { ok: false, error: 'unauthorized', message: 'cluster token required' });
        if (req.method === 'GET' && req.url === '/cluster/members') return answer(res, 200, { ok: true, leaderId: 'n2', members });
        if (req.method === 'POST' && req.url === '/cluster/members') {
          members.push({ ...(JSON.parse(body) as { id: string; raftUrl: string; kvUrl: string }), role: 'learner' });
          return answer(res, 200, { ok: true, members });
        }
        const promote = /^\/cluster\/members\/([^/]+)\/promote$/.exec(req.url ?? '');
        if (req.method === 'POST' && promote) {
          const m = members.find((x) => x.id === promote[1]);
          if (!m) return answer(res, 404, { ok: false, error: 'not_found', message: 'no such member' });
          m.role = 'voter';
          return answer(res, 200, { ok: true, members });
        }
        const remove = /^\/cluster\/members\/([^/]+)$/.exec(req.url ?? '');
        if (req.method === 'DELETE' && remove) return answer(res, 200, { ok: true, removed: remove[1] });
        if (req.method === 'POST' && req.url === '/cluster/leader') return answer(res, 200, { ok: true, leaderId: (JSON.parse(body) as { id: string }).id });
        answer(res, 404, { ok: false, error: 'not_found', message: 'no route' });
      });
    });
    servers = [follower, leader];
    for (const s of servers) await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    urls = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`);
  });
  afterAll(async () => {
    for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  });

  it('lists, adds, promotes and removes members, and transfers leadership, following the leader, with the token', async () => {
    const env = { KVCTL_ENDPOINTS: urls[0]!, KVCTL_TOKEN: 'members-token' };
    const list = await kvctl(['members'], env);
    expect(list).toEqual({
      code: 0, stderr: '',
      stdout: 'ID  ROLE   RAFT URL               KV URL                 LEADER\nn1  voter  http://127.0.0.1:9081  http://127.0.0.1:8081\nn2  voter  http://127.0.0.1:9082  http://127.0.0.1:8082  *\n',
    });
    expect(JSON.parse((await kvctl(['members', 'list', '-o', 'json'], env)).stdout)).toMatchObject({ leaderId: 'n2', members: [{ id: 'n1' }, { id: 'n2' }] });
    expect(await kvctl(['members', 'add', 'n3', '--raft-url', 'http://127.0.0.1:9083', '--kv-url', 'http://127.0.0.1:8083'], env)).toMatchObject({ code: 0, stdout: 'added n3 as a learner\n' });
    expect(seen).toContain(`leader POST /cluster/members Bearer members-token {"id":"n3","raftUrl":"http://127.0.0.1:9083","kvUrl":"http://127.0.0.1:8083"}`);
    expect(await kvctl(['members', 'promote', 'n3'], env)).toMatchObject({ code: 0, stdout: 'promoted n3 to voter\n' });
    expect(lines((await kvctl(['members'], env)).stdout)[3]).toMatch(/^n3\s+voter\s+http:\/\/127\.0\.0\.1:9083/);
    expect(await kvctl(['members', 'remove', 'n1', '-o', 'json'], env)).toMatchObject({ code: 0, stdout: '{"ok":true,"removed":"n1"}\n' });
    expect(await kvctl(['leader', 'transfer', 'n3'], env)).toMatchObject({ code: 0, stdout: 'n3 leads\n' });
    expect(seen).toContain('leader POST /cluster/leader Bearer members-token {"id":"n3"}');
    expect(seen.filter((s) => s.startsWith('follower')).length).toBeGreaterThan(0);
    // Refusals keep their meaning: unknown member (404) is an error, a missing token too.
    expect((await kvctl(['members', 'promote', 'n9'], env)).code).toBe(1);
    expect(await kvctl(['members'], { KVCTL_ENDPOINTS: urls[1]! })).toMatchObject({ code: 1, stderr: 'kvctl: 401 unauthorized: cluster token required\n' });
    expect((await kvctl(['members', 'add', 'n4'], env)).code).toBe(2);
    expect((await kvctl(['leader'], env)).code).toBe(2);
  });
});
