/**
 * Closed-loop clients for randomized runs: each sends one operation at a time to the node it
 * believes leads (following 409 hints), waits for the answer, thinks, and goes again. Puts and
 * swaps write unique values so the linearizability checker can tell writes apart (and a write
 * applied twice shows). All choices come from the given PRNG, so a run is reproducible from its seed.
 *
 * With sessions, a client first opens one (POST /session), numbers its writes, and resends a write
 * whose answer it did not get, with the same number, to whichever node it now believes leads,
 * until it has an answer or gives up: the state machine applies it once. Such a write is one
 * operation in the history, from its first send to its final answer, so the workload records
 * writes itself; reads are single requests the simulation records.
 */
import type { HistoryOp } from '../check/history';
import type { Prng } from '../prng';
import type { NodeId } from '../types';
import type { ClientRequest, Simulation } from './simulation';

export type WorkloadOp = 'put' | 'get' | 'delete' | 'cas';

export interface WorkloadOptions {
  clients: number;
  keys: number;
  thinkTimeMinMs: number;
  thinkTimeMaxMs: number;
  /** Relative weights of the operations. */
  mix: Record<WorkloadOp, number>;
  /** Read locally without ReadIndex: only to show that the linearizability check can fail. */
  staleReads: boolean;
  /** Writes carry a session and are resent with the same number until answered (exactly once). */
  sessions: boolean;
  /**
   * UNSAFE: resend a write whose outcome is unknown as a new request, without a session (the
   * client retries of etcd #14890): it may apply twice. Only to show that the checks catch it.
   */
  blindRetries: boolean;
  /** How many times one write is sent before the client gives up on it. */
  attemptsMax: number;
}

export const defaultWorkload: WorkloadOptions = {
  clients: 4,
  keys: 5,
  thinkTimeMinMs: 5,
  thinkTimeMaxMs: 100,
  mix: { put: 5, get: 4, delete: 1, cas: 2 },
  staleReads: false,
  sessions: true,
  blindRetries: false,
  attemptsMax: 6,
};

/** A write in progress: one history operation, sent one or more times. */
interface Write {
  op: 'put' | 'delete' | 'cas';
  key: string;
  value?: string;
  expected?: string | null;
  call: number;
  attempts: number;
  /** Some earlier send's outcome is unknown: it may have taken effect. */
  maybeApplied: boolean;
  /** The session number, when the write has one. */
  seq: number | null;
}

interface Client {
  id: string;
  pending: number | null;
  /** What the pending request is for. */
  purpose: 'session' | 'read' | 'write' | null;
  nextAt: number;
  leaderGuess: NodeId | null;
  sent: number;
  session: number | null;
  seq: number;
  write: Write | null;
  /** The last value this client saw for each key (what its next swap expects). */
  seen: Map<string, string | null>;
}

/** What a client may conclude from one answer to a write. */
type Attempt = 'done' | 'unknown' | 'refused' | 'sessionGone';

export class ClientWorkload {
  private readonly clients: Client[];
  readonly counts = { sent: 0, ok: 0, failed: 0, unknown: 0, resent: 0, sessionsOpened: 0, sessionsExpired: 0 };
  /** The writes, as the clients saw them (reads are in the simulation's history). */
  readonly history: HistoryOp[] = [];

  constructor(
    private readonly sim: Simulation,
    private readonly prng: Prng,
    private readonly options: WorkloadOptions = defaultWorkload,
  ) {
    if (options.sessions && options.blindRetries) throw new RangeError('blind retries are the unsafe alternative to sessions: pick one');
    this.clients = Array.from({ length: options.clients }, (_, i) => ({
      id: `c${i + 1}`, pending: null, purpose: null, nextAt: 0, leaderGuess: null, sent: 0, session: null, seq: 0, write: null, seen: new Map(),
    }));
  }

  /** Collects answers and sends requests that are due. Call between small simulation steps. */
  pump(): void {
    for (const client of this.clients) {
      if (client.pending !== null) this.collect(client);
      if (client.pending === null && this.sim.now >= client.nextAt) this.next(client);
    }
  }

  /**
   * Stops the clients: collects the answers that arrived, and records every write still in
   * progress as unknown (it may yet take effect). Call before reading the history.
   */
  stop(): void {
    for (const client of this.clients) {
      if (client.pending !== null) this.collect(client);
      const write = client.write;
      if (write === null) continue;
      client.write = null;
      const op: HistoryOp = { clientId: client.id, op: write.op, key: write.key, call: write.call, return: null, status: 'unknown' };
      if (write.value !== undefined) op.value = write.value;
      if (write.op === 'cas') op.expected = write.expected ?? null;
      this.history.push(op);
    }
  }

  private next(client: Client): void {
    if (client.write) return this.sendWrite(client, client.write);
    if (this.options.sessions && client.session === null) return this.send(client, 'session', { op: 'session', key: '' });
    const op = this.pickOp();
    const key = `k${this.prng.int(1, this.options.keys)}`;
    if (op === 'get') return this.send(client, 'read', { op, key, consistency: this.options.staleReads ? 'stale' : 'linearizable' });
    const value = op === 'delete' ? undefined : `${client.id}-${++client.sent}`;
    const write: Write = { op, key, value, call: this.sim.now, attempts: 0, maybeApplied: false, seq: this.options.sessions ? ++client.seq : null };
    if (op === 'cas') write.expected = client.seen.get(key) ?? null;
    client.write = write;
    this.sendWrite(client, write);
  }

  private sendWrite(client: Client, write: Write): void {
    write.attempts++;
    if (write.attempts > 1) this.counts.resent++;
    const session = write.seq === null ? undefined : { client: client.session!, seq: write.seq, ack: write.seq };
    this.send(client, 'write', { op: write.op, key: write.key, value: write.value, expected: write.expected, session, record: false });
  }

  private send(client: Client, purpose: Client['purpose'], request: Omit<ClientRequest, 'id' | 'clientId' | 'node' | 'sentAt' | 'arrivedAt' | 'response' | 'repliedAt'>): void {
    const node = client.leaderGuess ?? this.prng.pick(this.sim.nodeIds);
    client.pending = this.sim.act({ type: 'client', request: { ...request, clientId: client.id, node } })!;
    client.purpose = purpose;
    client.leaderGuess = node;
    this.counts.sent++;
  }

  private collect(client: Client): void {
    const request = this.sim.request(client.pending!)!;
    if (request.repliedAt === null) return;
    client.pending = null;
    const { status, body } = request.response!;
    if (status === 409 && typeof body.leaderId === 'string') client.leaderGuess = body.leaderId;
    else if (status !== 200 && status !== 404) client.leaderGuess = null;
    if (client.purpose === 'session') return this.sessionOpened(client, request);
    if (client.purpose === 'read') {
      if (status === 200 || status === 404) client.seen.set(request.key, status === 200 ? (body.value as string) : null);
      return this.think(client, status === 200 || status === 404 ? 'ok' : 'failed');
    }
    this.writeAnswered(client, client.write!, request);
  }

  private sessionOpened(client: Client, request: ClientRequest): void {
    const { status, body } = request.response!;
    if (status === 200) {
      client.session = body.clientId as number;
      client.seq = 0;
      this.counts.sessionsOpened++;
    }
    client.nextAt = this.sim.now + (status === 200 ? 0 : this.prng.int(20, 100));
  }

  private writeAnswered(client: Client, write: Write, request: ClientRequest): void {
    const attempt = attemptOf(request);
    if (attempt === 'done') return this.finish(client, write, 'ok', request);
    if (attempt === 'unknown') write.maybeApplied = true;
    if (attempt === 'sessionGone') {
      client.session = null;
      this.counts.sessionsExpired++;
    }
    // Resending is safe with a session (the state machine applies the number once) and after a
    // refusal (nothing was written); without a session an unknown write is resent only blindly.
    const mayResend = attempt !== 'sessionGone' && (write.seq !== null || attempt === 'refused' || this.options.blindRetries);
    if (mayResend && write.attempts < this.options.attemptsMax) {
      client.nextAt = this.sim.now + this.prng.int(10, 60);
      return;
    }
    this.finish(client, write, write.maybeApplied ? 'unknown' : 'fail', request);
  }

  private finish(client: Client, write: Write, status: HistoryOp['status'], last: ClientRequest): void {
    client.write = null;
    const op: HistoryOp = { clientId: client.id, op: write.op, key: write.key, call: write.call, return: status === 'unknown' ? null : last.repliedAt, status };
    if (write.value !== undefined) op.value = write.value;
    if (write.op === 'cas') op.expected = write.expected ?? null;
    if (status === 'ok') client.seen.set(write.key, write.op === 'put' ? write.value! : write.op === 'delete' ? null : (last.response!.body.value as string | null));
    if (status === 'ok' && write.op === 'cas') {
      op.swapped = last.response!.body.swapped as boolean;
      op.output = last.response!.body.value as string | null;
    }
    this.history.push(op);
    this.think(client, status === 'ok' ? 'ok' : status === 'fail' ? 'failed' : 'unknown');
  }

  private think(client: Client, outcome: 'ok' | 'failed' | 'unknown'): void {
    this.counts[outcome]++;
    client.nextAt = this.sim.now + this.prng.int(this.options.thinkTimeMinMs, this.options.thinkTimeMaxMs);
  }

  private pickOp(): WorkloadOp {
    const mix = this.options.mix;
    const total = mix.put + mix.get + mix.delete + mix.cas;
    let r = this.prng.next() * total;
    for (const op of ['put', 'get', 'delete', 'cas'] as const) {
      r -= mix[op];
      if (r < 0) return op;
    }
    return 'cas';
  }
}

/** One answer to a write: applied (its answer), maybe applied, certainly not, or the session is gone. */
function attemptOf(request: ClientRequest): Attempt {
  const { status, body } = request.response!;
  if (status === 200) return 'done';
  if (status === 410 && body.error === 'session_expired') return 'sessionGone';
  if (status === 504 || (status === 0 && body.error === 'connection_lost')) return 'unknown';
  return 'refused';
}
