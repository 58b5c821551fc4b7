/**
 * The guided-run worlds: a ClusterDriver (for A-H, P, S, K) and a SimScenarioContext (for the
 * paper's scenarios) over the page's simulation, whose waits go through the Pacer. They mirror
 * core's SimDriver and directContext call for call, so a guided run reaches the same verdict.
 */
import type { ApiResponse, NodeId } from '@raft-kv/core';
import type { ClusterDriver, NodeStatus, SimScenarioContext } from '@raft-kv/core/scenarios';
import { limits } from '@raft-kv/core/scenarios';
import type { ClientRequestInput, SimAction, Simulation } from '@raft-kv/core/sim';
import type { Pacer } from './pacer';

/** What the drivers need from the engine: the current simulation and a way to act on it. */
export interface PacedWorld {
  readonly sim: Simulation;
  readonly pacer: Pacer;
  act(action: SimAction): number | undefined;
}

export class PacedDriver implements ClusterDriver {
  private readonly world: PacedWorld;
  readonly nodeIds: readonly NodeId[];

  constructor(world: PacedWorld) {
    this.world = world;
    this.nodeIds = world.sim.nodeIds;
  }

  private get sim(): Simulation {
    return this.world.sim;
  }

  now(): number {
    return this.sim.now;
  }

  async sleep(ms: number): Promise<void> {
    await this.world.pacer.wait(this.sim.now, this.sim.now + ms);
  }

  async status(id: NodeId): Promise<NodeStatus> {
    const v = this.sim.view(id);
    // A pre-vote candidate reports follower, as /health does (and as core's SimDriver does).
    const role = v.role === 'preCandidate' ? 'follower' : v.role;
    return {
      id, role, term: v.term, leaderId: v.up ? v.leaderId : null, commitIndex: v.commitIndex, lastApplied: v.lastApplied,
      logLen: v.logLength, lastHeartbeatAgoMs: v.lastHeartbeatAgoMs,
    };
  }

  put(id: NodeId, key: string, value: string): Promise<ApiResponse> {
    return this.call({ clientId: 'scenario', node: id, op: 'put', key, value }, limits.writeMs);
  }

  get(id: NodeId, key: string, options: { stale?: boolean } = {}): Promise<ApiResponse> {
    return this.call({ clientId: 'scenario', node: id, op: 'get', key, consistency: options.stale ? 'stale' : 'linearizable' }, limits.readMs);
  }

  del(id: NodeId, key: string): Promise<ApiResponse> {
    return this.call({ clientId: 'scenario', node: id, op: 'delete', key }, limits.writeMs);
  }

  async kill(id: NodeId): Promise<void> {
    this.world.act({ type: 'crash', node: id });
  }

  async restart(id: NodeId): Promise<void> {
    this.world.act({ type: 'restart', node: id });
  }

  kvUrl(id: NodeId): string {
    return this.sim.kvUrl(id);
  }

  async appliedIndexes(id: NodeId): Promise<number[]> {
    return [...this.sim.node(id).applyLog];
  }

  async snapshotIndex(id: NodeId): Promise<number> {
    return this.sim.node(id).storage.snapshot().meta.index;
  }

  private async call(request: ClientRequestInput, clientTimeoutMs: number): Promise<ApiResponse> {
    const id = this.world.act({ type: 'client', request })!;
    const sent = this.sim.request(id)!;
    const answered = await this.world.pacer.wait(this.sim.now, this.sim.now + clientTimeoutMs, () => this.sim.request(id)?.repliedAt != null);
    if (!answered) return { status: 0, body: { ok: false, error: 'client_timeout', message: `no answer in ${clientTimeoutMs} ms` } };
    return this.sim.request(id)?.response ?? sent.response!;
  }
}

export function pacedContext(world: PacedWorld, narrate: (text: string) => void): SimScenarioContext {
  return {
    get sim() {
      return world.sim;
    },
    act: (action) => world.act(action),
    runFor: async (ms) => {
      await world.pacer.wait(world.sim.now, world.sim.now + ms);
    },
    runUntil: (done, maxMs) => world.pacer.wait(world.sim.now, world.sim.now + maxMs, done),
    narrate,
  };
}
