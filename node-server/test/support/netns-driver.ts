/**
 * ClusterDriver over a namespaced cluster (src/netns): the shared scenarios, unchanged, on nodes
 * that each have a network namespace and an address of their own, reached from the client
 * namespace, optionally with TLS on both ports. Kill is SIGKILL by pid; `[apply] index=N` lines
 * are parsed from each node's output, which also goes to <dataDir>/<id>.log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiResponse, NodeId } from '@raft-kv/core';
import type { ClusterDriver, ClusterOptions, NodeStatus } from '@raft-kv/core/scenarios';
import { downStatus, nodeStatusOf } from './node-status';
import { limits } from '@raft-kv/core/scenarios';
import type { NetnsClusterOptions } from '../../src/netns/netns-cluster';
import { NetnsCluster } from '../../src/netns/netns-cluster';
import { testPrefix } from './netns';

export interface NetnsDriverOptions extends ClusterOptions {
  tls?: boolean;
  env?: Record<string, string>;
  /** Per-node environment on top of the cluster's (e.g. a certificate from another CA). */
  nodeEnv?: NetnsClusterOptions['nodeEnv'];
}

export class NetnsDriver implements ClusterDriver {
  readonly nodeIds: readonly NodeId[];
  private readonly applied = new Map<NodeId, number[]>();
  private readonly logs: Map<NodeId, fs.WriteStream>;
  private started: NetnsCluster | null = null;

  private constructor(readonly dataDir: string, nodeIds: NodeId[]) {
    this.nodeIds = nodeIds;
    this.logs = new Map(nodeIds.map((id) => [id, fs.createWriteStream(path.join(dataDir, `${id}.log`), { flags: 'a' })]));
  }

  get cluster(): NetnsCluster {
    if (!this.started) throw new Error('the cluster is not started');
    return this.started;
  }

  static async start(options: NetnsDriverOptions): Promise<NetnsDriver> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-netns-'));
    const driver = new NetnsDriver(dataDir, Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`));
    const env: Record<string, string> = { ...options.env };
    if (options.snapshotThreshold !== undefined) env.RAFT_SNAPSHOT_THRESHOLD = String(options.snapshotThreshold);
    try {
      driver.started = await NetnsCluster.start({
        nodeIds: driver.nodeIds, prefix: testPrefix(), dataDir, env, tls: options.tls, nodeEnv: options.nodeEnv,
        onLine: (id, line) => driver.onLine(id, line),
        onExit: (id) => driver.logs.get(id)?.write('---- exited ----\n'),
      });
      return driver;
    } catch (err) {
      for (const log of driver.logs.values()) log.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  private onLine(id: NodeId, line: string): void {
    this.logs.get(id)?.write(line + '\n');
    if (line.includes('"[node] ') && line.includes(' serving KV on ')) this.applied.set(id, []);
    const m = /\[apply\] index=(\d+)/.exec(line);
    if (m) this.applied.get(id)?.push(Number(m[1]));
  }

  logTail(id: NodeId, lines = 40): string {
    try {
      return fs.readFileSync(path.join(this.dataDir, `${id}.log`), 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Every line a node wrote so far (all its lives), for log assertions. */
  logText(id: NodeId): string {
    try {
      return fs.readFileSync(path.join(this.dataDir, `${id}.log`), 'utf8');
    } catch {
      return '';
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
    if (this.cluster.state(id) === 'stopped') return downStatus(id);
    const s = (await this.cluster.getJson(`${this.cluster.raftUrl(id)}/raft/status`, 1000)) as Record<string, unknown> | null;
    return s ? nodeStatusOf(id, s) : downStatus(id);
  }

  put(id: NodeId, key: string, value: string): Promise<ApiResponse> {
    return this.cluster.request(`${this.kvUrl(id)}/set`, 'PUT', { key, value }, limits.writeMs);
  }

  get(id: NodeId, key: string, options: { stale?: boolean } = {}): Promise<ApiResponse> {
    return this.cluster.request(`${this.kvUrl(id)}/get?key=${encodeURIComponent(key)}${options.stale ? '&consistency=stale' : ''}`, 'GET', undefined, limits.readMs);
  }

  del(id: NodeId, key: string): Promise<ApiResponse> {
    return this.cluster.request(`${this.kvUrl(id)}/delete?key=${encodeURIComponent(key)}`, 'DELETE', undefined, limits.writeMs);
  }

  async kill(id: NodeId): Promise<void> {
    await this.cluster.kill(id);
  }

  async restart(id: NodeId): Promise<void> {
    if (this.cluster.state(id) !== 'stopped') return;
    await this.cluster.restart(id);
  }

  kvUrl(id: NodeId): string {
    return this.cluster.kvUrl(id);
  }

  async appliedIndexes(id: NodeId): Promise<number[]> {
    return [...(this.applied.get(id) ?? [])];
  }

  async snapshotIndex(id: NodeId): Promise<number> {
    try {
      const text = fs.readFileSync(path.join(this.dataDir, id, 'snapshot.json'), 'utf8');
      return (JSON.parse(text) as { meta: { index: number } }).meta.index;
    } catch {
      return 0;
    }
  }

  /** Kills every node, removes the namespaces, and the data unless `keepData`. */
  async destroy(keepData = false): Promise<void> {
    await this.cluster.stop({ kill: true });
    for (const log of this.logs.values()) log.end();
    if (!keepData) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}
