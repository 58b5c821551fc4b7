/**
 * Concurrent clients over a small key space, so that operations collide. Each does one request at
 * a time: put (a unique value), get (linearizable, on any node) or delete. Writes go to the node it
 * believes leads, following 409 hints; after a failure it tries another node with a fresh request
 * (never a blind retry of the same one, whose outcome may still be pending).
 */
import type { ApiResponse, Prng } from '@raft-kv/core';
import { outcomeOf } from '@raft-kv/core';
import type { HistoryOp } from '@raft-kv/core/check';
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
    let leaderGuess: string | null = null;
    for (let n = 1; !shouldStop(); n++) {
      const op = pickOp(rng);
      const key = `k${rng.int(1, options.keys)}`;
      // `nodes` may change while the clients run (membership faults): looked up at each request.
      const node: ClientTarget = op === 'get' || leaderGuess === null ? rng.pick(nodes) : nodes.find((n) => n.id === leaderGuess) ?? rng.pick(nodes);
      const value = op === 'put' ? `${clientId}-${n}` : undefined;
      const response = await call(node, op, key, value, options.requestTimeoutMs, clientId, history, options.agents);
      if (op !== 'get') {
        stats.writeAttempts++;
        if (response.status === 200) {
          stats.acknowledgedWrites++;
          stats.ackTimes.push(nowNs());
        }
      }
      if (response.status === 409 && typeof response.body.leaderId === 'string') leaderGuess = response.body.leaderId;
      else if (response.status !== 200 && response.status !== 404) leaderGuess = null;
      else if (op !== 'get') leaderGuess = node.id;
      await sleep(rng.int(0, options.thinkMsMax));
    }
  });
  return { done: Promise.all(loops).then(() => undefined), stats };
}

function pickOp(rng: Prng): 'put' | 'get' | 'delete' {
  const r = rng.next();
  return r < 0.5 ? 'put' : r < 0.9 ? 'get' : 'delete';
}

/** One request, recorded in the history with what the client can conclude from the answer. */
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
