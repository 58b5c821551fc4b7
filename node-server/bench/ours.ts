/**
 * Our 3-node cluster as a user gets it: `node node-server/bin/raft-node.mjs` (what `npm run node`
 * runs) per node with only the variables that say who is who (ids, ports, peers, data directory).
 * Every other RAFT_*, KV_* and LOG_* variable is removed from the environment, so the nodes run at
 * their defaults whatever the shell has set. Each node also loads the probe (counters only) and
 * writes its log to a file beside its data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import type { HttpAnswer, KvTarget, Outcome } from './http-load';
import { describeError, httpRequest } from './http-load';
import type { ProbeReading } from './probe';
import { ThreeMembers } from './members';
import { waitFor } from './proc';
import { nodeLauncher } from '../src/supervisor/node-processes';
import type { StepFigures } from '../src/host/longest-steps';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const probeSource = path.join(here, 'probe.ts');
const probeBundlePath = path.join(root, 'node-server/dist/bench-probe.mjs');

/**
 * The probe compiled to one JavaScript file, built when missing or older than probe.ts. A node
 * loading probe.ts itself would need `--import tsx`, whose module hooks add about 0.18 s of CPU to
 * every start (0.41-0.44 s against 0.23-0.25 s until /health answers, measured here), and the
 * restart time counts. Written to a temporary file and renamed, as the node's own bundle is.
 */
function probeBundle(): string {
  const fresh = fs.existsSync(probeBundlePath) && fs.statSync(probeBundlePath).mtimeMs >= fs.statSync(probeSource).mtimeMs;
  if (fresh) return probeBundlePath;
  const tmp = `${probeBundlePath}.${process.pid}.tmp`;
  fs.mkdirSync(path.dirname(probeBundlePath), { recursive: true });
  buildSync({ entryPoints: [probeSource], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: tmp, logLevel: 'warning' });
  fs.renameSync(tmp, probeBundlePath);
  return probeBundlePath;
}
/** Extra Node.js flags for the nodes, e.g. BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' for a CPU profile of each. */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** Variables that would change a node's behaviour; the benchmark measures the defaults. */
const tuningPrefixes = /^(RAFT_|KV_|LOG_|NODE_ID$|PEERS$|PEER_|KVSTORE_PORT$|PORT$|BIND_ADDRESS$|ADVERTISE_HOST$)/;

/** A node's longest synchronous steps, as /raft/status reports them (node-server/src/host/longest-steps.ts). */
export type LongestStepMs = StepFigures;

export interface OurStatus {
  state: string;
  term: number;
  commitIndex: number;
  lastApplied: number;
  logBaseIndex: number;
  stats: {
    readies: number; persists: number; entriesPersisted: number; messagesSent: number; entriesSent: number; applied: number;
    /** The longest synchronous step of each kind since the node started (node-server/src/host/longest-steps.ts). */
    longestStepMs: LongestStepMs;
  };
}

export class OurCluster extends ThreeMembers implements KvTarget {
  readonly system = 'raft-kv';
  readonly endpoints = 3;

  /** Ports: KV base+i, Raft base+1000+i, probe base+2000+i. */
  constructor(dataDir: string, private readonly portBase: number) {
    super(['n1', 'n2', 'n3'], dataDir);
  }

  get ids(): readonly string[] {
    return this.names;
  }

  kvPort(i: number): number {
    return this.portBase + i;
  }

  raftPort(i: number): number {
    return this.portBase + 1000 + i;
  }

  start(i: number): void {
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
    this.launch(i, process.execPath, [...nodeArgs, '--import', probeBundle(), nodeLauncher], { cwd: root, env });
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

