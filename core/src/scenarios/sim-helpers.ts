/** Small steps for simulator scenarios: find leaders, write through clients, compare logs. */
import type { ApiResponse } from '../api';
import type { NodeId } from '../types';
import { ScenarioFailure } from './driver';
import { check } from './helpers';
import type { SimScenarioContext } from './sim-scenario';

/** The live leader among `among` with the highest term (undefined if none). */
export function leaderAmong(ctx: SimScenarioContext, among: readonly NodeId[] = ctx.sim.nodeIds): NodeId | undefined {
  let best: { id: NodeId; term: number } | undefined;
  for (const id of among) {
    const raft = ctx.sim.node(id).raft;
    if (raft?.role === 'leader' && (!best || raft.term > best.term)) best = { id, term: raft.term };
  }
  return best?.id;
}

export async function waitForLeader(ctx: SimScenarioContext, among: readonly NodeId[] = ctx.sim.nodeIds, maxMs = 10_000): Promise<NodeId> {
  let leader: NodeId | undefined;
  await ctx.runUntil(() => (leader = leaderAmong(ctx, among)) !== undefined, maxMs);
  if (!leader) throw new ScenarioFailure(`no leader among ${among.join(',')} within ${maxMs} ms`);
  return leader;
}

/** Sends one client request and runs until it is answered (or `maxMs` passes). */
export async function request(ctx: SimScenarioContext, node: NodeId, op: 'put' | 'get' | 'delete', key: string, value?: string, maxMs = 5_000): Promise<ApiResponse | null> {
  const id = ctx.act({ type: 'client', request: { clientId: 'scenario', node, op, key, value } })!;
  const sent = ctx.sim.request(id)!;
  await ctx.runUntil(() => sent.repliedAt !== null, maxMs);
  return sent.response && sent.repliedAt !== null ? sent.response : null;
}

/** Writes through whichever node leads, following leader changes, until acknowledged. */
export async function putCommitted(ctx: SimScenarioContext, key: string, value: string, among: readonly NodeId[] = ctx.sim.nodeIds, maxMs = 10_000): Promise<void> {
  const deadline = ctx.sim.now + maxMs;
  while (ctx.sim.now < deadline) {
    const leader = await waitForLeader(ctx, among, deadline - ctx.sim.now);
    const response = await request(ctx, leader, 'put', key, value, deadline - ctx.sim.now);
    if (response?.status === 200) return;
    await ctx.runFor(50);
  }
  throw new ScenarioFailure(`${key}=${value} was not committed within ${maxMs} ms`);
}

/** Runs until every node in `ids` has applied the leader's whole committed log. */
export async function waitForConvergence(ctx: SimScenarioContext, ids: readonly NodeId[] = ctx.sim.nodeIds, maxMs = 10_000): Promise<void> {
  const converged = () => {
    const views = ids.map((id) => ctx.sim.view(id));
    const commit = Math.max(...views.map((v) => v.commitIndex));
    return views.every((v) => v.up && v.lastApplied === commit && v.lastIndex === views[0]!.lastIndex);
  };
  const ok = await ctx.runUntil(converged, maxMs);
  check(ok, `nodes ${ids.join(',')} did not converge within ${maxMs} ms: ${ids.map((id) => {
    const v = ctx.sim.view(id);
    return `${id}(commit ${v.commitIndex}, applied ${v.lastApplied}, last ${v.lastIndex})`;
  }).join(' ')}`);
}

/** The value of `key` in node `id`'s state machine. */
export const valueOn = (ctx: SimScenarioContext, id: NodeId, key: string): string | undefined => ctx.sim.node(id).kv.get(key);

export function checkNoViolations(ctx: SimScenarioContext): void {
  const v = ctx.sim.violations;
  check(v.length === 0, `invariant violated: ${v.map((x) => `${x.property}: ${x.message}`).join('; ')}`);
}

export const termOf = (ctx: SimScenarioContext, id: NodeId): number => ctx.sim.view(id).term;
