/** Polling helpers over a ClusterDriver, with the conventions of docs/scenarios.md. */
import type { ApiResponse } from '../api';
import type { NodeId } from '../types';
import type { ClusterDriver, NodeStatus } from './driver';
import { ScenarioFailure } from './driver';

/** Real-process limits (docs/scenarios.md, Conventions); the simulator uses the same numbers in simulated time. */
export const limits = {
  stableLeaderMs: 25_000,
  reelectionMs: 20_000,
  writeMs: 5_000,
  readMs: 3_000,
  pollMs: 250,
} as const;

export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ScenarioFailure(message);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(d: ClusterDriver, what: string, timeoutMs: number, probe: () => Promise<T | undefined>, pollMs: number = limits.pollMs): Promise<T> {
  const deadline = d.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (d.now() >= deadline) throw new ScenarioFailure(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await d.sleep(pollMs);
  }
}

export async function statuses(d: ClusterDriver, ids: readonly NodeId[] = d.nodeIds): Promise<NodeStatus[]> {
  const out: NodeStatus[] = [];
  for (const id of ids) out.push(await d.status(id));
  return out;
}

/** The single leader among `ids` with every other live node following it in the same term. */
function agreedLeader(all: NodeStatus[]): { id: NodeId; term: number } | undefined {
  const leaders = all.filter((s) => s.role === 'leader');
  if (leaders.length !== 1) return undefined;
  const leader = leaders[0]!;
  const live = all.filter((s) => s.role !== 'down');
  const agree = live.every((s) => s.term === leader.term && (s.role === 'leader' || (s.role === 'follower' && s.leaderId === leader.id)));
  return agree ? { id: leader.id, term: leader.term } : undefined;
}

/**
 * "Stable leader": the same single leader, followed by every live node in `ids`, seen in 5
 * consecutive polls 250 ms apart.
 */
export async function stableLeader(d: ClusterDriver, timeoutMs: number = limits.stableLeaderMs, ids: readonly NodeId[] = d.nodeIds): Promise<NodeId> {
  let streak = 0;
  let last: NodeId | null = null;
  return waitFor(d, `a stable leader among ${ids.join(',')}`, timeoutMs, async () => {
    const leader = agreedLeader(await statuses(d, ids));
    streak = leader && leader.id === last ? streak + 1 : leader ? 1 : 0;
    last = leader?.id ?? null;
    return streak >= 5 ? last! : undefined;
  });
}

export const others = (d: ClusterDriver, ...exclude: NodeId[]): NodeId[] => d.nodeIds.filter((id) => !exclude.includes(id));

/** Puts and requires 200 within the client write limit. */
export async function putOk(d: ClusterDriver, node: NodeId, key: string, value: string): Promise<void> {
  const response = await d.put(node, key, value);
  check(response.status === 200, `PUT ${key}=${value} on ${node}: expected 200, got ${describe(response)}`);
}

/** Waits until a linearizable GET of `key` on `node` returns `value` (or 404 when value is null). */
export async function readEventually(d: ClusterDriver, node: NodeId, key: string, value: string | null, timeoutMs: number): Promise<void> {
  await waitFor(d, `${key}=${value ?? '(absent)'} on ${node}`, timeoutMs, async () => {
    const response = await d.get(node, key);
    return readMatches(response, value) ? true : undefined;
  });
}

export function readMatches(response: ApiResponse, value: string | null): boolean {
  if (value === null) return response.status === 404;
  return response.status === 200 && response.body.value === value;
}

/** Waits until every node in `nodes` serves the value, all within one deadline. */
export async function readEverywhere(d: ClusterDriver, nodes: readonly NodeId[], key: string, value: string | null, timeoutMs: number): Promise<void> {
  const deadline = d.now() + timeoutMs;
  for (const node of nodes) await readEventually(d, node, key, value, Math.max(0, deadline - d.now()));
}

export function describe(response: ApiResponse): string {
  return `${response.status} ${JSON.stringify(response.body)}`;
}
