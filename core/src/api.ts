/**
 * Client API answers as docs/api.md describes them, built in one place so that the simulator,
 * the playground's client panel and the real nodes give learners the same status codes and bodies.
 */
import type { HistoryStatus } from './check/history';
import type { SessionRejection } from './sessions';
import type { ConfigChange, Configuration, NodeId } from './types';

/** The client operations: the reference's three, compare-and-swap, a range read, opening a session. */
export type ClientOp = 'put' | 'get' | 'delete' | 'cas' | 'range' | 'session';

export interface ApiResponse {
  /** HTTP status; 0 means the connection failed (refused, or lost because the node crashed). */
  status: number;
  body: Record<string, unknown>;
}

export const api = {
  stored: (key: string): ApiResponse => ({ status: 200, body: { ok: true, message: 'stored', key } }),
  deleted: (key: string): ApiResponse => ({ status: 200, body: { ok: true, message: 'deleted', key } }),
  found: (key: string, value: string, stale: boolean): ApiResponse => ({
    status: 200,
    body: stale ? { ok: true, key, value, stale: true } : { ok: true, key, value },
  }),
  notFound: (): ApiResponse => ({ status: 404, body: { ok: false, error: 'not_found', message: 'key not found' } }),
  swapped: (key: string, swapped: boolean, value: string | null): ApiResponse => ({ status: 200, body: { ok: true, key, swapped, value } }),
  sessionOpened: (clientId: number, timeoutMs: number): ApiResponse => ({ status: 200, body: { ok: true, clientId, timeoutMs } }),
  /** `index`: the applied index the answer reflects (a watcher resumes after it). */
  range: (prefix: string, index: number, kvs: [string, string][], more: boolean, stale: boolean): ApiResponse => {
    const body: Record<string, unknown> = { ok: true, prefix, index, kvs: kvs.map(([key, value]) => ({ key, value })), more };
    if (stale) body.stale = true;
    return { status: 200, body };
  },
  sessionRejected: (error: SessionRejection): ApiResponse => ({ status: sessionRejections[error].status, body: { ...sessionRejections[error].body } }),
  /** A watch from an index this node no longer holds the changes of. */
  compacted: (firstIndex: number, snapshotIndex: number): ApiResponse => ({
    status: 410,
    body: {
      ok: false, error: 'compacted', message: `changes before index ${firstIndex} are no longer held here: read the state again (GET /range) and watch from its index + 1`,
      firstIndex, snapshotIndex,
    },
  }),
  emptyKey: (): ApiResponse => ({ status: 400, body: { ok: false, error: 'bad_request', message: 'key cannot be empty' } }),
  badRequest: (): ApiResponse => ({ status: 400, body: { ok: false, error: 'bad_request', message: 'invalid JSON body' } }),
  notLeader: (leaderId: NodeId | null, leaderUrl: string | null): ApiResponse => {
    const body: Record<string, unknown> = { ok: false, error: 'not_leader', message: 'not leader' };
    if (leaderId !== null) body.leaderId = leaderId;
    if (leaderUrl !== null) body.leader = leaderUrl;
    return { status: 409, body };
  },
  timeout: (): ApiResponse => ({ status: 504, body: { ok: false, error: 'timeout', message: 'proposal timeout' } }),
  leadershipLost: (): ApiResponse => ({
    status: 503,
    body: { ok: false, error: 'leadership_lost', message: 'leadership lost: the entry was replaced and will not commit' },
  }),
  unavailable: (message: string): ApiResponse => ({ status: 503, body: { ok: false, error: 'unavailable', message } }),
  /** A membership change committed (and applied here): the configuration it made. */
  membershipChanged: (change: ConfigChange, config: Configuration): ApiResponse => ({
    status: 200, body: { ok: true, message: 'membership changed', change, voters: config.voters, learners: config.learners },
  }),
  /** A membership change that was not proposed, and why (409: the cluster is in the wrong state for it). */
  membershipRefused: (reason: string, message: string): ApiResponse => ({ status: 409, body: { ok: false, error: reason, message } }),
  /** The leader is handing leadership over: writes wait for the new leader (the hint). */
  transferring: (target: NodeId | null, url: string | null): ApiResponse => {
    const body: Record<string, unknown> = { ok: false, error: 'leadership_transfer', message: 'leadership is being transferred; retry at the new leader' };
    if (target !== null) body.leaderId = target;
    if (url !== null) body.leader = url;
    return { status: 503, body };
  },
  leaderTransferred: (leaderId: NodeId): ApiResponse => ({ status: 200, body: { ok: true, message: 'leadership transferred', leaderId } }),
  transferFailed: (message: string): ApiResponse => ({ status: 503, body: { ok: false, error: 'transfer_failed', message } }),
  connectionRefused: (): ApiResponse => ({ status: 0, body: { ok: false, error: 'connection_refused', message: 'node is down' } }),
  connectionLost: (): ApiResponse => ({ status: 0, body: { ok: false, error: 'connection_lost', message: 'node crashed before answering' } }),
} as const;

/** The answers to a session write the state machine refused; each certainly changed nothing. */
const sessionRejections: Record<SessionRejection, ApiResponse> = {
  session_expired: {
    status: 410,
    body: { ok: false, error: 'session_expired', message: 'the session expired or never existed: open a new one (POST /session)' },
  },
  stale_sequence: {
    status: 400,
    body: { ok: false, error: 'stale_sequence', message: 'Client-Seq is below an earlier Client-Ack of this session: its answer was forgotten' },
  },
  too_many_outstanding: {
    status: 429,
    body: { ok: false, error: 'too_many_outstanding', message: 'the session holds too many unacknowledged answers: raise Client-Ack' },
  },
};

/** True when the key is empty or only whitespace (checked before the leader check). */
export const isEmptyKey = (key: unknown): boolean => typeof key !== 'string' || key.trim() === '';

/**
 * What a client may conclude from an answer, for the history the linearizability checker reads.
 * A write is `fail` only when it certainly did not take effect; a timeout or a lost connection
 * leaves it `unknown` (the entry may still commit).
 */
export function outcomeOf(op: ClientOp, response: ApiResponse): HistoryStatus {
  const { status } = response;
  if (status === 200 || (op === 'get' && status === 404)) return 'ok';
  if (op === 'get' || op === 'range') return 'fail';
  if (status === 504) return 'unknown';
  if (status === 0) return response.body.error === 'connection_refused' ? 'fail' : 'unknown';
  return 'fail';
}
