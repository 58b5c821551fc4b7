/**
 * The two clusters the benchmarks compare, behind one interface: start them side by side on free
 * ports in one temp directory, find the leader, and read the counters that say what limits a
 * number (CPU per process from /proc, durable writes and batching from each system's own
 * counters), so the benchmark code is the same for both.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EtcdCluster, ensureEtcd, etcdVersion } from './etcd';
import type { KvTarget } from './http-load';
import { OurCluster } from './ours';
import { cpuSeconds, freePortBase } from './proc';

export interface Cluster extends KvTarget {
  readonly dataDir: string;
  pid(i: number): number;
  isRunning(i: number): boolean;
  nodeDir(i: number): string;
  start(i: number): void;
  startAll(): void;
  kill(i: number, signal?: NodeJS.Signals): Promise<void>;
  stopAll(): Promise<void>;
  killNow(): void;
  wipe(i: number): void;
  leader(): Promise<number>;
  waitForLeader(timeoutMs: number): Promise<number>;
  maxTerm(): Promise<number>;
}

/** Flat counters of one system at one moment: `<node>.<name>` -> value (cumulative where it can). */
export type Counters = Record<string, number>;

export interface Systems {
  ours: OurCluster;
  etcd: EtcdCluster;
  etcdVersion: string;
  /** Stops both clusters and removes the data unless BENCH_KEEP_DATA is set. */
  close(): Promise<void>;
}

export async function startSystems(say: (line: string) => void, options: { etcdProfiling?: boolean } = {}): Promise<Systems> {
  const etcdBin = ensureEtcd(say);
  const version = etcdVersion(etcdBin);
  const base = await freePortBase([0, 1, 2, 1000, 1001, 1002, 2000, 2001, 2002, 10, 11, 12, 20, 21, 22]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-bench-'));
  const ourDir = path.join(dataDir, 'raft-kv');
  const etcdDir = path.join(dataDir, 'etcd');
  fs.mkdirSync(ourDir);
  fs.mkdirSync(etcdDir);
  const ours = new OurCluster(ourDir, base);
  const etcd = new EtcdCluster(etcdBin, etcdDir, base + 10, options.etcdProfiling ?? false);
  const killAll = (): void => {
    ours.killNow();
    etcd.killNow();
  };
  process.on('exit', killAll);
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  return {
    ours,
    etcd,
    etcdVersion: version,
    async close() {
      await Promise.all([ours.stopAll(), etcd.stopAll()]);
      process.off('exit', killAll);
      if (process.env.BENCH_KEEP_DATA) say(`data and logs kept in ${dataDir}`);
      else fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds of each member process (NaN for one not running). */
export function memberCpu(c: Cluster): number[] {
  return [0, 1, 2].map((i) => (c.isRunning(i) ? cpuSeconds(c.pid(i)) : NaN));
}

/** Our counters: /raft/status stats and the probe's, per node. */
export async function ourCounters(c: OurCluster): Promise<Counters> {
  const out: Counters = {};
  await Promise.all([0, 1, 2].map(async (i) => {
    const [status, probe] = await Promise.all([c.status(i), c.probe(i)]);
    if (status) {
      const { longestStepMs, ...counters } = status.stats;
      for (const [k, v] of Object.entries(counters)) out[`${i}.${k}`] = v;
      for (const [k, v] of Object.entries(longestStepMs)) out[`${i}.longestStepMs.${k}`] = v;
    }
    if (probe) {
      for (const name of ['walWrites', 'fsyncs', 'snapshotFiles'] as const) {
        out[`${i}.${name}.count`] = probe[name].count;
        out[`${i}.${name}.ms`] = probe[name].ms;
        out[`${i}.${name}.bytes`] = probe[name].bytes;
        out[`${i}.${name}.maxMs`] = probe[name].maxMs;
      }
      // The delay histogram restarts at each reading: this is the worst stall since the last one.
      out[`${i}.stallMaxMs`] = probe.eventLoopDelay.maxMs;
      out[`${i}.heapUsed`] = probe.heapUsedBytes;
    }
  }));
  return out;
}

const etcdMetricNames: Record<string, string> = {
  'etcd_disk_wal_fsync_duration_seconds_count': 'walFsyncs',
  'etcd_disk_wal_fsync_duration_seconds_sum': 'walFsyncSeconds',
  'etcd_disk_backend_commit_duration_seconds_count': 'backendCommits',
  'etcd_disk_backend_commit_duration_seconds_sum': 'backendCommitSeconds',
  'etcd_server_proposals_committed_total': 'proposalsCommitted',
  'etcd_server_leader_changes_seen_total': 'leaderChanges',
  'etcd_network_peer_sent_bytes_total': 'peerSentBytes',
};

/** etcd's own Prometheus counters, per member (peer bytes summed over peers). */
export async function etcdCounters(c: EtcdCluster): Promise<Counters> {
  const out: Counters = {};
  await Promise.all([0, 1, 2].map(async (i) => {
    if (!c.isRunning(i)) return;
    let metrics: Map<string, number>;
    try {
      metrics = await c.metrics(i);
    } catch {
      return;
    }
    for (const [line, value] of metrics) {
      const name = etcdMetricNames[line.replace(/\{.*\}$/, '')];
      if (name) out[`${i}.${name}`] = (out[`${i}.${name}`] ?? 0) + value;
    }
  }));
  return out;
}

export function diff(after: Counters, before: Counters): Counters {
  const out: Counters = {};
  for (const [k, v] of Object.entries(after)) out[k] = k.endsWith('maxMs') || k.endsWith('stallMaxMs') || k.endsWith('heapUsed') ? v : v - (before[k] ?? 0);
  return out;
}
