/**
 * What the supervisor's API does to the real cluster (core/src/live.ts): describe it, SIGKILL and
 * restart nodes (same id, same data), start new nodes that join, and turn the page's fault
 * commands into each node's /admin/faults setting, sent with the cluster token from loopback.
 */
import type { LiveCluster, LiveClusterNode, LiveFaultCommand, LiveFaults, NodeId } from '@raft-kv/core';
import type { FaultBook } from './fault-book';
import type { NodeProcesses, NodeSpec } from './node-processes';
import { portFree } from './node-processes';

const adminTimeoutMs = 3000;

export class FaultPushError extends Error {
  override name = 'FaultPushError';
}

/** A node could not be added: at the limit, or its ports are taken. */
export class AddNodeError extends Error {
  override name = 'AddNodeError';
  constructor(readonly code: 'too_many_nodes' | 'ports_busy', message: string) {
    super(message);
  }
}

/** Where nodes go: n<k> on KV port kvPortBase + k - 1 and Raft port raftPortBase + k - 1. */
export interface NodeLayout {
  host: string;
  kvPortBase: number;
  raftPortBase: number;
  /** The supervisor's own port, which no node may take. */
  ownPort: number;
  /** Most nodes, the first ones included. */
  nodesMax: number;
}

export class ClusterControl {
  constructor(
    private readonly nodes: NodeProcesses,
    private readonly book: FaultBook,
    private readonly token: string,
    private readonly log: (line: string) => void,
    private readonly layout: NodeLayout,
  ) {}

  has(id: NodeId): boolean {
    return this.nodes.has(id);
  }

  cluster(): LiveCluster {
    return { nodes: this.nodes.specs.map(({ id }) => this.describe(id)) };
  }

  describe(id: NodeId): LiveClusterNode {
    return {
      id,
      kvUrl: this.nodes.kvUrl(id),
      raftUrl: this.nodes.raftUrl(id),
      observeUrl: this.nodes.raftUrl(id),
      state: this.nodes.state(id),
      pid: this.nodes.pid(id),
    };
  }

  /**
   * Starts a new node process: the next id and ports, a fresh data directory, RAFT_JOIN. It is not
   * a member until a leader adds it (POST /api/members). Resolves once spawned (it is `starting`).
   */
  async addNode(): Promise<LiveClusterNode> {
    // One at a time: each takes the next id and ports.
    const added = this.adding.then(() => this.startNextNode());
    this.adding = added.catch(() => undefined);
    return added;
  }

  private adding: Promise<unknown> = Promise.resolve();

  private async startNextNode(): Promise<LiveClusterNode> {
    const { host, kvPortBase, raftPortBase, ownPort, nodesMax } = this.layout;
    const k = this.nodes.specs.length + 1;
    if (k > nodesMax) throw new AddNodeError('too_many_nodes', `at most ${nodesMax} nodes`);
    const spec: NodeSpec = { id: `n${k}`, kvPort: kvPortBase + k - 1, raftPort: raftPortBase + k - 1, join: true };
    const taken = new Set([ownPort, ...this.nodes.specs.flatMap((n) => [n.kvPort, n.raftPort])]);
    for (const port of [spec.kvPort, spec.raftPort]) {
      if (port > 65535 || taken.has(port) || !(await portFree(port, host))) throw new AddNodeError('ports_busy', `port ${port} for ${spec.id} is not free`);
    }
    this.nodes.add(spec);
    this.book.add(spec.id);
    this.log(`[start] adding ${spec.id} (KV ${this.nodes.kvUrl(spec.id)}, Raft ${this.nodes.raftUrl(spec.id)}), empty, joining: a leader must add it (POST /api/members)`);
    this.nodes.start(spec.id);
    return this.describe(spec.id);
  }

  /** SIGKILL; resolves once the process is gone. */
  async kill(id: NodeId): Promise<void> {
    const pid = this.nodes.pid(id);
    if (pid === null) return;
    this.log(`[start] SIGKILL ${id} (pid ${pid}) on request`);
    await this.nodes.kill(id, 'SIGKILL');
  }

  /** Starts a stopped node again with its id and data; a running one is left alone. */
  restart(id: NodeId): void {
    if (this.nodes.state(id) !== 'stopped') return;
    this.log(`[start] restarting ${id} on request`);
    this.nodes.start(id);
  }

  /** Records the command, then sends every changed node that runs its new setting. */
  async applyFaults(command: LiveFaultCommand): Promise<Record<NodeId, LiveFaults>> {
    const changed = this.book.apply(command);
    this.log(`[start] faults: ${JSON.stringify(command)} -> ${changed.map((id) => `${id} ${JSON.stringify(this.book.of(id))}`).join('; ') || 'no change'}`);
    const results = await Promise.allSettled(changed.filter((id) => this.nodes.state(id) === 'running').map((id) => this.pushFaults(id)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return this.book.all();
  }

  faults(): Record<NodeId, LiveFaults> {
    return this.book.all();
  }

  /** A node that starts has no faults: give it the recorded ones (a restart does not heal the network). */
  onNodeRunning(id: NodeId): void {
    if (this.book.isClear(id)) return;
    this.pushFaults(id).catch((err: unknown) => this.log(`[start] could not restore ${id}'s faults: ${(err as Error).message}`));
  }

  private async pushFaults(id: NodeId): Promise<void> {
    let res: Response;
    try {
      res = await fetch(`${this.nodes.raftUrl(id)}/admin/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(this.book.of(id)),
        signal: AbortSignal.timeout(adminTimeoutMs),
      });
    } catch (err) {
      throw new FaultPushError(`${id} did not answer on /admin/faults (${(err as Error).message})`);
    }
    if (!res.ok) throw new FaultPushError(`${id}'s /admin/faults answered ${res.status} ${await res.text()}`);
  }
}
