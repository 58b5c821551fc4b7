/**
 * Closed-loop clients for randomized runs: each sends one request at a time to the node it
 * believes leads (following 409 hints), waits for the answer, thinks, and goes again. Puts write
 * unique values so the linearizability checker can tell writes apart. All choices come from the
 * given PRNG, so a run is reproducible from its seed.
 */
import type { Prng } from '../prng';
import type { NodeId } from '../types';
import type { Simulation } from './simulation';

export interface WorkloadOptions {
  clients: number;
  keys: number;
  thinkTimeMinMs: number;
  thinkTimeMaxMs: number;
  /** Relative weights of the operations. */
  mix: { put: number; get: number; delete: number };
  /** Read locally without ReadIndex: only to show that the linearizability check can fail. */
  staleReads: boolean;
}

export const defaultWorkload: WorkloadOptions = {
  clients: 4,
  keys: 5,
  thinkTimeMinMs: 5,
  thinkTimeMaxMs: 100,
  mix: { put: 5, get: 4, delete: 1 },
  staleReads: false,
};

interface Client {
  id: string;
  pending: number | null;
  nextAt: number;
  leaderGuess: NodeId | null;
  sent: number;
}

export class ClientWorkload {
  private readonly clients: Client[];
  readonly counts = { sent: 0, ok: 0, failed: 0, unknown: 0 };

  constructor(
    private readonly sim: Simulation,
    private readonly prng: Prng,
    private readonly options: WorkloadOptions = defaultWorkload,
  ) {
    this.clients = Array.from({ length: options.clients }, (_, i) => ({
      id: `c${i + 1}`, pending: null, nextAt: 0, leaderGuess: null, sent: 0,
    }));
  }

  /** Collects answers and sends requests that are due. Call between small simulation steps. */
  pump(): void {
    for (const client of this.clients) {
      if (client.pending !== null) this.collect(client);
      if (client.pending === null && this.sim.now >= client.nextAt) this.send(client);
    }
  }

  private collect(client: Client): void {
    const request = this.sim.request(client.pending!)!;
    if (request.repliedAt === null) return;
    client.pending = null;
    client.nextAt = this.sim.now + this.prng.int(this.options.thinkTimeMinMs, this.options.thinkTimeMaxMs);
    const { status, body } = request.response!;
    if (status === 200 || status === 404) this.counts.ok++;
    else if (status === 504 || (status === 0 && body.error === 'connection_lost')) this.counts.unknown++;
    else this.counts.failed++;
    if (status === 409 && typeof body.leaderId === 'string') client.leaderGuess = body.leaderId;
    else if (status !== 200 && status !== 404) client.leaderGuess = null;
  }

  private send(client: Client): void {
    const node = client.leaderGuess ?? this.prng.pick(this.sim.nodeIds);
    const key = `k${this.prng.int(1, this.options.keys)}`;
    const op = this.pickOp();
    const value = op === 'put' ? `${client.id}-${++client.sent}` : undefined;
    const consistency = op === 'get' && this.options.staleReads ? 'stale' : 'linearizable';
    client.pending = this.sim.act({ type: 'client', request: { clientId: client.id, node, op, key, value, consistency } })!;
    client.leaderGuess = node;
    this.counts.sent++;
  }

  private pickOp(): 'put' | 'get' | 'delete' {
    const { put, get } = this.options.mix;
    const total = put + get + this.options.mix.delete;
    const r = this.prng.next() * total;
    return r < put ? 'put' : r < put + get ? 'get' : 'delete';
  }
}
