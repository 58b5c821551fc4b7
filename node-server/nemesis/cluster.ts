/**
 * The cluster the nemesis attacks: real node processes (the shared NodeProcesses that npm start
 * uses), a fresh data directory, a cluster token, and each node's output in <outDir>/logs/<id>.log.
 *
 * - `local`: every node on 127.0.0.1, on free ports below the ephemeral range, with fault
 *   injection on: cuts go through each node's fault endpoint.
 * - `netns`: every node in a network namespace of its own (src/netns), reached through the client
 *   namespace; cuts are nftables rules, and pauses (SIGSTOP/SIGCONT) and bandwidth squeezes (tc
 *   tbf) are possible. No fault endpoint is involved. Optionally TLS on both ports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LiveFaults, NodeId } from '@raft-kv/core';
import type { Agents } from '../src/http/client-request';
import { NetnsCluster } from '../src/netns/netns-cluster';
import { NodeProcesses, nodeSpecs, portFree } from '../src/supervisor/node-processes';
import type { Target } from './faults';
import { kvRequest } from './http-client';

const host = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type NemesisNet = 'local' | 'netns';

export interface NemesisClusterOptions {
  nodes: number;
  outDir: string;
  token: string;
  net: NemesisNet;
  /** Extra environment for every node. */
  env?: Record<string, string>;
  /** netns only: TLS on both ports of every node. */
  tls?: boolean;
  /** netns only: the namespaces' prefix (default rkvn + a few random characters). */
  prefix?: string;
  log?: (line: string) => void;
}

export class NemesisCluster {
  readonly nodeIds: NodeId[];

  private constructor(
    private readonly processes: NodeProcesses,
    private readonly netns: NetnsCluster | null,
    readonly dataDir: string,
    private readonly token: string,
    private readonly logs: Map<NodeId, fs.WriteStream>,
    readonly agents: Agents | undefined,
  ) {
    this.nodeIds = processes.specs.map((s) => s.id);
  }

  static async start(options: NemesisClusterOptions): Promise<NemesisCluster> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-nemesis-'));
    fs.mkdirSync(path.join(options.outDir, 'logs'), { recursive: true });
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    const logs = new Map(ids.map((id) => [id, fs.createWriteStream(path.join(options.outDir, 'logs', `${id}.log`), { flags: 'a' })] as const));
    const onLine = (id: NodeId, line: string) => logs.get(id)?.write(line + '\n');
    const env = { RAFT_CLUSTER_TOKEN: options.token, LOG_FORMAT: 'json', ...options.env };
    try {
      if (options.net === 'netns') {
        const prefix = options.prefix ?? `rkvn${Math.random().toString(36).slice(2, 6)}`;
        const netns = await NetnsCluster.start({ nodeIds: ids, prefix, dataDir, env, tls: options.tls, onLine, log: options.log });
        return new NemesisCluster(netns.processes, netns, dataDir, options.token, logs, netns.agents);
      }
      if (options.tls) throw new Error('--tls needs --net netns');
      const [kvBase, raftBase] = await choosePorts(options.nodes);
      const processes = new NodeProcesses({ nodes: nodeSpecs(options.nodes, kvBase, raftBase), host, dataDir, env: { RAFT_FAULT_INJECTION: '1', ...env }, onLine });
      const cluster = new NemesisCluster(processes, null, dataDir, options.token, logs, undefined);
      for (const id of ids) processes.start(id);
      for (const id of ids) await cluster.waitRunning(id);
      return cluster;
    } catch (err) {
      for (const log of logs.values()) log.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** What the faults act on (faults.ts). */
  target(): Target {
    const netns = this.netns;
    return {
      nodeIds: this.nodeIds,
      leader: () => this.leader(),
      kill: (id) => this.kill(id),
      restart: async (id) => {
        await this.restart(id);
        return `restart ${id} (pid ${this.processes.pid(id) ?? '-'})`;
      },
      isRunning: (id) => this.isRunning(id),
      setFaults: (id, faults) => this.setFaults(id, faults),
      ...(netns ? {
        kernel: {
          pause: (id) => netns.pause(id),
          resume: (id) => netns.resume(id),
          isPaused: (id) => netns.isPaused(id),
          squeeze: (id, rateKbit) => netns.network.squeeze(id, { rateKbit }),
          unsqueeze: (id) => netns.network.unsqueeze(id),
        },
      } : {}),
    };
  }

  kvUrl(id: NodeId): string {
    return this.processes.kvUrl(id);
  }

  /** A node's local (stale) read of `key`, for comparing states; null when not found or no answer. */
  async localValue(id: NodeId, key: string): Promise<string | null> {
    const r = await kvRequest(`${this.kvUrl(id)}/get?key=${encodeURIComponent(key)}&consistency=stale`, 'GET', undefined, 5_000, this.agents);
    return r.status === 200 ? String(r.body.value) : null;
  }

  isRunning(id: NodeId): boolean {
    return this.processes.state(id) !== 'stopped';
  }

  async kill(id: NodeId): Promise<string> {
    const pid = this.processes.pid(id);
    await this.processes.kill(id, 'SIGKILL');
    return `SIGKILL pid ${pid ?? '-'} (${id})`;
  }

  async restart(id: NodeId): Promise<void> {
    this.processes.start(id);
    await this.waitRunning(id);
  }

  async leader(): Promise<NodeId | null> {
    return (await this.processes.leader())?.id ?? null;
  }

  async waitForLeader(timeoutMs: number): Promise<NodeId> {
    const leader = await this.processes.waitForLeader(timeoutMs);
    if (!leader) throw new Error(`no leader within ${timeoutMs} ms`);
    return leader.id;
  }

  /** commitIndex and lastApplied from /raft/status (null when the node does not answer). */
  async progress(id: NodeId): Promise<{ commitIndex: number; lastApplied: number } | null> {
    const url = `${this.processes.raftUrl(id)}/raft/status`;
    if (this.netns) return (await this.netns.getJson(url, 1_000)) as { commitIndex: number; lastApplied: number } | null;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return (await res.json()) as { commitIndex: number; lastApplied: number };
    } catch {
      return null;
    }
  }

  /** Sets a node's traffic drops (core/src/live.ts's terms; {} heals it); returns how it was done. */
  async setFaults(id: NodeId, faults: LiveFaults): Promise<string[]> {
    if (this.netns) return (await this.netns.network.setDrops(id, faults)).map((rule) => `nft ${rule}`);
    if (!this.isRunning(id)) return [];
    const url = `${this.processes.raftUrl(id)}/admin/faults`;
    let status = 0;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(faults),
        signal: AbortSignal.timeout(3_000),
      });
      status = res.status;
    } catch {
      // the node died meanwhile: nothing to undo on it
    }
    if (status !== 200 && this.isRunning(id)) throw new Error(`fault endpoint of ${id} answered ${status}`);
    return [`POST ${url} ${JSON.stringify(faults)}`];
  }

  /** Every cut, pause and squeeze undone (the nodes that are down stay down). */
  async healAll(): Promise<void> {
    if (this.netns) {
      for (const id of this.nodeIds) if (this.netns.isPaused(id)) this.netns.resume(id);
      for (const id of this.nodeIds) await this.netns.network.unsqueeze(id);
      await this.netns.network.healDrops();
      return;
    }
    for (const id of this.nodeIds) await this.setFaults(id, {});
  }

  /** Stops every node (SIGKILL: nothing to wait for), removes the network (netns) and the data. */
  async destroy(): Promise<void> {
    if (this.netns) await this.netns.stop({ kill: true });
    else await Promise.all(this.nodeIds.map((id) => this.processes.kill(id, 'SIGKILL')));
    for (const log of this.logs.values()) log.end();
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  private async waitRunning(id: NodeId): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (this.processes.state(id) !== 'running') {
      if (this.processes.state(id) === 'stopped') throw new Error(`${id} exited while starting`);
      if (Date.now() > deadline) throw new Error(`${id} did not serve within 20 s`);
      await sleep(50);
    }
  }
}

/** KV and Raft port bases with all 2n ports free, in 20000-28999 (below the ephemeral range). */
async function choosePorts(n: number): Promise<[number, number]> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const kv = 20_000 + Math.floor(Math.random() * 400) * 10;
    const raft = kv + 5_000;
    const ports = Array.from({ length: n }, (_, i) => [kv + i, raft + i]).flat();
    if ((await Promise.all(ports.map((p) => portFree(p, host)))).every(Boolean)) return [kv, raft];
  }
  throw new Error('no free ports for the nemesis cluster');
}
