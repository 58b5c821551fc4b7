/**
 * The client panel's clients (c1, c2, c3): each request is one logical operation that may take
 * several tries. A client that retries follows a 409's leader hint at once, and after a failure
 * without a hint (503, 504, no answer) tries the next node a little later, up to a limit: what a
 * real client of the KV API does. Latency is from the first send to the final answer.
 *
 * The state is plain data, copied into every time-travel checkpoint, and the clients act only at
 * the run's grid points (run.ts), so a replay makes exactly the same tries at the same moments.
 */
import type { NodeId } from '@raft-kv/core';
import type { Simulation } from '@raft-kv/core/sim';
import type { AttemptView, ClientOp, ClientRequestView, ClientTarget } from './protocol';

export const clientNames = ['c1', 'c2', 'c3'] as const;
/** Tries per request, the first included. */
export const attemptsMax = 5;
/** Wait before trying another node after a failure that names no leader. */
export const retryBackoffMs = 100;
/** Finished requests kept for the panel. */
const finishedKeptMax = 40;

export interface AttemptState {
  requestId: number;
  node: NodeId;
  sentAt: number;
}

export interface ClientOpState {
  id: number;
  client: string;
  op: ClientOp;
  key: string;
  value: string;
  via: 'leader' | 'node';
  stale: boolean;
  retry: boolean;
  startedAt: number;
  attempts: AttemptState[];
  done: boolean;
  /** After a failure without a hint: the next try waits until then. */
  retryAt: number | null;
}

export interface ClientsState {
  nextId: number;
  ops: ClientOpState[];
}

export const emptyClients = (): ClientsState => ({ nextId: 1, ops: [] });

export interface RequestInput {
  client: string;
  op: ClientOp;
  key: string;
  value: string;
  target: ClientTarget;
  stale: boolean;
  retry: boolean;
}

/** "The leader" as the page resolves it when a request is sent: the live leader, else the first live node. */
export function leaderForClient(sim: Simulation): NodeId {
  return sim.leader() ?? sim.nodeIds.find((id) => sim.node(id).up) ?? sim.nodeIds[0]!;
}

/** A new request: its first try goes out now. */
export function startRequest(state: ClientsState, sim: Simulation, input: RequestInput): ClientOpState {
  const node = input.target === 'leader' ? leaderForClient(sim) : input.target;
  const op: ClientOpState = {
    id: state.nextId++, client: input.client, op: input.op, key: input.key, value: input.value, via: input.target === 'leader' ? 'leader' : 'node',
    stale: input.op === 'get' && input.stale, retry: input.retry, startedAt: sim.now, attempts: [], done: false, retryAt: null,
  };
  send(sim, op, node);
  state.ops.push(op);
  forgetOld(state);
  return op;
}

function send(sim: Simulation, op: ClientOpState, node: NodeId): void {
  const requestId = sim.act({
    type: 'client',
    request: {
      clientId: op.client, node, op: op.op, key: op.key,
      ...(op.op === 'put' ? { value: op.value } : {}), ...(op.stale ? { consistency: 'stale' as const } : {}),
    },
  })!;
  op.attempts.push({ requestId, node, sentAt: sim.now });
  op.retryAt = null;
}

/** Whether an answer ends the request: success, a definite "no such key", or a client error. */
function isFinal(op: ClientOp, status: number): boolean {
  return status === 200 || (op === 'get' && status === 404) || status === 400 || status === 413;
}

/** Whether this answer is the request's last: final, or a client that does not (or may no longer) retry. */
function endsHere(op: ClientOpState, status: number): boolean {
  return isFinal(op.op, status) || !op.retry || op.attempts.length >= attemptsMax;
}

/** The clients' turn: look at the answers that came back, and try again where it makes sense. */
export function tickClients(state: ClientsState, sim: Simulation): void {
  for (const op of state.ops) {
    if (op.done) continue;
    const last = op.attempts[op.attempts.length - 1]!;
    const r = sim.request(last.requestId);
    if (!r || r.repliedAt === null || !r.response) continue;
    const status = r.response.status;
    if (endsHere(op, status)) {
      op.done = true;
      continue;
    }
    const hint = status === 409 ? (r.response.body.leaderId as NodeId | undefined) : undefined;
    if (hint && sim.nodeIds.includes(hint)) {
      send(sim, op, hint);
      continue;
    }
    op.retryAt ??= r.repliedAt + retryBackoffMs;
    if (sim.now < op.retryAt) continue;
    const next = sim.nodeIds[(sim.nodeIds.indexOf(last.node) + 1) % sim.nodeIds.length]!;
    send(sim, op, next);
  }
}

/** Drops the oldest finished requests beyond the panel's limit (requests under way stay). */
function forgetOld(state: ClientsState): void {
  let excess = state.ops.filter((op) => op.done).length - finishedKeptMax;
  if (excess <= 0) return;
  state.ops = state.ops.filter((op) => !(op.done && excess-- > 0));
}

/** The panel's view: newest first. Tries made after the moment shown (time travel) are left out. */
export function clientViews(state: ClientsState, sim: Simulation, max: number): ClientRequestView[] {
  const views: ClientRequestView[] = [];
  for (let i = state.ops.length - 1; i >= 0 && views.length < max; i--) {
    const op = state.ops[i]!;
    const attempts: AttemptView[] = [];
    let lastBody: Record<string, unknown> | null = null;
    for (const a of op.attempts) {
      const r = sim.request(a.requestId);
      const answered = r && r.repliedAt !== null && r.response ? r.response : null;
      attempts.push({
        node: a.node, sentAt: a.sentAt, status: answered?.status ?? null, repliedAt: answered ? r!.repliedAt : null,
        hint: answered?.status === 409 ? ((answered.body.leaderId as string | undefined) ?? null) : null,
      });
      lastBody = answered?.body ?? null;
    }
    const last = attempts[attempts.length - 1]!;
    // Final as soon as the answer that ends it is in (the clients' next turn marks it done).
    const final = last.status !== null && endsHere(op, last.status) ? last : null;
    views.push({
      id: op.id, op: op.op, key: op.key, value: op.op === 'put' ? op.value : null, node: last.node, via: op.via, stale: op.stale,
      sentAt: op.startedAt, status: final?.status ?? null, body: final ? lastBody : null, repliedAt: final?.repliedAt ?? null,
      client: op.client, attempts, latencyMs: final?.repliedAt != null ? final.repliedAt - op.startedAt : null,
    });
  }
  return views;
}
