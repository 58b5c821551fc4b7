/**
 * `npm run bench:cluster`: starts a 3-node cluster (fsync on) on free local ports, then runs
 * closed-loop writes against the leader at 1, 16 and 64 concurrent clients for 10 s each (8-byte
 * keys, 256-byte values), then linearizable reads; prints a table and writes
 * node-server/bench/results.json and results.md.
 *
 * Knobs (environment): BENCH_SECONDS (default 10), BENCH_CLIENTS (default 1,16,64),
 * BENCH_SNAPSHOT_THRESHOLD (default 10000; see the note in results.md), BENCH_NODE_ARGS, BENCH_KEEP_DATA.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const clientCounts = (process.env.BENCH_CLIENTS ?? '1,16,64').split(',').map(Number);
const snapshotThreshold = process.env.BENCH_SNAPSHOT_THRESHOLD ?? '10000';
// Below Linux's ephemeral port range (32768 and up), and apart from the tests' ports (10000-28999).
const base = 30_000 + Math.floor(Math.random() * 150) * 10;
const ids = ['n1', 'n2', 'n3'];
/** Extra node flags for the cluster, e.g. BENCH_NODE_ARGS=--cpu-prof to profile the nodes. */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const kvPort = (i: number) => base + 1 + i;
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-bench-'));
const children: ChildProcess[] = [];

function startNodes(): void {
  ids.forEach((id, i) => {
    const peers = ids.map((_, j) => j).filter((j) => j !== i);
    const out = fs.openSync(path.join(dataDir, `${id}.log`), 'w');
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(root, 'node-server/src/main.ts')], {
      cwd: root,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        NODE_ID: id,
        KVSTORE_PORT: String(kvPort(i)),
        PEERS: peers.map((j) => `http://127.0.0.1:${kvPort(j) + 1000}`).join(','),
        PEER_IDS: peers.map((j) => ids[j]).join(','),
        RAFT_DATA_DIR: dataDir,
        RAFT_FSYNC: 'on',
        RAFT_SNAPSHOT_THRESHOLD: snapshotThreshold,
        LOG_FORMAT: 'json',
      },
    });
    children.push(child);
  });
}

function signalNodes(signal: NodeJS.Signals): void {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) continue;
    try {
      process.kill(child.pid, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM (a clean stop), then SIGKILL for any node still running after 5 s. */
async function stopNodes(): Promise<void> {
  signalNodes('SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null)) await new Promise((r) => setTimeout(r, 50));
  signalNodes('SIGKILL');
}
process.on('exit', () => signalNodes('SIGKILL'));
process.on('SIGINT', () => process.exit(130));

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function request(port: number, method: string, pathAndQuery: string, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathAndQuery, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Milliseconds from spawning the nodes until each one answers /health. */
async function startupTimes(spawnedAt: number): Promise<number[]> {
  return Promise.all(ids.map(async (_, i) => {
    while (Date.now() - spawnedAt < 30_000) {
      try {
        if ((await request(kvPort(i), 'GET', '/health')).status === 200) return Date.now() - spawnedAt;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`${ids[i]} did not serve within 30 s`);
  }));
}

async function findLeader(timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (let i = 0; i < ids.length; i++) {
      try {
        const r = await request(kvPort(i), 'GET', '/health');
        if ((JSON.parse(r.body) as { state: string }).state === 'leader') return i;
      } catch {
        // not up yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no leader within 30 s');
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

function clusterCpu(): number[] {
  return children.map((c) => cpuSeconds(c.pid!));
}

interface Row {
  workload: string;
  clients: number;
  ops: number;
  errors: number;
  opsPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  /** CPU milliseconds per operation: the leader, the two followers together, the load generator. */
  leaderCpuMsPerOp: number;
  followersCpuMsPerOp: number;
  clientCpuMsPerOp: number;
}

const value = 'v'.repeat(256);

let leaderIndex = 0;

async function run(workload: 'write' | 'read', clients: number, port: number): Promise<Row> {
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const client = async (c: number) => {
    for (let i = 0; performance.now() < end; i++) {
      // 8-byte keys: two digits of client number and six of a counter.
      const key = `${String(c).padStart(2, '0')}${String(i % 1_000_000).padStart(6, '0')}`.slice(0, 8);
      const start = performance.now();
      const r = workload === 'write'
        ? await request(port, 'PUT', '/set', JSON.stringify({ key, value }))
        : await request(port, 'GET', `/get?key=${key}`);
      if (r.status === 200 || (workload === 'read' && r.status === 404)) latencies.push(performance.now() - start);
      else errors++;
    }
  };
  const t0 = performance.now();
  const cpu0 = clusterCpu();
  const own0 = process.cpuUsage();
  await Promise.all(Array.from({ length: clients }, (_, c) => client(c)));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = clusterCpu().map((v, i) => v - cpu0[i]!);
  const own = process.cpuUsage(own0);
  const ops = Math.max(1, latencies.length);
  const leaderCpu = cpu[leaderIndex]!;
  const followersCpu = cpu.reduce((a, b) => a + b, 0) - leaderCpu;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return {
    workload, clients, ops: latencies.length, errors, opsPerSec: latencies.length / elapsed, p50: pct(0.5), p90: pct(0.9), p99: pct(0.99),
    leaderCpuMsPerOp: (leaderCpu * 1000) / ops, followersCpuMsPerOp: (followersCpu * 1000) / ops, clientCpuMsPerOp: (own.user + own.system) / 1000 / ops,
  };
}

function table(rows: Row[]): string {
  const lines = [
    '| workload | clients | ops/s | p50 ms | p90 ms | p99 ms | ok | errors | CPU ms/op: leader | followers | load generator |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.workload} | ${r.clients} | ${r.opsPerSec.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.ops} | ${r.errors} | ` +
      `${r.leaderCpuMsPerOp.toFixed(3)} | ${r.followersCpuMsPerOp.toFixed(3)} | ${r.clientCpuMsPerOp.toFixed(3)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const spawnedAt = Date.now();
  startNodes();
  const startup = await startupTimes(spawnedAt);
  process.stdout.write(`startup to serving: ${startup.map((ms, i) => `${ids[i]} ${ms} ms`).join(', ')}\n`);
  const leader = await findLeader(30_000);
  leaderIndex = leader;
  const port = kvPort(leader);
  process.stdout.write(`leader ${ids[leader]} on port ${port}; ${seconds} s per run; data and node logs in ${dataDir}\n`);
  const rows: Row[] = [];
  for (const clients of clientCounts) {
    const row = await run('write', clients, port);
    rows.push(row);
    process.stdout.write(`write x${clients}: ${row.opsPerSec.toFixed(0)}/s p50 ${row.p50.toFixed(2)} ms\n`);
  }
  const stats = JSON.parse((await request(port + 1000, 'GET', '/raft/status')).body).stats as Record<string, number>;
  process.stdout.write(`leader stats after the writes: ${JSON.stringify(stats)}\n`);
  for (const clients of [1, Math.max(...clientCounts)]) {
    const row = await run('read', clients, port);
    rows.push(row);
    process.stdout.write(`linearizable read x${clients}: ${row.opsPerSec.toFixed(0)}/s p50 ${row.p50.toFixed(2)} ms\n`);
  }
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${os.platform()} ${os.release()}`;
  const md = [
    '# Cluster benchmark',
    '',
    `Run ${new Date().toISOString()} on ${machine}.`,
    `3 nodes and the load generator on one machine, fsync on, ${seconds} s per run, closed loop against the leader,`,
    `8-byte keys, 256-byte values, RAFT_SNAPSHOT_THRESHOLD=${snapshotThreshold}. Reads are linearizable (ReadIndex) on the leader.`,
    `Load average at the start: ${loadAtStart} (other work on the machine slows every number here).`,
    `Startup to serving /health (3 nodes started at once): ${startup.map((ms, i) => `${ids[i]} ${ms} ms`).join(', ')}.`,
    `Leader batching after the write runs: ${JSON.stringify(stats)}.`,
    'CPU ms/op is CPU time (user + system) per successful operation; it does not depend on how busy the machine is.',
    '',
    table(rows),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(here, 'results.json'), JSON.stringify({ at: new Date().toISOString(), machine, loadAtStart, seconds, snapshotThreshold, startupMs: startup, leaderStats: stats, rows }, null, 2) + '\n');
  fs.writeFileSync(path.join(here, 'results.md'), md);
  process.stdout.write(`\n${table(rows)}\n\nwritten to node-server/bench/results.md and results.json\n`);
  await stopNodes();
  if (process.env.BENCH_KEEP_DATA) process.stdout.write(`node logs and data kept in ${dataDir}\n`);
  else fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
