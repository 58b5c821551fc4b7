/**
 * One scenario per protocol switch the playground can turn off, each passing with the switch on
 * and failing without it, so a learner sees what the rule prevents. (CheckQuorum, ReadIndex and
 * the current-term commit rule have theirs in paper.ts and figure8.ts: partitioned-old-leader,
 * stale-read and figure8.) They run with the simulator's defaults; the playground turns a switch
 * off on top.
 */
import type { NodeId } from '../types';
import { check } from './helpers';
import { leaderStaysFor } from './paper';
import type { SimScenario } from './sim-scenario';
import { checkNoViolations, putCommitted, request, waitForConvergence, waitForLeader } from './sim-helpers';

const without = (ids: readonly NodeId[], ...exclude: NodeId[]) => ids.filter((id) => !exclude.includes(id));

export const preVoteRejoin: SimScenario = {
  id: 'prevote-rejoin',
  title: 'PreVote: a node that was cut off rejoins quietly',
  summary: 'A follower cut off for a few seconds keeps timing out. With PreVote it never raises its term, so on its return the leader keeps leading; without PreVote its higher term deposes a healthy leader.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    await ctx.runFor(500);
    const loner = without(ctx.sim.nodeIds, leader)[0]!;
    const term = ctx.sim.view(leader).term;
    ctx.narrate(`Cut ${loner} off for 4 s. It hears no leader and times out again and again.`);
    ctx.act({ type: 'isolate', node: loner });
    await ctx.runFor(4_000);
    const lonerTerm = ctx.sim.view(loner).term;
    ctx.narrate(lonerTerm > term
      ? `${loner} is now in term ${lonerTerm} (the leader is in term ${term}): each timeout started a real election. Heal.`
      : `${loner} is still in term ${lonerTerm}: its pre-votes found no majority, so it never started a real election. Heal.`);
    ctx.act({ type: 'healAll' });
    await leaderStaysFor(ctx, leader, 3_000);
    ctx.narrate(`${leader} still leads term ${term}: the returning node did not disrupt it.`);
    await waitForConvergence(ctx);
    checkNoViolations(ctx);
  },
};

export const noopRead: SimScenario = {
  id: 'noop-read',
  title: 'The leader\'s no-op entry: a new leader can answer at once',
  summary: 'x=1 reaches a majority but the leader dies before anyone learns it committed. The new leader\'s no-op commits it at once and a read returns it; without the no-op the entry stays uncommitted and the read waits until it times out.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const old = await waitForLeader(ctx);
    await ctx.runUntil(() => ctx.sim.nodeIds.every((id) => ctx.sim.view(id).commitIndex >= ctx.sim.view(old).commitIndex), 2_000);
    const [heir, other] = without(ctx.sim.nodeIds, old) as [NodeId, NodeId];
    ctx.narrate(`${old} can reach only ${heir}; a client writes x=1, which ${old} appends and sends to ${heir} alone.`);
    ctx.act({ type: 'cut', from: old, to: other, bothWays: true });
    ctx.act({ type: 'client', request: { clientId: 'noop', node: old, op: 'put', key: 'x', value: '1', record: false } });
    const index = ctx.sim.view(old).lastIndex + 1;
    const stored = await ctx.runUntil(() => ctx.sim.view(heir).lastIndex >= index, 2_000);
    check(stored, `x=1 did not reach ${heir}`);
    ctx.narrate(`${heir} stores x=1 at index ${index}. ${old} crashes before it tells anyone that index ${index} is committed.`);
    ctx.act({ type: 'crash', node: old });
    for (const flight of ctx.sim.inFlight()) if (flight.message.from === old) ctx.act({ type: 'dropMessage', id: flight.id });
    const leader = await waitForLeader(ctx, [heir, other], 5_000);
    ctx.narrate(`${leader} leads term ${ctx.sim.view(leader).term} with x=1 in its log from an older term. A client reads x from it.`);
    const read = await request(ctx, leader, 'get', 'x', undefined, 4_000);
    const commit = ctx.sim.view(leader).commitIndex;
    check(read?.status === 200 && read.body.value === '1', `the read got ${read ? `${read.status} ${JSON.stringify(read.body)}` : 'no answer'}: ${leader}'s commit index is ${commit}, below x=1's index ${index} (an entry of an older term commits only under one of the leader's own)`);
    ctx.narrate(`The no-op of ${leader}'s term committed x=1 with it (commit index ${commit}), so the read answered x=1 at once.`);
    checkNoViolations(ctx);
  },
};

export const fastBacktracking: SimScenario = {
  id: 'fast-backtracking',
  title: 'Fast log backtracking: finding where two logs match',
  summary: 'An old leader with 30 entries nobody else has meets a new leader 40 entries ahead. With conflict hints the leader finds the match point in two rejected AppendEntries; stepping back one entry per rejection takes many more round trips.',
  sim: { nodeCount: 3, snapshotThreshold: 10_000 },
  async run(ctx) {
    await ctx.runUntil(() => ctx.sim.leader() !== null && ctx.sim.nodeIds.every((id) => ctx.sim.view(id).commitIndex >= 1), 5_000);
    const old = await waitForLeader(ctx);
    ctx.narrate(`Cut off the leader ${old}; clients still send it 30 writes that can never commit.`);
    ctx.act({ type: 'isolate', node: old });
    for (let i = 0; i < 30; i++) ctx.act({ type: 'client', request: { clientId: 'lost', node: old, op: 'put', key: `lost${i}`, value: 'x', record: false } });
    const second = await waitForLeader(ctx, without(ctx.sim.nodeIds, old), 5_000);
    const third = without(ctx.sim.nodeIds, old, second)[0]!;
    for (let i = 0; i < 40; i++) await putCommitted(ctx, `ok${i}`, 'y', [second, third]);
    ctx.narrate(`${second} and ${third} committed 40 writes. Now ${second} is cut off and ${old} returns: ${third} will lead, with ${old} reachable.`);
    let rejections = 0;
    const stop = ctx.sim.subscribe(({ event: e }) => {
      if (e.type === 'appendRejected' && e.node === old && (e.reason === 'term_mismatch' || e.reason === 'missing_entries')) rejections++;
    });
    ctx.act({ type: 'healAll' });
    ctx.act({ type: 'isolate', node: second });
    const leader = await waitForLeader(ctx, [old, third], 5_000);
    check(leader === third, `${leader} won, expected ${third}`);
    await ctx.runUntil(() => ctx.sim.view(old).lastApplied === ctx.sim.view(third).commitIndex && ctx.sim.view(third).commitIndex > 40, 10_000);
    stop();
    ctx.narrate(`${old} refused ${rejections} AppendEntries before ${third} found where their logs match.`);
    check(rejections <= 2, `${third} needed ${rejections} rejected AppendEntries (more than 2) to find the match point: it stepped back one entry at a time`);
    ctx.act({ type: 'healAll' });
    await waitForConvergence(ctx);
    checkNoViolations(ctx);
  },
};

export const protocolScenarios: readonly SimScenario[] = [preVoteRejoin, noopRead, fastBacktracking];
