/**
 * The cluster the nemesis attacks: real node processes (the shared NodeProcesses that npm start
 * uses) on free ports below the ephemeral range, a fresh data directory, fault injection on, a
 * cluster token, and each node's output in <outDir>/logs/<id>.log.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LiveFaults, NodeId } from '@raft-kv/core';
import { NodeProcesses, nodeSpecs, portFree } from '../src/supervisor/node-processes';

const host = '127.0.0.1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class NemesisCluster {
  readonly nodeIds: NodeId[];
  private readonly logs = new Map<NodeId, fs.WriteStream>();

  private constructor(
    private readonly processes: NodeProcesses,
    readonly dataDir: string,
    private readonly token: string,
  ) {
    this.nodeIds = processes.specs.map((s) => s.id);
  }

  static async start(nodes: number, outDir: string, token: string, env: Record<string, string> = {}): Promise<NemesisCluster> {
    const [kvBase, raftBase] = await choosePorts(nodes);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-nemesis-'));
    fs.mkdirSync(path.join(outDir, 'logs'), { recursive: true });
    const logs = new Map<NodeId, fs.WriteStream>();
    const processes = new NodeProcesses({
      nodes: nodeSpecs(nodes, kvBase, raftBase),
      host,
      dataDir,
      env: { RAFT_FAULT_INJECTION: '1', RAFT_CLUSTER_TOKEN: token, LOG_FORMAT: 'json', ...env },
      onLine: (id, line) => logs.get(id)?.write(line + '\n'),
    });
    const cluster = new NemesisCluster(processes, dataDir, token);
    for (const id of cluster.nodeIds) {
      const log = fs.createWriteStream(path.join(outDir, 'logs', `${id}.log`), { flags: 'a' });
      logs.set(id, log);
      cluster.logs.set(id, log);
    }
    for (const id of cluster.nodeIds) processes.start(id);
    for (const id of cluster.nodeIds) await cluster.waitRunning(id);
    return cluster;
  }

  kvUrl(id: NodeId): string {
    return this.processes.kvUrl(id);
  }

  isRunning(id: NodeId): boolean {
    return this.processes.state(id) !== 'stopped';
  }

  async kill(id: NodeId): Promise<void> {
    await this.processes.kill(id, 'SIGKILL');
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
    try {
      const res = await fetch(`${this.processes.raftUrl(id)}/raft/status`, { signal: AbortSignal.timeout(1_000) });
      return (await res.json()) as { commitIndex: number; lastApplied: number };
    } catch {
      return null;
    }
  }

  /** Sets a running node's traffic drops (core/src/live.ts); {} heals it. */
  async setFaults(id: NodeId, faults: LiveFaults): Promise<void> {
    if (!this.isRunning(id)) return;
    let status = 0;
    try {
      const res = await fetch(`${this.processes.raftUrl(id)}/admin/faults`, {
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
  }

  /** Stops every node (SIGKILL: nothing to wait for) and removes the data. */
  async destroy(): Promise<void> {
    await Promise.all(this.nodeIds.map((id) => this.processes.kill(id, 'SIGKILL')));
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
