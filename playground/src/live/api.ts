/**
 * HTTP for live mode: the supervisor's API on the page's own origin (core/src/live.ts) and the
 * nodes' KV API (docs/api.md), both through an injected fetch. Answers come back as plain
 * data; a request that gets no answer becomes status 0 with an `error` saying why, as the
 * simulator's client reports a node that is down.
 */
import type { LiveCluster, LiveFaultCommand, LiveFaults, NodeId } from '@raft-kv/core';
import type { ClientOp } from '../engine/protocol';

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** The client-side limits for real processes (docs/scenarios.md): a write waits 5 s, a read 3 s. */
export const writeTimeoutMs = 5000;
export const readTimeoutMs = 3000;
/** The supervisor answers at once; a kill or restart takes a moment. */
export const supervisorTimeoutMs = 8000;

export interface HttpAnswer {
  status: number;
  body: Record<string, unknown>;
}

async function bodyOf(res: Response): Promise<Record<string, unknown>> {
  const text = await res.text();
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { ok: false, error: 'not_json', message: text.slice(0, 200) };
  }
}

const failureOf = (error: unknown, timeoutMs: number): HttpAnswer => {
  const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
  return timedOut
    ? { status: 0, body: { ok: false, error: 'client_timeout', message: `no answer within ${timeoutMs} ms` } }
    : { status: 0, body: { ok: false, error: 'no_response', message: error instanceof Error ? error.message : String(error) } };
};

async function request(fetch: Fetch, url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, body: await bodyOf(res) };
  } catch (error) {
    return failureOf(error, timeoutMs);
  }
}

// ---- supervisor ---------------------------------------------------------------------------------

export class SupervisorError extends Error {
  override name = 'SupervisorError';
}

function isCluster(body: Record<string, unknown>): body is Record<string, unknown> & LiveCluster {
  return Array.isArray(body.nodes) && body.nodes.every((n: unknown) => typeof n === 'object' && n !== null && typeof (n as { id?: unknown }).id === 'string');
}

/** GET /api/cluster; throws a SupervisorError that says what went wrong. */
export async function fetchCluster(fetch: Fetch, origin: string, timeoutMs = supervisorTimeoutMs): Promise<LiveCluster> {
  const answer = await request(fetch, `${origin}/api/cluster`, { method: 'GET', cache: 'no-store' }, timeoutMs);
  if (answer.status === 0) throw new SupervisorError(`no answer from ${origin}/api/cluster (${String(answer.body.message)})`);
  if (answer.status !== 200 || !isCluster(answer.body)) throw new SupervisorError(`${origin}/api/cluster answered ${answer.status}: not a live cluster`);
  return { nodes: answer.body.nodes };
}

async function supervisorPost(fetch: Fetch, origin: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const init: RequestInit = body === undefined
    ? { method: 'POST' }
    : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const answer = await request(fetch, `${origin}${path}`, init, supervisorTimeoutMs);
  if (answer.status === 0) throw new SupervisorError(`no answer from the supervisor (${String(answer.body.message)})`);
  if (answer.status < 200 || answer.status >= 300 || answer.body.ok === false) {
    throw new SupervisorError(`${answer.status} ${String(answer.body.message ?? answer.body.error ?? JSON.stringify(answer.body))}`);
  }
  return answer.body;
}

export const killNode = (fetch: Fetch, origin: string, id: NodeId) => supervisorPost(fetch, origin, `/api/nodes/${encodeURIComponent(id)}/kill`);
export const restartNode = (fetch: Fetch, origin: string, id: NodeId) => supervisorPost(fetch, origin, `/api/nodes/${encodeURIComponent(id)}/restart`);

/** POST /api/faults; the answer carries every node's faults. */
export async function sendFault(fetch: Fetch, origin: string, command: LiveFaultCommand): Promise<Record<NodeId, LiveFaults> | null> {
  const body = await supervisorPost(fetch, origin, '/api/faults', command);
  return typeof body.faults === 'object' && body.faults !== null ? (body.faults as Record<NodeId, LiveFaults>) : null;
}

// ---- KV API -------------------------------------------------------------------------------------

/** The request a client sends for an operation, exactly as curl would (docs/api.md). */
export function kvRequestOf(kvUrl: string, op: ClientOp, key: string, value: string, stale: boolean): { url: string; init: RequestInit; timeoutMs: number } {
  const k = encodeURIComponent(key);
  switch (op) {
    case 'put':
      return {
        url: `${kvUrl}/set`,
        init: { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key, value }) },
        timeoutMs: writeTimeoutMs,
      };
    case 'get':
      return { url: `${kvUrl}/get?key=${k}${stale ? '&consistency=stale' : ''}`, init: { method: 'GET', cache: 'no-store' }, timeoutMs: readTimeoutMs };
    case 'delete':
      return { url: `${kvUrl}/delete?key=${k}`, init: { method: 'DELETE' }, timeoutMs: writeTimeoutMs };
  }
}

export async function kvRequest(fetch: Fetch, kvUrl: string, op: ClientOp, key: string, value: string, stale: boolean): Promise<HttpAnswer> {
  const { url, init, timeoutMs } = kvRequestOf(kvUrl, op, key, value, stale);
  return request(fetch, url, init, timeoutMs);
}

// ---- membership, through the supervisor (docs/live-mode.md, "The supervisor API") ---------------

/**
 * A membership request waits for the leader to commit the change (up to the node's write timeout)
 * or for a transfer (up to an election timeout); the supervisor gives each node 10 s.
 */
export const membershipTimeoutMs = 15_000;

const jsonInit = (method: string, body?: unknown): RequestInit => body === undefined
  ? { method }
  : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };

/** GET /api/members: the leader's GET /cluster/members (or any running node's while none leads). */
export const fetchMembers = (fetch: Fetch, origin: string): Promise<HttpAnswer> =>
  request(fetch, `${origin}/api/members`, { method: 'GET', cache: 'no-store' }, supervisorTimeoutMs);

/** POST /api/nodes: a new node process with a fresh data directory, joining; not a member yet. */
export const startNodeProcess = (fetch: Fetch, origin: string): Promise<HttpAnswer> =>
  request(fetch, `${origin}/api/nodes`, jsonInit('POST'), supervisorTimeoutMs);

/** GET /api/cluster as a plain answer (the add flow waits on it for the new process to run). */
export const clusterAnswer = (fetch: Fetch, origin: string): Promise<HttpAnswer> =>
  request(fetch, `${origin}/api/cluster`, { method: 'GET', cache: 'no-store' }, supervisorTimeoutMs);

/** The membership change or transfer a button asks for. */
export type MemberAction = { type: 'add'; node: NodeId } | { type: 'promote'; node: NodeId } | { type: 'remove'; node: NodeId } | { type: 'transfer'; node: NodeId };

/** The supervisor request for a membership action, passed to the leader with the cluster token. */
export function memberRequestOf(origin: string, action: MemberAction): { url: string; init: RequestInit } {
  const node = encodeURIComponent(action.node);
  switch (action.type) {
    case 'add':
      return { url: `${origin}/api/members`, init: jsonInit('POST', { id: action.node }) };
    case 'promote':
      return { url: `${origin}/api/members/${node}/promote`, init: jsonInit('POST') };
    case 'remove':
      return { url: `${origin}/api/members/${node}`, init: jsonInit('DELETE') };
    case 'transfer':
      return { url: `${origin}/api/leader`, init: jsonInit('POST', { id: action.node }) };
  }
}

export function memberRequest(fetch: Fetch, origin: string, action: MemberAction): Promise<HttpAnswer> {
  const { url, init } = memberRequestOf(origin, action);
  return request(fetch, url, init, membershipTimeoutMs);
}
