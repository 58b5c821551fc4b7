/**
 * Message-level control for scripted simulator scenarios: find a message on the wire, hold it back,
 * let it go, drop it; and the small steps the bug-zoo scripts share (elect a chosen node, crash a
 * node with what it still had on the wire, write without waiting).
 */
import type { Message } from '../messages';
import type { InFlightMessage } from '../sim/network';
import type { NodeId } from '../types';
import { ScenarioFailure } from './driver';
import type { SimScenarioContext } from './sim-scenario';
import { leaderAmong } from './sim-helpers';

export type MessageFilter = (m: Message) => boolean;

export const onWire = (ctx: SimScenarioContext, filter: MessageFilter): InFlightMessage[] =>
  ctx.sim.inFlight().filter((f) => filter(f.message));

/** Runs until a message matching `filter` is on the wire; returns it (fails after `maxMs`). */
export async function nextOnWire(ctx: SimScenarioContext, what: string, filter: MessageFilter, maxMs = 2_000): Promise<InFlightMessage> {
  let found: InFlightMessage | undefined;
  await ctx.runUntil(() => (found = onWire(ctx, filter)[0]) !== undefined, maxMs);
  if (!found) throw new ScenarioFailure(`no ${what} went out within ${maxMs} ms`);
  return found;
}

/** Holds a message on the wire: it arrives `ms` from now (0: now). */
export const hold = (ctx: SimScenarioContext, flight: InFlightMessage, ms: number): void => {
  ctx.act({ type: 'holdMessage', id: flight.id, ms });
};

export const drop = (ctx: SimScenarioContext, flight: InFlightMessage): void => {
  ctx.act({ type: 'dropMessage', id: flight.id });
};

/**
 * Runs until `count` messages matching `filter` have gone out, holding each back by `ms` as it
 * appears. Returns them, in the order they went out.
 */
export async function holdEach(ctx: SimScenarioContext, what: string, filter: MessageFilter, count: number, ms: number, maxMs = 2_000): Promise<InFlightMessage[]> {
  const held: InFlightMessage[] = [];
  const isNew = (f: InFlightMessage) => filter(f.message) && !held.some((h) => h.id === f.id);
  const deadline = ctx.sim.now + maxMs;
  while (held.length < count) {
    let fresh: InFlightMessage[] = [];
    await ctx.runUntil(() => (fresh = ctx.sim.inFlight().filter(isNew)).length > 0, deadline - ctx.sim.now);
    if (fresh.length === 0) throw new ScenarioFailure(`only ${held.length} of ${count} ${what} went out within ${maxMs} ms`);
    for (const f of fresh) {
      hold(ctx, f, ms);
      held.push(f);
    }
  }
  return held;
}

/** Crashes a node and drops what it still had on the wire, except the messages in `keep`. */
export function crashSilently(ctx: SimScenarioContext, id: NodeId, keep: readonly InFlightMessage[] = []): void {
  ctx.act({ type: 'crash', node: id });
  for (const flight of ctx.sim.inFlight()) {
    if (flight.message.from === id && !keep.some((k) => k.id === flight.id)) drop(ctx, flight);
  }
}

/** Asks `id` to campaign, up to `rounds` times, until it leads. Returns whether it does. */
export async function tryToElect(ctx: SimScenarioContext, id: NodeId, rounds = 5): Promise<boolean> {
  for (let round = 0; round < rounds && leaderAmong(ctx, [id]) === undefined; round++) {
    ctx.act({ type: 'campaign', node: id });
    await ctx.runUntil(() => leaderAmong(ctx, [id]) !== undefined || ctx.sim.node(id).raft?.role === 'follower', 500);
  }
  return leaderAmong(ctx, [id]) !== undefined;
}

/** Sends puts to `node` without waiting; returns the request ids (read them with ctx.sim.request). */
export function sendPuts(ctx: SimScenarioContext, node: NodeId, writes: readonly [string, string][]): number[] {
  return writes.map(([key, value]) => ctx.act({ type: 'client', request: { clientId: `zoo-${key}-${value}`, node, op: 'put', key, value } })!);
}

export const statusOf = (ctx: SimScenarioContext, id: NodeId) => ctx.sim.node(id).raft?.status();

/** The index of the last entry in `id`'s log (its durable storage while it is down). */
export const lastIndexOf = (ctx: SimScenarioContext, id: NodeId): number => ctx.sim.view(id).lastIndex;

export const isAppend = (from: NodeId, to: NodeId, withEntries = true): MessageFilter => (m) =>
  m.type === 'AppendEntries' && m.from === from && m.to === to && (!withEntries || m.entries.length > 0);

export const isAppendAck = (from: NodeId, to: NodeId): MessageFilter => (m) =>
  m.type === 'AppendEntriesResponse' && m.from === from && m.to === to && m.success;
