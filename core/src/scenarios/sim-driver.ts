/**
 * ClusterDriver over the simulator: time is simulated, so a scenario that takes minutes of
 * cluster time runs in milliseconds (with directControl), or at a UI's pace (with the playground's
 * paced control). Every request goes through the simulated client path, so the answers are the
 * ones the real API gives.
 */
import type { ApiResponse } from '../api';
import { displayRoleOf } from '../node-state';
import type { ClientRequestInput } from '../sim/simulation';
import { Simulation } from '../sim/simulation';
import type { NodeId } from '../types';
import type { ClusterDriver, NodeStatus } from './driver';
import { limits } from './helpers';
import type { SimControl } from './sim-scenario';
import { directControl } from './sim-scenario';

export class SimDriver implements ClusterDriver {
  private readonly control: SimControl;
  readonly nodeIds: readonly NodeId[];

  constructor(control: SimControl | Simulation) {
    this.control = control instanceof Simulation ? directControl(control) : control;
    this.nodeIds = this.sim.nodeIds;
  }

  /** The simulation now (a UI may replace it, e.g. on reset). */
  get sim(): Simulation {
    return this.control.sim;
  }

  now(): number {
    return this.sim.now;
  }

  sleep(ms: number): Promise<void> {
    return this.control.runFor(ms);
  }

  async status(id: NodeId): Promise<NodeStatus> {
    const v = this.sim.view(id);
    return {
      id, role: displayRoleOf(v.role), term: v.term, leaderId: v.up ? v.leaderId : null, commitIndex: v.commitIndex, lastApplied: v.lastApplied,
      logLength: v.logLength, lastHeartbeatAgoMs: v.lastHeartbeatAgoMs,
    };
  }

  put(id: NodeId, key: string, value: string): Promise<ApiResponse> {
    return this.call({ clientId: 'scenario', node: id, op: 'put', key, value }, limits.writeMs);
  }

  get(id: NodeId, key: string, options: { stale?: boolean } = {}): Promise<ApiResponse> {
    const consistency = options.stale ? 'stale' : 'linearizable';
    return this.call({ clientId: 'scenario', node: id, op: 'get', key, consistency }, limits.readMs);
  }

  del(id: NodeId, key: string): Promise<ApiResponse> {
    return this.call({ clientId: 'scenario', node: id, op: 'delete', key }, limits.writeMs);
  }

  async kill(id: NodeId): Promise<void> {
    this.control.act({ type: 'crash', node: id });
  }

  async restart(id: NodeId): Promise<void> {
    this.control.act({ type: 'restart', node: id });
  }

  kvUrl(id: NodeId): string {
    return this.sim.kvUrl(id);
  }

  async appliedIndexes(id: NodeId): Promise<number[]> {
    return [...this.sim.node(id).applyLog];
  }

  async snapshotIndex(id: NodeId): Promise<number> {
    return this.sim.node(id).storage.snapshot().index;
  }

  /** Sends a request and lets time pass until the answer arrives or the client gives up. */
  private async call(request: ClientRequestInput, clientTimeoutMs: number): Promise<ApiResponse> {
    const id = this.control.act({ type: 'client', request })!;
    const sent = this.sim.request(id)!;
    const answered = await this.control.runUntil(() => sent.repliedAt !== null, clientTimeoutMs);
    if (!answered) return { status: 0, body: { ok: false, error: 'client_timeout', message: `no answer in ${clientTimeoutMs} ms` } };
    return sent.response!;
  }
}
