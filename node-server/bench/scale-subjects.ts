/**
 * What the scale probe needs from each system beyond the KV API: commit and applied indexes, and
 * how a member whose data directory was wiped comes back. Ours simply restarts empty and the
 * leader sends it a snapshot. etcd refuses that (a member that lost its log panics on the
 * leader's commit index, by design), so it goes the documented way: member remove, member add,
 * start with --initial-cluster-state existing; the leader then sends it a snapshot too.
 */
import type { EtcdCluster } from './etcd';
import { httpRequest } from './http-load';
import type { LongestStepMs, OurCluster } from './ours';
import { waitFor } from './proc';
import type { Cluster } from './systems';

export interface ScaleSubject {
  cluster: Cluster;
  /** The leader's commit index (etcd: its raft index). */
  commitIndex(i: number): Promise<number | undefined>;
  appliedIndex(i: number): Promise<number | undefined>;
  /** Index of the member's latest snapshot, when the system says (ours: logBaseIndex). */
  snapshotIndex(i: number): Promise<number | undefined>;
  /** Kills member i, wipes its data and starts it again empty. */
  rejoinWiped(i: number): Promise<void>;
  /** Ours only: the longest event-loop stall of each member since the last call, and snapshot files written so far. */
  probe(): Promise<ProbeSummary | null>;
  /** Ours only: the longest synchronous steps member i reports since it started. */
  longestSteps(i: number): Promise<LongestStepMs | null>;
}

export interface ProbeSummary {
  stallMs: number[];
  /** The longest garbage-collection pause of each member since the last call. */
  gcPauseMs: number[];
  /** What kind of collection each of those pauses was (minor, major, incremental). */
  gcPauseKinds: string[];
  /** Each member's V8 heap (reserved, in use) and the memory its buffers hold outside it, now. */
  heapBytes: ({ total: number; used: number; outside: number } | null)[];
  /** The longest synchronous steps of each member since it started, as it reports them (null: not answering). */
  longestStepMs: (LongestStepMs | null)[];
  /** Snapshot files written by all members so far, and the time spent writing them. */
  snapshotFiles: number;
  snapshotFileSeconds: number;
}

/** Calls `ask` until etcd stops answering "unhealthy cluster" (other errors are thrown). */
function onceHealthy<T>(what: string, ask: () => Promise<T>): Promise<T> {
  return waitFor(what, 60_000, async () => {
    try {
      return await ask();
    } catch (err) {
      if (String(err).includes('unhealthy cluster')) return undefined;
      throw err;
    }
  }, 500);
}

export function ourSubject(c: OurCluster): ScaleSubject {
  return {
    cluster: c,
    commitIndex: async (i) => (await c.status(i))?.commitIndex,
    appliedIndex: async (i) => (await c.status(i))?.lastApplied,
    snapshotIndex: async (i) => (await c.status(i))?.logBaseIndex,
    longestSteps: async (i) => (await c.status(i))?.stats.longestStepMs ?? null,
    async rejoinWiped(i) {
      await c.kill(i, 'SIGKILL');
      c.wipe(i);
      c.start(i);
    },
    async probe() {
      const readings = await Promise.all([0, 1, 2].map((i) => (c.isRunning(i) ? c.probe(i) : null)));
      const statuses = await Promise.all([0, 1, 2].map((i) => (c.isRunning(i) ? c.status(i) : null)));
      return {
        longestStepMs: statuses.map((st) => st?.stats.longestStepMs ?? null),
        stallMs: readings.map((r) => r?.eventLoopDelay.maxMs ?? NaN),
        gcPauseMs: readings.map((r) => r?.gcPauseMaxMs ?? NaN),
        gcPauseKinds: readings.map((r) => r?.gcPauseMaxKind ?? ''),
        heapBytes: readings.map((r) => (r ? { total: r.memory.heapTotal, used: r.memory.heapUsed, outside: r.memory.external + r.memory.arrayBuffers } : null)),
        snapshotFiles: readings.reduce((a, r) => a + (r?.snapshotFiles.count ?? 0), 0),
        snapshotFileSeconds: readings.reduce((a, r) => a + (r?.snapshotFiles.ms ?? 0), 0) / 1000,
      };
    },
  };
}

export function etcdSubject(c: EtcdCluster): ScaleSubject {
  const call = async (i: number, route: string, body: unknown): Promise<Record<string, unknown>> => {
    const r = await httpRequest(c.clientPort(i), 'POST', route, JSON.stringify(body), 10_000);
    if (r.status !== 200) throw new Error(`etcd ${route}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as Record<string, unknown>;
  };
  return {
    cluster: c,
    commitIndex: async (i) => (await c.status(i))?.raftIndex,
    appliedIndex: async (i) => (await c.status(i))?.appliedIndex,
    snapshotIndex: async () => undefined,
    longestSteps: async () => null,
    async rejoinWiped(i) {
      const other = [0, 1, 2].find((j) => j !== i && c.isRunning(j))!;
      const self = await c.status(i);
      if (!self) throw new Error(`etcd member ${c.names[i]} does not answer`);
      await c.kill(i, 'SIGKILL');
      // etcd refuses a membership change until the members left have been connected for 5 s (a
      // restart just happened): ask again until it accepts. Member IDs are uint64: kept as the
      // strings the gateway gives.
      await onceHealthy('etcd member remove', () => call(other, '/v3/cluster/member/remove', { ID: self.memberId }));
      c.wipe(i);
      await onceHealthy('etcd member add', () => call(other, '/v3/cluster/member/add', { peerURLs: [c.peerUrl(i)] }));
      c.start(i, true);
    },
    probe: async () => null,
  };
}
