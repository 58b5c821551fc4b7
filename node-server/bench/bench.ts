/**
 * `npm run bench:cluster`: our 3-node cluster at its defaults against a 3-member etcd at its
 * defaults, side by side in one run on this machine: closed-loop writes and linearizable reads at
 * 1, 16 and 64 clients, 8-byte keys and 256-byte values, the same load generator (http-load.ts)
 * against our KV API and etcd's v3 JSON gateway, each system's leader as the endpoint. Each
 * workload runs on our cluster and then on etcd, back to back, so a ratio compares the two under
 * the same background load. Under the table: what limits each number (CPU per operation per
 * process, durable writes and batching, event-loop stalls).
 *
 * Before the rows, each system takes BENCH_WARMUP_SECONDS of writes at 16 clients, not measured:
 * a Node.js process compiles its hot code during its first seconds under load (V8's JIT), and a
 * first row run on code still being compiled measures the start, not the running system. etcd,
 * compiled ahead of time, gets the same warm-up.
 *
 * Knobs (environment): BENCH_SECONDS (default 10 per row), BENCH_CLIENTS (default 1,16,64),
 * BENCH_OPS (default write,read), BENCH_WARMUP_SECONDS (default 3; 0 for none), BENCH_KEEP_DATA=1
 * keeps the data directories and logs. Results: results.md / results.json.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ProfileShares } from './etcd-profile';
import { profileEtcd } from './etcd-profile';
import type { KvTarget } from './http-load';
import { Latencies, closedLoop, key8, since, value256 } from './http-load';
import type { Counters, Cluster, Systems } from './systems';
import { diff, etcdCounters, memberCpu, ourCounters, startSystems } from './systems';
import { markdownTable, provenance, runHeader, saveSection } from './results';

const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const clientCounts = (process.env.BENCH_CLIENTS ?? '1,16,64').split(',').map(Number);
const warmupSeconds = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const ops = (process.env.BENCH_OPS ?? 'write,read').split(',') as Op[];
if (!ops.every((op) => op === 'write' || op === 'read')) throw new Error(`BENCH_OPS must list write and/or read, not ${process.env.BENCH_OPS}`);
const warmupClients = 16;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

type Op = 'write' | 'read';

interface Measurement {
  system: string;
  op: Op;
  clients: number;
  ok: number;
  errors: number;
  /** Failed operations by what went wrong (an HTTP status or a transport error code). */
  errorKinds: Record<string, number>;
  opsPerSec: number;
  p50: number;
  p99: number;
  seconds: number;
  /** CPU ms per successful operation: the leader, the two followers, the load generator. */
  cpuMsPerOp: { leader: number; followers: [number, number]; loadGenerator: number };
  /** Cores busy on average (all three members and the load generator). */
  coresBusy: number;
  /** Cores the other system's members used meanwhile, idle beside this row (their leader heartbeats). */
  idleNeighbourCores: number;
  /** Counter differences over the run, by `<member>.<name>`; member 0 is the leader here. */
  counters: Counters;
  /** etcd: where its leader's CPU went during the row (its own profiler). */
  profile: ProfileShares | null;
}

/** Each client writes its own key sequence; reads go over the keys already written. */
const written: number[] = Array.from({ length: 256 }, () => 0);
const keyOf = (client: number, n: number): string => key8(client * 2 ** 20 + n);

/** Writes for `secs` at warmupClients clients, on keys no row uses (clients 240 and up), unmeasured. */
async function warmUp(cluster: Cluster & KvTarget, secs: number): Promise<void> {
  const leader = await cluster.waitForLeader(30_000);
  const end = performance.now() + secs * 1000;
  const next = Array.from({ length: warmupClients }, () => 0);
  await closedLoop(warmupClients, async (c) => {
    if (performance.now() >= end) return false;
    const key = keyOf(240 + c, next[c]!++);
    await cluster.put(leader, key, value256(key));
    return true;
  });
}

type Profiler = (leader: number, seconds: number) => Promise<ProfileShares>;

async function measure(cluster: Cluster & KvTarget, neighbour: Cluster, counters: () => Promise<Counters>, op: Op, clients: number, profiler?: Profiler): Promise<Measurement> {
  const leader = await cluster.waitForLeader(30_000);
  const order = [leader, ...[0, 1, 2].filter((i) => i !== leader)];
  const latencies = new Latencies();
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  const counters0 = await counters();
  const cpu0 = memberCpu(cluster);
  const idle0 = memberCpu(neighbour);
  const own0 = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  // The profile covers the row but its last second (it must be answered before the row ends).
  const profile = profiler ? profiler(leader, Math.max(1, Math.floor(seconds) - 1)).catch(() => null) : Promise.resolve(null);
  await closedLoop(clients, async (c) => {
    if (performance.now() >= end) return false;
    const n = op === 'write' ? written[c]!++ : Math.floor(Math.random() * Math.max(1, written[c]!));
    const key = keyOf(c, n);
    const t0 = performance.now();
    const outcome = op === 'write' ? await cluster.put(leader, key, value256(key)) : await cluster.get(leader, key);
    if (outcome.ok) latencies.add(since(t0));
    else {
      errors++;
      const kind = outcome.error ?? 'unknown';
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
    }
    return true;
  });
  const elapsed = since(start) / 1000;
  const own = process.cpuUsage(own0);
  const cpu = memberCpu(cluster).map((v, i) => v - cpu0[i]!);
  const idleCpu = memberCpu(neighbour).reduce((sum, v, i) => sum + (v - idle0[i]!), 0);
  const delta = diff(await counters(), counters0);
  // Renumber the counters so that member 0 is the leader, 1 and 2 the followers.
  const renumbered: Counters = {};
  for (const [k, v] of Object.entries(delta)) {
    const dot = k.indexOf('.');
    renumbered[`${order.indexOf(Number(k.slice(0, dot)))}${k.slice(dot)}`] = v;
  }
  const ok = Math.max(1, latencies.length);
  const [p50, p99] = latencies.percentiles(0.5, 0.99);
  const ownSeconds = (own.user + own.system) / 1e6;
  return {
    system: cluster.system, op, clients, ok: latencies.length, errors, errorKinds, opsPerSec: latencies.length / elapsed, p50: p50!, p99: p99!, seconds: elapsed,
    cpuMsPerOp: {
      leader: (cpu[order[0]!]! * 1000) / ok,
      followers: [(cpu[order[1]!]! * 1000) / ok, (cpu[order[2]!]! * 1000) / ok],
      loadGenerator: (ownSeconds * 1000) / ok,
    },
    coresBusy: (cpu.reduce((a, b) => a + b, 0) + ownSeconds) / elapsed,
    idleNeighbourCores: idleCpu / elapsed,
    counters: renumbered,
    profile: await profile,
  };
}

const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** "0", or the count with its kinds: "51 (504: 50, 409: 1)". */
function errorText(m: Measurement): string {
  if (m.errors === 0) return '0';
  return `${m.errors} (${Object.entries(m.errorKinds).map(([k, n]) => `${k}: ${n}`).join(', ')})`;
}

function mainTable(pairs: [Measurement, Measurement][]): string {
  const rows = pairs.map(([o, e]) => [
    o.op === 'write' ? 'write' : 'linearizable read', String(o.clients),
    f(o.opsPerSec, 0), f(e.opsPerSec, 0), `**${f(o.opsPerSec / e.opsPerSec)}x**`,
    f(o.p50), f(e.p50), f(o.p50 / e.p50), f(o.p99), f(e.p99), f(o.p99 / e.p99),
    `${errorText(o)} / ${errorText(e)}`,
  ]);
  return markdownTable(
    ['workload', 'clients', 'ours ops/s', 'etcd ops/s', 'ours/etcd', 'ours p50 ms', 'etcd p50 ms', 'p50 ours/etcd', 'ours p99 ms', 'etcd p99 ms', 'p99 ours/etcd', 'errors: ours / etcd'],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'], rows);
}

/** The share of a profile that the JSON gateway adds (HTTP/JSON serving and its loopback gRPC call). */
function gatewayShare(p: ProfileShares): number {
  return Object.entries(p.shares).filter(([k]) => k.includes('gateway')).reduce((a, [, v]) => a + v, 0);
}

/** The whole breakdown of etcd's leader CPU for one row. */
function profileLine(m: Measurement): string {
  if (!m.profile) return `etcd ${m.op} x${m.clients}: no profile`;
  const parts = Object.entries(m.profile.shares).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f(100 * v, 0)}%`);
  return `etcd leader, ${m.op} x${m.clients} (${f(m.profile.cpuSeconds, 1)} CPU s profiled): ${parts.join(', ')}.`;
}

/** What limits each row: CPU per operation per process, cores busy, durable writes and batching. */
function limitsTable(all: Measurement[]): string {
  const rows = all.map((m) => {
    const c = m.counters;
    const ops = Math.max(1, m.ok);
    let durable: string, batching: string, stall: string;
    if (m.system === 'etcd') {
      const fsyncs = c['0.walFsyncs'] ?? NaN;
      durable = `${f(fsyncs / ops, 3)} fsync/op, ${f(((c['0.walFsyncSeconds'] ?? NaN) * 1000) / fsyncs)} ms each; followers ${f(((c['1.walFsyncSeconds'] ?? NaN) * 1000) / (c['1.walFsyncs'] ?? NaN))} ms`;
      batching = `${f((c['0.proposalsCommitted'] ?? NaN) / fsyncs, 1)} entries/fsync; ${f((c['0.backendCommits'] ?? NaN) / ops, 3)} bbolt commits/op`;
      const p = m.profile;
      stall = p ? `${f(100 * gatewayShare(p), 0)}% of the leader's CPU in the JSON gateway` : '-';
    } else {
      const writes = c['0.walWrites.count'] ?? NaN;
      durable = `${f(writes / ops, 3)} fsync/op, ${f((c['0.walWrites.ms'] ?? NaN) / writes)} ms each; followers ${f((c['1.walWrites.ms'] ?? NaN) / (c['1.walWrites.count'] ?? NaN))} ms`;
      batching = `${f((c['0.entriesPersisted'] ?? NaN) / (c['0.persists'] ?? NaN), 1)} entries/fsync, ${f((c['0.entriesSent'] ?? NaN) / (c['0.messagesSent'] ?? NaN), 1)} entries/AppendEntries; ` +
        `${c['0.snapshotFiles.count'] ?? 0} snapshots (${f(c['0.snapshotFiles.ms'] ?? NaN, 0)} ms writing)`;
      stall = [0, 1, 2].map((i) => f(c[`${i}.stallMaxMs`] ?? NaN, 0)).join(' / ');
    }
    return [
      m.system, m.op, String(m.clients), f(m.cpuMsPerOp.leader, 3), `${f(m.cpuMsPerOp.followers[0], 3)} / ${f(m.cpuMsPerOp.followers[1], 3)}`, f(m.cpuMsPerOp.loadGenerator, 3),
      f(m.coresBusy, 2), f(m.idleNeighbourCores, 3), durable, batching, stall,
    ];
  });
  return markdownTable(
    ['system', 'workload', 'clients', 'CPU ms/op leader', 'followers', 'load gen', `cores busy (of ${os.cpus().length})`, 'other system, idle meanwhile: cores', 'durable writes (leader)', 'batching (leader)', 'ours: longest event-loop stall ms (L / F / F); etcd: its profile'],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l', 'r'], rows);
}

async function main(): Promise<void> {
  const header = runHeader();
  say(`bench:cluster on ${header.machine}, commit ${header.commit}, load average ${header.loadAtStart}`);
  const systems: Systems = await startSystems(say, { etcdProfiling: true });
  const { ours, etcd } = systems;
  try {
    ours.startAll();
    etcd.startAll();
    const [ol, el] = await Promise.all([ours.waitForLeader(60_000), etcd.waitForLeader(60_000)]);
    say(`raft-kv leader ${ours.ids[ol]}, etcd ${systems.etcdVersion} leader ${etcd.names[el]}; ${seconds} s per row, each row on raft-kv then on etcd`);
    if (warmupSeconds > 0) {
      say(`warm-up: ${warmupSeconds} s of writes at ${warmupClients} clients on each system, not measured`);
      await warmUp(ours, warmupSeconds);
      await warmUp(etcd, warmupSeconds);
    }
    const pairs: [Measurement, Measurement][] = [];
    const workloads: [Op, number][] = ops.flatMap((op) => clientCounts.map((n): [Op, number] => [op, n]));
    for (const [op, clients] of workloads) {
      const saved = [...written];
      const o = await measure(ours, etcd, () => ourCounters(ours), op, clients);
      // etcd writes the same keys (and reads the same ones) as ours did.
      const oursWrote = [...written];
      if (op === 'write') written.splice(0, written.length, ...saved);
      const e = await measure(etcd, ours, () => etcdCounters(etcd), op, clients, (leader, s) => profileEtcd(etcd.clientPort(leader), s));
      // Reads then go over keys that both systems hold.
      if (op === 'write') written.forEach((n, c) => (written[c] = Math.min(n, oursWrote[c]!)));
      pairs.push([o, e]);
      say(`${op} x${clients}: raft-kv ${f(o.opsPerSec, 0)}/s p50 ${f(o.p50)} ms | etcd ${f(e.opsPerSec, 0)}/s p50 ${f(e.p50)} ms | ratio ${f(o.opsPerSec / e.opsPerSec)}x`);
    }
    const table = mainTable(pairs);
    const limits = limitsTable(pairs.flat());
    const md = [
      '## Side by side with etcd (`npm run bench:cluster`)',
      '',
      ...provenance(header),
      `raft-kv: 3 nodes at the defaults (no RAFT_*/KV_*/LOG_* variables set: fsync on, a snapshot once the log holds 3% of the data and at least 8 MiB, most of them delta runs, access log on). etcd ${systems.etcdVersion}: 3 members at etcd's defaults (fsync on, --snapshot-count 100000), plus --enable-pprof (its profiler's HTTP handlers, used for the breakdown below; sampling costs etcd about 1% while a profile runs).`,
      `One load generator for both (node-server/bench/http-load.ts): closed-loop HTTP/1.1 keep-alive clients, ${seconds} s per row, each system's leader as the endpoint; ours through PUT /set and GET /get, etcd through its v3 JSON gateway (POST /v3/kv/put, /v3/kv/range, linearizable). 8-byte keys, 256-byte values; etcd gets the same keys, base64-encoded as its gateway requires. ${warmupSeconds > 0 ? `Before the first row each system took ${warmupSeconds} s of writes at ${warmupClients} clients, not measured (V8 compiles a Node.js process's hot code in its first seconds under load; etcd gets the same).` : 'No warm-up before the first row.'}`,
      'Each row ran on raft-kv, then at once on etcd. The load generator runs on the same machine as the members and competes with them for the same cores.',
      '',
      table,
      '',
      '### What limits each number',
      '',
      'CPU ms/op: CPU time (user + system, from /proc/<pid>/stat) per successful operation, per process. "cores busy": all four processes together, in cores, averaged over the row; when it reaches the core count the row is CPU-bound. "Other system, idle meanwhile": the cores the other cluster\'s three members used during the row, idle beside it (both clusters stay up for the whole run); they are taken from the row\'s system. Durable writes: ours from the probe (each WAL write is one O_DSYNC write, i.e. a data sync), etcd from `etcd_disk_wal_fsync_duration_seconds`; entries per fsync: ours from /raft/status stats, etcd from proposals committed per WAL fsync. Stalls: the longest time our node\'s event loop could not run (perf_hooks histogram), in the row.',
      '',
      limits,
      '',
      'Where etcd\'s leader spends its CPU (its own profiler, `--enable-pprof`, 100 samples/s, over each row but its last second; stacks sorted into categories by node-server/bench/etcd-profile.ts). The first two categories are what the JSON gateway adds; a native gRPC client would not make etcd pay them:',
      '',
      ...pairs.map(([, e]) => `- ${profileLine(e)}`),
      '',
    ].join('\n');
    saveSection('compare', { ...header, markdown: md, data: { seconds, clientCounts, etcdVersion: systems.etcdVersion, pairs } });
    say(`\n${table}\n\n${limits}\n\nwritten to node-server/bench/results.md and results.json`);
  } finally {
    await systems.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cluster failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
