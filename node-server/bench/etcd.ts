/**
 * A 3-member etcd cluster on this machine at etcd's defaults (fsync on, snapshot every 100,000
 * entries, 100 ms heartbeat, 1 s election timeout), reached through its v3 JSON gateway (POST
 * /v3/kv/put, /v3/kv/range with base64 keys and values), the same HTTP/1.1 path our load
 * generator uses for our own nodes. Only the flags that say who is who (names, URLs, data
 * directory, initial cluster) are given; ETCD_* variables are removed from the environment.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { HttpAnswer, KvTarget, Outcome } from './http-load';
import { describeError, httpRequest } from './http-load';
import { ThreeMembers } from './members';
import { waitFor } from './proc';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * The etcd binary: ETCD_BIN, else `etcd` on the PATH, else Debian's etcd-server installed with
 * apt-get when this process may (root, apt-get present), saying so. Otherwise it stops with the
 * one command to run: the etcd rows are never skipped silently.
 */
export function ensureEtcd(say: (line: string) => void): string {
  const given = process.env.ETCD_BIN ?? onPath('etcd');
  if (given) return given;
  const aptGet = onPath('apt-get');
  if (process.getuid?.() !== 0 || !aptGet) {
    throw new Error('etcd not found; the side-by-side rows need it: run `sudo apt-get install -y etcd-server` (or set ETCD_BIN=/path/to/etcd)');
  }
  say('etcd not found: installing Debian\'s etcd-server with apt-get (root, apt-get present) ...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync(aptGet, ['install', '-y', 'etcd-server'], { stdio: 'inherit', env });
  } catch {
    execFileSync(aptGet, ['update'], { stdio: 'inherit', env });
    execFileSync(aptGet, ['install', '-y', 'etcd-server'], { stdio: 'inherit', env });
  }
  const installed = onPath('etcd');
  if (!installed) throw new Error('apt-get installed etcd-server but no etcd is on the PATH');
  return installed;
}

export function etcdVersion(bin: string): string {
  const out = execFileSync(bin, ['--version'], { encoding: 'utf8' });
  return /etcd Version: (\S+)/.exec(out)?.[1] ?? 'unknown';
}

export interface EtcdStatus {
  memberId: string;
  leader: string;
  term: number;
  raftIndex: number;
  appliedIndex: number;
  dbSize: number;
}

export class EtcdCluster extends ThreeMembers implements KvTarget {
  readonly system = 'etcd';
  readonly endpoints = 3;
  private readonly token = `bench-${process.pid}-${Date.now()}`;

  /**
   * Ports: client base+i, peer base+10+i. `profiling` adds --enable-pprof: HTTP handlers for
   * etcd's own CPU profiler, idle until a profile is asked for (etcd-profile.ts).
   */
  constructor(private readonly bin: string, dataDir: string, private readonly portBase: number, private readonly profiling = false) {
    super(['e1', 'e2', 'e3'], dataDir);
  }

  clientPort(i: number): number {
    return this.portBase + i;
  }

  peerUrl(i: number): string {
    return `http://127.0.0.1:${this.portBase + 10 + i}`;
  }

  /** Starts member i; `existing` joins a cluster that already runs (after member add). */
  start(i: number, existing = false): void {
    const name = this.names[i]!;
    const client = `http://127.0.0.1:${this.clientPort(i)}`;
    const args = [
      '--name', name, '--data-dir', this.nodeDir(i),
      '--listen-client-urls', client, '--advertise-client-urls', client,
      '--listen-peer-urls', this.peerUrl(i), '--initial-advertise-peer-urls', this.peerUrl(i),
      '--initial-cluster', this.names.map((n, j) => `${n}=${this.peerUrl(j)}`).join(','),
      '--initial-cluster-state', existing ? 'existing' : 'new', '--initial-cluster-token', this.token,
      ...(this.profiling ? ['--enable-pprof'] : []),
    ];
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ETCD')));
    this.launch(i, this.bin, args, { env });
  }

  private post(i: number, route: string, body: unknown, timeoutMs?: number): Promise<HttpAnswer> {
    return httpRequest(this.clientPort(i), 'POST', route, JSON.stringify(body), timeoutMs);
  }

  async status(i: number): Promise<EtcdStatus | null> {
    try {
      const r = await this.post(i, '/v3/maintenance/status', {}, 2000);
      if (r.status !== 200) return null;
      const s = JSON.parse(r.body) as Record<string, unknown> & { header: { member_id: string } };
      const n = (k: string): number => Number(s[k] ?? 0);
      return { memberId: s.header.member_id, leader: String(s.leader), term: n('raftTerm'), raftIndex: n('raftIndex'), appliedIndex: n('raftAppliedIndex'), dbSize: n('dbSize') };
    } catch {
      return null;
    }
  }

  async leader(): Promise<number> {
    const all = await Promise.all([0, 1, 2].map((i) => (this.isRunning(i) ? this.status(i) : null)));
    return all.findIndex((s) => s !== null && s.leader === s.memberId && s.leader !== '0');
  }

  async waitForLeader(timeoutMs: number): Promise<number> {
    return waitFor('an etcd leader', timeoutMs, async () => {
      const leader = await this.leader();
      return leader >= 0 ? leader : undefined;
    }, 50);
  }

  async maxTerm(): Promise<number> {
    const all = await Promise.all([0, 1, 2].map((i) => (this.isRunning(i) ? this.status(i) : null)));
    return Math.max(0, ...all.map((s) => s?.term ?? 0));
  }

  /** The member's Prometheus metrics, as name{labels} -> value. */
  async metrics(i: number): Promise<Map<string, number>> {
    const r = await httpRequest(this.clientPort(i), 'GET', '/metrics', undefined, 5000);
    const out = new Map<string, number>();
    for (const line of r.body.split('\n')) {
      if (line.startsWith('#') || line === '') continue;
      const space = line.lastIndexOf(' ');
      out.set(line.slice(0, space), Number(line.slice(space + 1)));
    }
    return out;
  }

  async put(endpoint: number, key: string, value: string): Promise<Outcome> {
    return this.answer(() => this.post(endpoint, '/v3/kv/put', { key: b64(key), value: b64(value) }), false);
  }

  /** Linearizable: a range without `serializable` goes through etcd's ReadIndex. */
  async get(endpoint: number, key: string): Promise<Outcome> {
    return this.answer(() => this.post(endpoint, '/v3/kv/range', { key: b64(key) }), true);
  }

  private async answer(send: () => Promise<HttpAnswer>, isRead: boolean): Promise<Outcome> {
    let r: HttpAnswer;
    try {
      r = await send();
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
    if (r.status !== 200) return { ok: false, error: String(r.status) };
    if (!isRead) return { ok: true };
    const kvs = (JSON.parse(r.body) as { kvs?: { value?: string }[] }).kvs;
    const value = kvs?.[0]?.value;
    return value === undefined ? { ok: true } : { ok: true, value: unb64(value) };
  }
}
