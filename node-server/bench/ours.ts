/**
 * Our 3-node cluster as a user gets it: `node --import tsx node-server/src/main.ts` per node with
 * only the variables that say who is who (ids, ports, peers, data directory). Every other RAFT_*,
 * KV_* and LOG_* variable is removed from the environment, so the nodes run at their defaults
 * whatever the shell has set. Each node also loads probe.ts (counters only) and writes its log to
 * a file beside its data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpAnswer, KvTarget, Outcome } from './http-load';
import { describeError, httpRequest } from './http-load';
import type { ProbeReading } from './probe';
import { waitFor } from './proc';
import { nodeLauncher } from '../src/supervisor/node-processes';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const probeScript = path.join(here, 'probe.ts');
/** Extra Node.js flags for the nodes, e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' for a CPU profile of each. */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Variables that would change a node's behaviour; the benchmark measures the defaults. */
const tuningPrefixes = /^(RAFT_|KV_|LOG_|NODE_ID$|PEERS$|PEER_|KVSTORE_PORT$|PORT$|BIND_ADDRESS$|ADVERTISE_HOST$)/;

export interface OurStatus {
  state: string;
  term: number;
  commitIndex: number;
  lastApplied: number;
  logBaseIndex: number;
  stats: { readies: number; persists: number; entriesPersisted: number; messagesSent: number; entriesSent: number; applied: number };
}

export class OurCluster implements KvTarget {
  readonly system = 'raft-kv';
  readonly endpoints = 3;
  readonly ids = ['n1', 'n2', 'n3'];
  private readonly children: (ChildProcess | null)[] = [null, null, null];
  private readonly exits: Promise<void>[] = [Promise.resolve(), Promise.resolve(), Promise.resolve()];

  /** Ports: KV base+i, Raft base+1000+i, probe base+2000+i. */
  constructor(readonly dataDir: string, private readonly portBase: number) {}

  kvPort(i: number): number {
    return this.portBase + i;
  }

  raftPort(i: number): number {
    return this.portBase + 1000 + i;
  }

  nodeDir(i: number): string {
    return path.join(this.dataDir, this.ids[i]!);
  }

  pid(i: number): number {
    const pid = this.children[i]?.pid;
    if (pid === undefined) throw new Error(`${this.ids[i]} is not running`);
    return pid;
  }

  isRunning(i: number): boolean {
    return this.children[i] !== null;
  }

  start(i: number): void {
    if (this.children[i]) throw new Error(`${this.ids[i]} already runs`);
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !tuningPrefixes.test(k)));
    const peers = [0, 1, 2].filter((j) => j !== i);
    Object.assign(env, {
      NODE_ID: this.ids[i],
      KVSTORE_PORT: String(this.kvPort(i)),
      PEERS: peers.map((j) => `http://127.0.0.1:${this.raftPort(j)}`).join(','),
      PEER_IDS: peers.map((j) => this.ids[j]).join(','),
      RAFT_DATA_DIR: this.dataDir,
      BENCH_PROBE_PORT: String(this.portBase + 2000 + i),
    });
    const log = fs.openSync(path.join(this.dataDir, `${this.ids[i]}.log`), 'a');
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', '--import', probeScript, nodeLauncher], { cwd: root, env, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.children[i] = child;
    this.exits[i] = new Promise((resolve) => child.once('exit', () => {
      this.children[i] = null;
      resolve();
    }));
  }

  startAll(): void {
    for (let i = 0; i < 3; i++) this.start(i);
  }

  /** Sends `signal` to the node (by pid) and waits until it has exited. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children[i];
    if (!child?.pid) return;
    try {
      process.kill(child.pid, signal);
    } catch {
      // already exiting
    }
    await this.exits[i];
  }

  /** SIGTERM, then SIGKILL for a node still running after 5 s. */
  async stopAll(): Promise<void> {
    await Promise.all([0, 1, 2].map(async (i) => {
      const stopped = this.kill(i, 'SIGTERM');
      const timer = setTimeout(() => void this.kill(i, 'SIGKILL'), 5000);
      await stopped;
      clearTimeout(timer);
    }));
  }

  /** SIGKILL to every running node, synchronously (for process exit). */
  killNow(): void {
    for (const child of this.children) {
      if (!child?.pid) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  wipe(i: number): void {
    fs.rmSync(this.nodeDir(i), { recursive: true, force: true });
  }

  async status(i: number): Promise<OurStatus | null> {
    try {
      const r = await httpRequest(this.raftPort(i), 'GET', '/raft/status', undefined, 2000);
      return r.status === 200 ? (JSON.parse(r.body) as OurStatus) : null;
    } catch {
      return null;
    }
  }

  async probe(i: number): Promise<ProbeReading | null> {
    try {
      const r = await httpRequest(this.portBase + 2000 + i, 'GET', '/', undefined, 2000);
      return JSON.parse(r.body) as ProbeReading;
    } catch {
      return null;
    }
  }

  /** The index of the node that says it leads in the highest term, or -1. */
  async leader(): Promise<number> {
    const all = await Promise.all([0, 1, 2].map((i) => (this.isRunning(i) ? this.status(i) : null)));
    let best = -1;
    all.forEach((s, i) => {
      if (s?.state === 'leader' && (best < 0 || s.term > all[best]!.term)) best = i;
    });
    return best;
  }

  async waitForLeader(timeoutMs: number): Promise<number> {
    return waitFor('a raft-kv leader', timeoutMs, async () => {
      const leader = await this.leader();
      return leader >= 0 ? leader : undefined;
    }, 50);
  }

  /** The highest term any running node reports (elections are term changes). */
  async maxTerm(): Promise<number> {
    const all = await Promise.all([0, 1, 2].map((i) => (this.isRunning(i) ? this.status(i) : null)));
    return Math.max(0, ...all.map((s) => s?.term ?? 0));
  }

  async put(endpoint: number, key: string, value: string): Promise<Outcome> {
    return this.answer(() => httpRequest(this.kvPort(endpoint), 'PUT', '/set', JSON.stringify({ key, value })), false);
  }

  async get(endpoint: number, key: string): Promise<Outcome> {
    return this.answer(() => httpRequest(this.kvPort(endpoint), 'GET', `/get?key=${encodeURIComponent(key)}`), true);
  }

  private async answer(send: () => Promise<HttpAnswer>, isRead: boolean): Promise<Outcome> {
    let r: HttpAnswer;
    try {
      r = await send();
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
    if (r.status === 200) return isRead ? { ok: true, value: (JSON.parse(r.body) as { value: string }).value } : { ok: true };
    if (r.status === 404 && isRead) return { ok: true };
    const outcome: Outcome = { ok: false, error: String(r.status) };
    if (r.status === 409) {
      const hint = (JSON.parse(r.body) as { leader?: string }).leader;
      const port = hint ? Number(new URL(hint).port) : NaN;
      const index = port - this.portBase;
      if (index >= 0 && index < 3) outcome.leaderEndpoint = index;
    }
    return outcome;
  }
}

