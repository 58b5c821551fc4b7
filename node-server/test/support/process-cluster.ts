/**
 * ClusterDriver over real node processes (the "process" world of the shared scenarios). Each node
 * runs `node --import tsx node-server/src/main.ts` with its environment; ports are chosen here,
 * data lives in a fresh temp dir, kill is SIGKILL by pid, `[apply] index=N` lines are parsed from
 * stdout. Every process started is recorded so a suite can check that none is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApiResponse, NodeId } from '@raft-kv/core';
import type { ClusterDriver, ClusterOptions, NodeStatus } from '@raft-kv/core/scenarios';
import { downStatus, nodeStatusOf } from './node-status';
import { limits } from '@raft-kv/core/scenarios';
import { afterAll, afterEach, expect } from 'vitest';
import { nodeLauncher } from '../../src/supervisor/node-processes';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Every child ever started by any cluster in this process, for the leak check. */
export const startedProcesses = new Set<ChildProcess>();

export function liveProcesses(): ChildProcess[] {
  return [...startedProcesses].filter((c) => c.exitCode === null && c.signalCode === null);
}

/** Processes a test did not spawn itself (a supervisor's nodes), for the same leak check. */
export const startedPids = new Set<number>();

/** Whether `pid` is a running process (a zombie, exited but not yet reaped, counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Every process started by tests in this file that is still running: children and recorded pids. */
export function leakedPids(): number[] {
  return [...liveProcesses().map((c) => c.pid!), ...[...startedPids].filter(pidAlive)];
}

interface ProcessNode {
  id: NodeId;
  kvPort: number;
  raftPort: number;
  /** Started with RAFT_JOIN, after the cluster (addNode). */
  joined: boolean;
  child: ChildProcess | null;
  applied: number[];
  logFile: string;
  exited: Promise<void>;
}

export interface ProcessClusterOptions extends ClusterOptions {
  /** Extra environment for every node (timing knobs, token, ...). */
  env?: Record<string, string>;
  /** How many nodes addNode may start later (their ports are checked free with the others'). */
  spareNodes?: number;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A base such that base+1..base+n (KV) and base+1001..base+1000+n (Raft) are all free (and base
 * itself with `alsoBase`: a supervisor's port). Ports stay
 * below Linux's ephemeral range (32768 and up), where a client connection's local port could take
 * a port between this check and the node's listen.
 */
export async function choosePortBase(n: number, alsoBase = false): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 10_000 + Math.floor(Math.random() * 1_800) * 10;
    const ports = Array.from({ length: n }, (_, i) => [base + 1 + i, base + 1001 + i]).flat();
    if (alsoBase) ports.push(base);
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free port range found');
}

export class ProcessCluster implements ClusterDriver {
  readonly dataDir: string;
  private readonly nodes = new Map<NodeId, ProcessNode>();

  private constructor(private readonly options: ProcessClusterOptions, private readonly base: number) {
    this.dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-test-'));
    for (let i = 0; i < options.nodes; i++) this.addSpec(false);
  }

  /** Every node started so far, the ones addNode started included (members or not). */
  get nodeIds(): readonly NodeId[] {
    return [...this.nodes.keys()];
  }

  private addSpec(joined: boolean): ProcessNode {
    const i = this.nodes.size;
    const id = `n${i + 1}`;
    const node: ProcessNode = {
      id, kvPort: this.base + 1 + i, raftPort: this.base + 1001 + i, joined, child: null, applied: [],
      logFile: path.join(this.dataDir, `${id}.log`), exited: Promise.resolve(),
    };
    this.nodes.set(id, node);
    return node;
  }

  /**
   * The next node (n4, n5, ...), with an empty disk and RAFT_JOIN: it knows the first nodes from
   * PEERS and waits for a leader to add it. Started at once (resolves once it serves) unless
   * `start` is false: then restart() starts it later.
   */
  async addNode(start = true): Promise<NodeId> {
    if (this.nodes.size >= this.options.nodes + (this.options.spareNodes ?? 0)) throw new Error('no spare node left: raise spareNodes');
    const node = this.addSpec(true);
    if (start) await this.spawnNode(node.id);
    return node.id;
  }

  static async start(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const cluster = new ProcessCluster(options, await choosePortBase(options.nodes + (options.spareNodes ?? 0)));
    const started = await Promise.allSettled(cluster.nodeIds.map((id) => cluster.spawnNode(id)));
    const failure = started.find((r) => r.status === 'rejected');
    if (failure) {
      // The caller never gets this cluster, so it cannot clean up: kill what did start.
      await cluster.destroy(true);
      throw (failure as PromiseRejectedResult).reason;
    }
    return cluster;
  }

  node(id: NodeId): ProcessNode {
    const node = this.nodes.get(id);
    if (!node) throw new RangeError(`no node ${id}`);
    return node;
  }

  pid(id: NodeId): number | undefined {
    return this.node(id).child?.pid;
  }

  /** The environment a node starts with (a test may start one by hand). */
  envFor(id: NodeId): Record<string, string> {
    const node = this.node(id);
    // PEERS names the nodes the cluster started with, for every node: a joined one learns the rest
    // from the log, and a node's environment stays the same across its restarts.
    const peers = [...this.nodes.values()].filter((n) => n.id !== id && !n.joined);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      NODE_ID: id,
      KVSTORE_PORT: String(node.kvPort),
      // RAFT_PORT and the peers' KV URLs are left to their defaults (KV port + 1000, Raft port - 1000).
      PEERS: peers.map((p) => `http://127.0.0.1:${p.raftPort}`).join(','),
      PEER_IDS: peers.map((p) => p.id).join(','),
      RAFT_DATA_DIR: this.dataDir,
      LOG_FORMAT: 'json',
      ...(node.joined ? { RAFT_JOIN: '1' } : {}),
      ...this.options.env,
    };
    if (this.options.snapshotThreshold !== undefined) {
      // Scenarios that ask for frequent snapshots want the log compacted right up to them.
      env.RAFT_SNAPSHOT_THRESHOLD = String(this.options.snapshotThreshold);
      env.RAFT_SNAPSHOT_RETAIN_ENTRIES = '0';
    }
    return env;
  }

  private async spawnNode(id: NodeId): Promise<void> {
    const node = this.node(id);
    if (node.child) throw new Error(`${id} is already running`);
    const child = spawn(process.execPath, [nodeLauncher], { cwd: root, env: this.envFor(id), stdio: ['ignore', 'pipe', 'pipe'] });
    startedProcesses.add(child);
    node.child = child;
    node.applied = [];
    const log = fs.createWriteStream(node.logFile, { flags: 'a' });
    log.write(`---- start pid ${child.pid} ----\n`);
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      log.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const m = /\[apply\] index=(\d+)/.exec(line);
        if (m) node.applied.push(Number(m[1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => log.write(chunk));
    node.exited = new Promise((resolve) => child.once('exit', () => {
      log.end();
      resolve();
    }));
    await this.waitServing(node, child);
  }

  private async waitServing(node: ProcessNode, child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${node.id} exited while starting:\n${this.logTail(node.id)}`);
      try {
        const res = await fetch(`http://127.0.0.1:${node.kvPort}/health`, { signal: AbortSignal.timeout(500) });
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`${node.id} did not serve within 15 s:\n${this.logTail(node.id)}`);
  }

  logTail(id: NodeId, lines = 40): string {
    try {
      return fs.readFileSync(this.node(id).logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  // ---- ClusterDriver --------------------------------------------------------------------------------

  now(): number {
    return Date.now();
  }

  sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
  }

  async status(id: NodeId): Promise<NodeStatus> {
    const node = this.node(id);
    if (!node.child) return downStatus(id);
    try {
      return nodeStatusOf(id, await this.rawStatus(id));
    } catch {
      return downStatus(id);
    }
  }

  /** GET /raft/status as JSON (for tests that look at more than NodeStatus). */
  async rawStatus(id: NodeId): Promise<Record<string, unknown>> {
    const res = await fetch(`http://127.0.0.1:${this.node(id).raftPort}/raft/status`, { signal: AbortSignal.timeout(1000) });
    return (await res.json()) as Record<string, unknown>;
  }

  put(id: NodeId, key: string, value: string): Promise<ApiResponse> {
    return this.call(id, 'PUT', '/set', JSON.stringify({ key, value }), limits.writeMs);
  }

  get(id: NodeId, key: string, options: { stale?: boolean } = {}): Promise<ApiResponse> {
    const q = `/get?key=${encodeURIComponent(key)}${options.stale ? '&consistency=stale' : ''}`;
    return this.call(id, 'GET', q, undefined, limits.readMs);
  }

  del(id: NodeId, key: string): Promise<ApiResponse> {
    return this.call(id, 'DELETE', `/delete?key=${encodeURIComponent(key)}`, undefined, limits.writeMs);
  }

  async kill(id: NodeId): Promise<void> {
    const node = this.node(id);
    const child = node.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    await node.exited;
    node.child = null;
  }

  async restart(id: NodeId): Promise<void> {
    if (this.node(id).child) return;
    await this.spawnNode(id);
  }

  kvUrl(id: NodeId): string {
    return `http://127.0.0.1:${this.node(id).kvPort}`;
  }

  raftUrl(id: NodeId): string {
    return `http://127.0.0.1:${this.node(id).raftPort}`;
  }

  async appliedIndexes(id: NodeId): Promise<number[]> {
    return [...this.node(id).applied];
  }

  async snapshotIndex(id: NodeId): Promise<number> {
    try {
      const text = fs.readFileSync(path.join(this.dataDir, id, 'snapshot.json'), 'utf8');
      return (JSON.parse(text) as { meta: { index: number } }).meta.index;
    } catch {
      return 0;
    }
  }

  /** Kills every node (SIGKILL by pid) and removes the data unless `keepData`. */
  async destroy(keepData = false): Promise<void> {
    // A test may have frozen a node (SIGSTOP); SIGKILL works on it anyway, SIGCONT just in case.
    for (const node of this.nodes.values()) {
      const pid = node.child?.pid;
      if (pid === undefined || node.child!.exitCode !== null) continue;
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    await Promise.all(this.nodeIds.map((id) => this.kill(id)));
    if (!keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async call(id: NodeId, method: string, pathAndQuery: string, body: string | undefined, timeoutMs: number): Promise<ApiResponse> {
    const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
    if (body !== undefined) {
      init.body = body;
      init.headers = { 'content-type': 'application/json' };
    }
    try {
      const res = await fetch(`${this.kvUrl(id)}${pathAndQuery}`, init);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      if (cause?.code === 'ECONNREFUSED') return { status: 0, body: { ok: false, error: 'connection_refused', message: 'node is down' } };
      if ((err as Error).name === 'TimeoutError') return { status: 0, body: { ok: false, error: 'client_timeout', message: `no answer in ${timeoutMs} ms` } };
      return { status: 0, body: { ok: false, error: 'connection_lost', message: String(err) } };
    }
  }
}

/**
 * For a test file whose tests each start (at most) one cluster: registers the hooks that destroy
 * it after each test, printing the nodes' log tails and keeping the data when the test failed, and
 * that check after the file that no node process is left. Returns the function that starts it.
 */
export function clusterPerTest(logTailLines = 30): (options: ProcessClusterOptions) => Promise<ProcessCluster> {
  let cluster: ProcessCluster | null = null;
  afterEach(async (context) => {
    if (!cluster) return;
    const failed = context.task.result?.state === 'fail';
    if (failed) for (const id of cluster.nodeIds) console.log(`---- ${id} log tail (${cluster.dataDir}) ----\n${cluster.logTail(id, logTailLines)}`);
    await cluster.destroy(failed);
    cluster = null;
  });
  afterAll(() => {
    expect(liveProcesses().map((c) => c.pid)).toEqual([]);
  });
  return async (options) => (cluster = await ProcessCluster.start(options));
}
