/**
 * Real node processes on this machine, for `npm run cluster` and `npm start`: spawn each node
 * (`node --import tsx node-server/src/main.ts`) with its environment, follow it from `starting` to
 * `running` (its /health answers) to `stopped` (it exited, however), signal it by pid only, and
 * stop them all (SIGTERM, then SIGKILL after a grace period). Each node gets RAFT_SUPERVISED=1 and
 * a stdin pipe, so it stops by itself when this process is gone, even after a SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { NodeId } from '@raft-kv/core';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** Runs one node from its bundle, built when the sources changed (node-server/bin/raft-node.mjs). */
export const nodeLauncher = path.join(repoRoot, 'node-server/bin/raft-node.mjs');

export interface NodeSpec {
  id: NodeId;
  kvPort: number;
  raftPort: number;
  /** This node's own address (each node of a namespaced cluster has one); else the options' host. */
  host?: string;
  /** Added to a running cluster: it starts with RAFT_JOIN, and waits for a leader to add it. */
  join?: boolean;
}

export type NodeState = 'starting' | 'running' | 'stopped';

export interface Health {
  id: NodeId;
  state: string;
  term: number;
  leaderId: NodeId | null;
  leader: string | null;
}

export interface NodeProcessesOptions {
  nodes: readonly NodeSpec[];
  /** The address nodes listen on and are reached at. */
  host: string;
  /** RAFT_DATA_DIR of every node (each keeps its data in <dataDir>/<id>). */
  dataDir: string;
  /** More environment for every node (on top of this process's own). */
  env?: Record<string, string>;
  /** More environment for one node (its certificate files, say), on top of `env`. */
  nodeEnv?: (id: NodeId) => Record<string, string>;
  /** A command the node's process is started through, e.g. ['ip', 'netns', 'exec', ns] (it must exec, keeping the pid). */
  launchPrefix?: (id: NodeId) => string[];
  /** URL schemes of the KV and Raft ports (https when the nodes run with TLS). */
  schemes?: { kv: 'http' | 'https'; raft: 'http' | 'https' };
  /** How this process GETs a node's JSON (/health), when plain fetch cannot reach it (namespaces, a private CA); null when it does not answer. */
  getJson?: (url: string, timeoutMs: number) => Promise<unknown>;
  onLine?: (id: NodeId, line: string) => void;
  onRunning?: (id: NodeId) => void;
  onExit?: (id: NodeId, code: number | null, signal: NodeJS.Signals | null) => void;
}

interface Tracked {
  spec: NodeSpec;
  child: ChildProcess | null;
  state: NodeState;
  exited: Promise<void>;
}

/** How often a starting node's /health is tried. */
const servingPollMs = 100;
const healthTimeoutMs = 500;

/** n1..n<count> on consecutive ports from the given bases. */
export function nodeSpecs(count: number, kvPortBase: number, raftPortBase: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({ id: `n${i + 1}`, kvPort: kvPortBase + i, raftPort: raftPortBase + i }));
}

export function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class NodeProcesses {
  private readonly tracked = new Map<NodeId, Tracked>();

  constructor(private readonly options: NodeProcessesOptions) {
    for (const spec of options.nodes) this.add(spec);
  }

  /** Every node, in the order they were given or added. */
  get specs(): readonly NodeSpec[] {
    return [...this.tracked.values()].map((t) => t.spec);
  }

  /** Takes one more node (stopped until start()); a node that joins gets RAFT_JOIN. */
  add(spec: NodeSpec): void {
    if (this.tracked.has(spec.id)) throw new RangeError(`node ${spec.id} exists already`);
    this.tracked.set(spec.id, { spec, child: null, state: 'stopped', exited: Promise.resolve() });
  }

  has(id: NodeId): boolean {
    return this.tracked.has(id);
  }

  state(id: NodeId): NodeState {
    return this.get(id).state;
  }

  pid(id: NodeId): number | null {
    return this.get(id).child?.pid ?? null;
  }

  url(port: number, spec?: NodeSpec, scheme: 'http' | 'https' = 'http'): string {
    const address = spec?.host ?? this.options.host;
    const host = address.includes(':') ? `[${address}]` : address;
    return `${scheme}://${host}:${port}`;
  }

  private kvUrlOf(spec: NodeSpec): string {
    return this.url(spec.kvPort, spec, this.options.schemes?.kv);
  }

  private raftUrlOf(spec: NodeSpec): string {
    return this.url(spec.raftPort, spec, this.options.schemes?.raft);
  }

  kvUrl(id: NodeId): string {
    return this.kvUrlOf(this.get(id).spec);
  }

  raftUrl(id: NodeId): string {
    return this.raftUrlOf(this.get(id).spec);
  }

  envFor(id: NodeId): NodeJS.ProcessEnv {
    const spec = this.get(id).spec;
    // PEERS names the nodes the cluster started with, for every node: one that joins learns the
    // others from the log, and a node's environment stays the same across its restarts.
    const peers = this.specs.filter((n) => n.id !== id && !n.join);
    return {
      ...process.env,
      NODE_ID: id,
      KVSTORE_PORT: String(spec.kvPort),
      RAFT_PORT: String(spec.raftPort),
      BIND_ADDRESS: spec.host ?? this.options.host,
      PEERS: peers.map((p) => this.raftUrlOf(p)).join(','),
      PEER_IDS: peers.map((p) => p.id).join(','),
      PEER_KV_URLS: peers.map((p) => this.kvUrlOf(p)).join(','),
      RAFT_DATA_DIR: this.options.dataDir,
      ...(spec.join ? { RAFT_JOIN: '1' } : {}),
      ...this.options.env,
      ...this.options.nodeEnv?.(id),
      RAFT_SUPERVISED: '1',
    };
  }

  /** Spawns the node (a no-op while it runs); it is `starting` until its /health answers. */
  start(id: NodeId): void {
    const t = this.get(id);
    if (t.child) return;
    const [file, ...args] = [...(this.options.launchPrefix?.(id) ?? []), process.execPath, nodeLauncher];
    const child = spawn(file!, args, { cwd: repoRoot, env: this.envFor(id), stdio: ['pipe', 'pipe', 'pipe'] });
    t.child = child;
    t.state = 'starting';
    // A failed spawn is reported as an exit; the stdin pipe only ever closes.
    child.on('error', () => {});
    child.stdin!.on('error', () => {});
    for (const stream of [child.stdout!, child.stderr!]) {
      readline.createInterface({ input: stream }).on('line', (line) => this.options.onLine?.(id, line));
    }
    t.exited = new Promise((resolve) => child.once('exit', (code, signal) => {
      t.child = null;
      t.state = 'stopped';
      this.options.onExit?.(id, code, signal);
      resolve();
    }));
    void this.followStart(t, child);
  }

  private async followStart(t: Tracked, child: ChildProcess): Promise<void> {
    while (t.child === child && t.state === 'starting') {
      if (await this.health(t.spec.id)) {
        if (t.child !== child) return;
        t.state = 'running';
        this.options.onRunning?.(t.spec.id);
        return;
      }
      await sleep(servingPollMs);
    }
  }

  /** Sends `signal` to the node's pid and waits until it has exited (SIGKILL by default). */
  async kill(id: NodeId, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const t = this.get(id);
    const pid = t.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone; the exit event follows
    }
    await t.exited;
  }

  /** SIGTERM to every running node (a clean stop), SIGKILL to any still running after `graceMs`. */
  async stopAll(graceMs = 5000): Promise<void> {
    const running = [...this.tracked.values()].filter((t) => t.child);
    for (const t of running) this.signal(t, 'SIGTERM');
    const all = Promise.all(running.map((t) => t.exited));
    const timer = setTimeout(() => running.forEach((t) => this.signal(t, 'SIGKILL')), graceMs);
    await all;
    clearTimeout(timer);
  }

  private signal(t: Tracked, signal: NodeJS.Signals): void {
    const pid = t.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  /** The node's /health, or null when it does not answer. */
  async health(id: NodeId): Promise<Health | null> {
    const url = `${this.kvUrl(id)}/health`;
    if (this.options.getJson) return (await this.options.getJson(url, healthTimeoutMs)) as Health | null;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(healthTimeoutMs) });
      return res.ok ? ((await res.json()) as Health) : null;
    } catch {
      return null;
    }
  }

  /** The running node that says it leads, in the highest term. */
  async leader(): Promise<Health | null> {
    const all = await Promise.all(this.specs.map((n) => (this.get(n.id).child ? this.health(n.id) : null)));
    return all.filter((h) => h?.state === 'leader').sort((a, b) => b!.term - a!.term)[0] ?? null;
  }

  async waitForLeader(timeoutMs: number, giveUp: () => boolean = () => false): Promise<Health | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && !giveUp()) {
      const leader = await this.leader();
      if (leader) return leader;
      await sleep(200);
    }
    return null;
  }

  private get(id: NodeId): Tracked {
    const t = this.tracked.get(id);
    if (!t) throw new RangeError(`no node ${id}`);
    return t;
  }
}
