/**
 * What the supervisor's API does to the real cluster (core/src/live.ts): describe it, SIGKILL and
 * restart nodes (same id, same data), and turn the page's fault commands into each node's
 * /admin/faults setting, sent with the cluster token from loopback.
 */
import type { LiveCluster, LiveFaultCommand, LiveFaults, NodeId } from '@raft-kv/core';
import type { FaultBook } from './fault-book';
import type { NodeProcesses } from './node-processes';

const adminTimeoutMs = 3000;

export class FaultPushError extends Error {
  override name = 'FaultPushError';
}

export class ClusterControl {
  constructor(
    private readonly nodes: NodeProcesses,
    private readonly book: FaultBook,
    private readonly token: string,
    private readonly log: (line: string) => void,
  ) {}

  has(id: NodeId): boolean {
    return this.nodes.has(id);
  }

  cluster(): LiveCluster {
    return {
      nodes: this.nodes.specs.map(({ id }) => ({
        id,
        kvUrl: this.nodes.kvUrl(id),
        raftUrl: this.nodes.raftUrl(id),
        observeUrl: this.nodes.raftUrl(id),
        state: this.nodes.state(id),
        pid: this.nodes.pid(id),
      })),
    };
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
