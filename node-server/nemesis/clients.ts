/**
 * Concurrent clients over a small key space, so that operations collide. Each is a typed client
 * (node-server/client) with its own session, doing one operation at a time: put (a unique
 * value), get (linearizable, first asked of a random node), delete, or compare-and-swap (from the
 * value it last saw for the key, so that some swaps win and some lose). The client follows the
 * leader and resends an unanswered write with the same session number, so the cluster applies it
 * once; each operation is one history entry from its first send to its final answer, `unknown`
 * when the client gave up without learning the outcome.
 */
import type { ApiResponse, Prng } from '@raft-kv/core';
import { outcomeOf } from '@raft-kv/core';
import type { HistoryOp } from '@raft-kv/core/check';
import { KvClient, KvError } from '@raft-kv/client';
import { agentFetch } from '../src/http/agent-fetch';
import type { Agents } from '../src/http/client-request';
import { kvRequest } from './http-client';
import type { HistoryRecorder } from './history';
import { nowNs } from './history';

export interface ClientTarget {
  id: string;
  kvUrl: string;
}

export interface ClientOptions {
  clients: number;
  keys: number;
  requestTimeoutMs: number;
  /** Pause between a client's requests. */
  thinkMsMax: number;
  /** How requests reach the nodes (a namespaced cluster's tunnel, TLS); plain HTTP by default. */
  agents?: Agents;
}

export interface ClientStats {
  acknowledgedWrites: number;
  writeAttempts: number;
  /** Time (ns) of every acknowledged write, for the progress checks. */
  ackTimes: number[];
}

type Op = 'put' | 'get' | 'delete' | 'cas';

/** How long one operation may take, across the client's resends (a fault lasts up to 8 s). */
const operationDeadlineMs = 12_000;

export function runClients(
  nodes: readonly ClientTarget[],
  options: ClientOptions,
  prng: Prng,
  history: HistoryRecorder,
  shouldStop: () => boolean,
): { done: Promise<void>; stats: ClientStats } {
  const stats: ClientStats = { acknowledgedWrites: 0, writeAttempts: 0, ackTimes: [] };
  const loops = Array.from({ length: options.clients }, async (_, i) => {
    const clientId = `c${i + 1}`;
    const rng = prng.fork();
    const kv = new KvClient({
      endpoints: nodes.map((n) => n.kvUrl), requestTimeoutMs: options.requestTimeoutMs, deadlineMs: operationDeadlineMs,
      ...(options.agents ? { fetch: agentFetch(options.agents) } : {}),
    });
    const seen = new Map<string, string | null>();
    for (let n = 1; !shouldStop(); n++) {
      const op = pickOp(rng);
      const key = `k${rng.int(1, options.keys)}`;
      // `nodes` may change while the clients run (membership faults): the client asks the members of now.
      kv.endpoints.replace(nodes.map((t) => t.kvUrl));
      const readFrom = rng.pick(nodes).kvUrl;
      const entry = await perform(kv, op, key, `${clientId}-${n}`, seen, readFrom);
      history.record({ ...entry, clientId });
      if (op !== 'get') {
        stats.writeAttempts++;
        if (entry.status === 'ok') {
          stats.acknowledgedWrites++;
          stats.ackTimes.push(entry.return!);
        }
      }
      await sleep(rng.int(0, options.thinkMsMax));
    }
  });
  return { done: Promise.all(loops).then(() => undefined), stats };
}

function pickOp(rng: Prng): Op {
  const r = rng.next();
  return r < 0.4 ? 'put' : r < 0.8 ? 'get' : r < 0.9 ? 'delete' : 'cas';
}

/** One operation through the client, as the history records it. */
async function perform(kv: KvClient, op: Op, key: string, value: string, seen: Map<string, string | null>, readFrom: string): Promise<Omit<HistoryOp, 'clientId'>> {
  const call = nowNs();
  const entry: Omit<HistoryOp, 'clientId'> = { op, key, call, return: null, status: 'unknown' };
  if (op === 'put' || op === 'cas') entry.value = value;
  const expected = seen.get(key) ?? null;
  if (op === 'cas') entry.expected = expected;
  try {
    if (op === 'get') {
      entry.output = await kv.get(key, { endpoint: readFrom });
      seen.set(key, entry.output);
    } else if (op === 'put') {
      await kv.put(key, value);
      seen.set(key, value);
    } else if (op === 'delete') {
      await kv.delete(key);
      seen.set(key, null);
    } else {
      const result = await kv.cas(key, expected, value);
      entry.swapped = result.swapped;
      entry.output = result.value;
      seen.set(key, result.value);
    }
    entry.status = 'ok';
    entry.return = nowNs();
  } catch (err) {
    if (!(err instanceof KvError)) throw err;
    // A read that failed read nothing; a write is failed only when it certainly did not happen.
    entry.status = op === 'get' || err.outcome === 'failed' ? 'fail' : 'unknown';
    if (entry.status === 'fail') entry.return = nowNs();
  }
  return entry;
}

/** One request to one node, recorded in the history with what the client can conclude from the answer (the final reads). */
export async function call(
  node: ClientTarget, op: 'put' | 'get' | 'delete', key: string, value: string | undefined, timeoutMs: number, clientId: string,
  history: HistoryRecorder, agents?: Agents,
): Promise<ApiResponse> {
  const base = node.kvUrl;
  const callNs = nowNs();
  const response =
    op === 'put' ? await kvRequest(`${base}/set`, 'PUT', { key, value }, timeoutMs, agents)
    : op === 'get' ? await kvRequest(`${base}/get?key=${encodeURIComponent(key)}`, 'GET', undefined, timeoutMs, agents)
    : await kvRequest(`${base}/delete?key=${encodeURIComponent(key)}`, 'DELETE', undefined, timeoutMs, agents);
  const returnNs = nowNs();
  const status = outcomeOf(op, response);
  const entry: HistoryOp = { clientId, op, key, call: callNs, return: status === 'unknown' ? null : returnNs, status };
  if (value !== undefined) entry.value = value;
  if (op === 'get' && status === 'ok') entry.output = response.status === 200 ? String(response.body.value) : null;
  history.record(entry);
  return response;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
