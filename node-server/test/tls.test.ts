/**
 * TLS on real processes (127.0.0.1, no namespaces needed): mutual TLS on the Raft port
 * (RAFT_TLS_CERT/KEY/CA) and TLS on the KV port (KV_TLS_CERT/KEY), with certificates made by the
 * openssl command for this run. A cluster with TLS elects, writes, reads, snapshots and re-elects;
 * a peer whose certificate comes from another CA, a peer speaking plain HTTP, and a caller without
 * a client certificate are refused, logged, and change nothing. (The namespaced A-H run has TLS on
 * too: netns-scenarios.test.ts.)
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { NodeId } from '@raft-kv/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CertFiles } from '../src/certs';
import { makeCa, makeCert, tlsEnv } from '../src/certs';
import type { Agents } from '../src/http/client-request';
import { getJson, jsonRequest } from '../src/http/client-request';
import type { NodeSpec } from '../src/supervisor/node-processes';
import { NodeProcesses, nodeSpecs } from '../src/supervisor/node-processes';
import { until } from './support/in-process-node';
import { choosePortBase, leakedPids, startedPids } from './support/process-cluster';

const host = '127.0.0.1';
let dir: string;
let ca: CertFiles;
let otherCa: CertFiles;
const certs = new Map<string, CertFiles>();
let agents: Agents;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-tls-'));
  ca = makeCa(path.join(dir, 'ca'));
  otherCa = makeCa(path.join(dir, 'other'), 'ca', 'another CA');
  for (const name of ['n1', 'n2', 'n3', 'n4', 'client']) certs.set(name, makeCert(path.join(dir, 'ca'), ca, name, [host, 'localhost']));
  certs.set('rogue', makeCert(path.join(dir, 'other'), otherCa, 'n3', [host, 'localhost']));
  const client = certs.get('client')!;
  agents = {
    http: new http.Agent(),
    https: new https.Agent({ ca: fs.readFileSync(ca.cert), cert: fs.readFileSync(client.cert), key: fs.readFileSync(client.key) }),
  };
});

afterAll(() => {
  agents.https.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
  expect(leakedPids()).toEqual([]);
});

/** n1-n3 on 127.0.0.1 with TLS on both ports; `nodeEnv` changes one node's setup. Output kept per node. */
class TlsCluster {
  readonly lines = new Map<NodeId, string[]>();
  readonly processes: NodeProcesses;

  constructor(readonly specs: NodeSpec[], readonly dataDir: string, options: { scheme?: 'http' | 'https'; env?: Record<string, string>; nodeEnv?: (id: NodeId) => Record<string, string> } = {}) {
    const scheme = options.scheme ?? 'https';
    this.processes = new NodeProcesses({
      nodes: specs, host, dataDir,
      // Snapshots every 20 entries with nothing kept behind them, so a follower that fell behind needs one.
      env: { LOG_FORMAT: 'json', RAFT_SNAPSHOT_THRESHOLD: '20', RAFT_SNAPSHOT_RETAIN_ENTRIES: '0', ...options.env },
      nodeEnv: (id) => ({ ...(scheme === 'https' ? tlsEnv(ca, certs.get(id)!) : {}), ...options.nodeEnv?.(id) }),
      schemes: { kv: scheme, raft: scheme },
      getJson: (url, timeoutMs) => getJson(url, timeoutMs, agents),
      onLine: (id, line) => (this.lines.get(id) ?? this.lines.set(id, []).get(id)!).push(line),
    });
  }

  start(id: NodeId): void {
    this.processes.start(id);
    startedPids.add(this.processes.pid(id)!);
  }

  async running(id: NodeId): Promise<void> {
    await until(`${id} serving`, () => this.processes.state(id) === 'running', 20_000);
  }

  log(id: NodeId): string {
    return (this.lines.get(id) ?? []).join('\n');
  }

  applied(id: NodeId): number {
    return (this.lines.get(id) ?? []).filter((l) => l.includes('[apply] index=')).length;
  }

  put(id: NodeId, key: string, value: string) {
    return jsonRequest(`${this.processes.kvUrl(id)}/set`, 'PUT', { key, value }, 5_000, agents);
  }

  get(id: NodeId, key: string) {
    return jsonRequest(`${this.processes.kvUrl(id)}/get?key=${key}`, 'GET', undefined, 3_000, agents);
  }

  async status(id: NodeId): Promise<Record<string, unknown> | null> {
    return (await getJson(`${this.processes.raftUrl(id)}/raft/status`, 1_000, agents)) as Record<string, unknown> | null;
  }

  async leader(among: NodeId[]): Promise<NodeId> {
    let found: NodeId | null = null;
    await until('a leader', async () => {
      for (const id of among) if ((await this.status(id))?.state === 'leader') found = id;
      return found !== null;
    }, 20_000);
    return found!;
  }
}

const clusters: TlsCluster[] = [];
let dataDirs: string[] = [];

async function newCluster(specs: NodeSpec[], options?: ConstructorParameters<typeof TlsCluster>[2], dataDir?: string): Promise<TlsCluster> {
  const data = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-tls-data-'));
  if (!dataDir) dataDirs.push(data);
  const cluster = new TlsCluster(specs, data, options);
  clusters.push(cluster);
  return cluster;
}

afterEach(async () => {
  await Promise.all(clusters.splice(0).map((c) => c.processes.stopAll(2_000)));
  for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
  dataDirs = [];
});

async function specsFor3(): Promise<NodeSpec[]> {
  const base = await choosePortBase(3);
  return nodeSpecs(3, base + 1, base + 1001);
}

describe('TLS between peers (mutual) and on the KV port', () => {
  it('a node that joins over TLS is added, caught up, promoted and given the leadership; a plain-HTTP raftUrl is refused', async () => {
    const base = await choosePortBase(4);
    const specs = nodeSpecs(3, base + 1, base + 1001);
    const c = await newCluster(specs);
    for (const id of ['n1', 'n2', 'n3']) c.start(id);
    for (const id of ['n1', 'n2', 'n3']) await c.running(id);
    const leader = await c.leader(['n1', 'n2', 'n3']);
    expect((await c.put(leader, 'before', 'tls')).status).toBe(200);
    c.processes.add({ id: 'n4', kvPort: base + 4, raftPort: base + 1004, join: true });
    c.start('n4');
    await c.running('n4');
    const admin = (path: string, body?: unknown) => jsonRequest(`${c.processes.kvUrl(leader)}${path}`, 'POST', body, 10_000, agents);
    const n4 = { id: 'n4', raftUrl: c.processes.raftUrl('n4'), kvUrl: c.processes.kvUrl('n4') };
    expect(n4.raftUrl).toMatch(/^https:\/\//);
    expect(await admin('/cluster/members', { ...n4, raftUrl: n4.raftUrl.replace('https:', 'http:') })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(await admin('/cluster/members', n4)).toMatchObject({ status: 200, body: { learners: ['n4'] } });
    await until('n4 promoted', async () => (await admin('/cluster/members/n4/promote')).status === 200, 15_000);
    await until('before on n4', async () => (await c.get('n4', 'before')).body.value === 'tls', 10_000);
    expect(await admin('/cluster/leader', { id: 'n4' })).toMatchObject({ status: 200, body: { leaderId: 'n4' } });
    expect((await c.put('n4', 'after', 'tls')).status).toBe(200);
    for (const id of ['n1', 'n2', 'n3']) await until(`after on ${id}`, async () => (await c.get(id, 'after')).body.value === 'tls', 10_000);
  });

  it('a cluster with TLS on elects, writes, reads everywhere, sends a snapshot to a follower that fell behind, and elects again after the leader dies', async () => {
    const c = await newCluster(await specsFor3());
    for (const id of ['n1', 'n2', 'n3']) c.start(id);
    for (const id of ['n1', 'n2', 'n3']) await c.running(id);
    const leader = await c.leader(['n1', 'n2', 'n3']);
    expect(c.processes.kvUrl(leader)).toMatch(/^https:\/\//);
    const follower = ['n1', 'n2', 'n3'].find((id) => id !== leader)!;
    // A follower's leader hint names the leader's https:// KV URL, once it has heard from the leader
    // (a node can report itself leader before its first AppendEntries reaches the other follower).
    await until(`${follower} to know ${leader}`, async () => (await c.status(follower))?.leaderId === leader, 10_000);
    expect(await c.put(follower, 'a', '1')).toMatchObject({ status: 409, body: { leader: c.processes.kvUrl(leader) } });
    expect((await c.put(leader, 'a', '1')).status).toBe(200);
    for (const id of ['n1', 'n2', 'n3']) await until(`a on ${id}`, async () => (await c.get(id, 'a')).body.value === '1', 10_000);
    // Plain HTTP to a TLS port gets no answer.
    const plain = await jsonRequest(c.processes.kvUrl(leader).replace('https:', 'http:') + '/health', 'GET', undefined, 2_000, agents);
    expect(plain.status).toBe(0);

    // Snapshots: the lagging follower can only catch up through InstallSnapshot (threshold 20, 60 writes).
    const lagging = ['n1', 'n2', 'n3'].find((id) => id !== leader && id !== follower)!;
    await c.processes.kill(lagging);
    for (let i = 0; i < 60; i++) expect((await c.put(leader, `s${i}`, String(i))).status).toBe(200);
    c.start(lagging);
    await c.running(lagging);
    await until(`s59 on ${lagging}`, async () => (await c.get(lagging, 's59')).body.value === '59', 20_000);
    // The node logs asynchronously: its line can reach the test's pipe after its answers do.
    const installed = `[snapshot] ${lagging} installed a snapshot from ${leader}`;
    await until(`${lagging} to log the install`, () => c.log(lagging).includes(installed), 10_000);

    // Elections: the leader dies, the other two elect one of them, the old leader rejoins as a follower.
    const term = (await c.status(leader))!.term as number;
    await c.processes.kill(leader);
    const next = await c.leader(['n1', 'n2', 'n3'].filter((id) => id !== leader));
    expect((await c.status(next))!.term as number).toBeGreaterThan(term);
    expect((await c.put(next, 'b', '2')).status).toBe(200);
    c.start(leader);
    await c.running(leader);
    await until(`b on ${leader}`, async () => (await c.get(leader, 'b')).body.value === '2', 15_000);
  }, 120_000);

  it('refuses a peer with a certificate from another CA, a plain-HTTP peer and a caller without a certificate, logs each, and lets the right peer in', async () => {
    const specs = await specsFor3();
    // n1 and n2 are right; n3 comes with a certificate from another CA, then speaking plain HTTP, then right.
    const rogue: Record<string, string> = { RAFT_TLS_CERT: certs.get('rogue')!.cert, RAFT_TLS_KEY: certs.get('rogue')!.key };
    const c = await newCluster(specs, { nodeEnv: (id) => (id === 'n3' ? rogue : {}) });
    c.start('n1');
    c.start('n2');
    await c.running('n1');
    await c.running('n2');
    const leader = await c.leader(['n1', 'n2']);
    expect((await c.put(leader, 'k', 'v')).status).toBe(200);
    const term = (await c.status(leader))!.term as number;
    const refusals = (reason: string) => ['n1', 'n2'].filter((id) => c.log(id).includes(`refused a Raft connection from ${host}: ${reason}`));

    c.start('n3');
    await until('n1 and n2 to log the other CA', () => refusals('client certificate not signed by RAFT_TLS_CA').length === 2, 15_000);
    await c.processes.kill('n3');
    expect(c.applied('n3')).toBe(0);

    const plainN3 = await newCluster(specs, { scheme: 'http' }, c.dataDir);
    plainN3.start('n3');
    await until('n1 and n2 to log a plain-HTTP peer', () => refusals('not TLS (a plain-HTTP peer?)').length === 2, 15_000);
    await plainN3.processes.kill('n3');
    expect(plainN3.applied('n3')).toBe(0);

    // A caller with TLS but no client certificate gets no further than the handshake.
    const raftPort = specs.find((s) => s.id === leader)!.raftPort;
    const handshake = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host, port: raftPort, ca: fs.readFileSync(ca.cert) }, () => socket.write('GET /raft/status HTTP/1.1\r\nHost: x\r\n\r\n'));
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      socket.on('error', (err) => resolve(`error ${err.message}`));
      socket.on('close', () => resolve(answer || 'closed without an answer'));
    });
    expect(handshake).not.toMatch(/^HTTP\/1\.1 200/);
    await until('the leader to log a caller without a certificate', () => c.log(leader).includes(`refused a Raft connection from ${host}: no client certificate`), 10_000);
    // Plain HTTP straight at the Raft port, claiming a far newer term: refused before any of it is read.
    await new Promise<void>((resolve) => {
      const socket = net.connect(raftPort, host, () => socket.end(`POST /raft/requestvote HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });

    // Nothing the refused callers did changed the cluster.
    expect((await c.status(leader))).toMatchObject({ state: 'leader', term });
    // The same node with the right certificate joins and catches up.
    const rightN3 = await newCluster(specs, {}, c.dataDir);
    rightN3.start('n3');
    await rightN3.running('n3');
    await until('k on n3', async () => (await rightN3.get('n3', 'k')).body.value === 'v', 15_000);
  }, 120_000);
});
