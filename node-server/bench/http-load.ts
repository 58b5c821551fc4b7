/**
 * The one load generator for every system the benchmarks measure: closed-loop clients over HTTP/1.1
 * keep-alive connections (http-client.ts), each sending its next request as soon as the previous one
 * is answered.
 * A KvTarget says how one system spells a write and a linearizable read (our KV API, etcd's v3 JSON
 * gateway); everything else (connections, timing, percentiles) is shared, so the systems are
 * measured the same way.
 */
import { performance } from 'node:perf_hooks';

export type { HttpAnswer } from './http-client';
export { httpRequest } from './http-client';

/** The answer to one write or read, in terms both systems share. */
export interface Outcome {
  ok: boolean;
  /** For a read: the value found (undefined: not found or failed). */
  value?: string;
  /** The endpoint the answer says leads (ours: a 409's hint), when it names one. */
  leaderEndpoint?: number;
  /** What went wrong, for the error tally (an HTTP status, or the transport error). */
  error?: string;
}

/** One system's client API. Endpoints are member numbers 0..n-1. */
export interface KvTarget {
  readonly system: string;
  readonly endpoints: number;
  put(endpoint: number, key: string, value: string): Promise<Outcome>;
  /** A linearizable read. */
  get(endpoint: number, key: string): Promise<Outcome>;
}

/** Latencies in milliseconds, kept in a growing typed array (millions of samples, no boxing). */
export class Latencies {
  private samples = new Float64Array(1 << 16);
  length = 0;

  add(ms: number): void {
    if (this.length === this.samples.length) {
      const bigger = new Float64Array(this.samples.length * 2);
      bigger.set(this.samples);
      this.samples = bigger;
    }
    this.samples[this.length++] = ms;
  }

  /** Percentiles (0..1) of the samples so far, in one sort; NaN when there are none. */
  percentiles(...ps: number[]): number[] {
    const sorted = this.samples.slice(0, this.length).sort();
    return ps.map((p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!));
  }
}

/**
 * Runs `clients` closed loops of `step` until every loop's step returns false. A step is one
 * operation (with its own retries, if it makes any).
 */
export async function closedLoop(clients: number, step: (client: number) => Promise<boolean>): Promise<void> {
  await Promise.all(Array.from({ length: clients }, async (_, client) => {
    while (await step(client));
  }));
}

/** Milliseconds since `start` (performance.now()). */
export const since = (start: number): number => performance.now() - start;

/** Keys of exactly 8 bytes for a number below 36^8: base 36, zero-padded. */
export function key8(n: number): string {
  return n.toString(36).padStart(8, '0');
}

/** A 256-byte value that differs per key (so a read can check it got this key's value). */
export function value256(key: string): string {
  return key.repeat(32);
}

export function describeError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code ?? (err instanceof Error ? err.message : String(err));
}
