/**
 * Membership changes and leadership transfer, as guided runs over the simulator: a server added
 * (a learner catches up, then is promoted), a crashed server replaced, the leader removed,
 * leadership handed over, a removed server that cannot disrupt anyone, and Ongaro's 2015
 * single-server bug with the rule that prevents it (a leader changes the membership only once it
 * has committed an entry of its own term) switched off.
 */
import type { ApiResponse } from '../api';
import type { ConfigChange, NodeId } from '../types';
import { ScenarioFailure } from './driver';
import { check } from './helpers';
import type { SimScenario, SimScenarioContext } from './sim-scenario';
import { checkNoViolations, leaderAmong, putCommitted, termOf, valueOn, waitForConvergence, waitForLeader } from './sim-helpers';

/** Sends a membership request (or a transfer) to `node` and waits for its answer. */
async function admin(ctx: SimScenarioContext, node: NodeId, request: { change: ConfigChange } | { target: NodeId }, maxMs = 5_000): Promise<ApiResponse> {
  const id = ctx.act({
    type: 'client',
    request: 'change' in request
      ? { clientId: 'operator', node, op: 'config', key: '', change: request.change, record: false }
      : { clientId: 'operator', node, op: 'transfer', key: '', target: request.target, record: false },
  })!;
  const answered = await ctx.runUntil(() => ctx.sim.request(id)?.repliedAt !== null, maxMs);
  check(answered, `no answer from ${node} within ${maxMs} ms`);
  return ctx.sim.request(id)!.response!;
}

/**
 * Proposes a change as an operator would: a leader that has not committed its term yet, or is
 * still committing the previous change, is asked again a moment later.
 */
async function changeOk(ctx: SimScenarioContext, leader: NodeId, change: ConfigChange): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const response = await admin(ctx, leader, { change });
    if (response.status === 200) return;
    const retry = response.body.error === 'leader_not_ready' || response.body.error === 'change_in_progress';
    check(retry && attempt < 20, `${change.type} ${change.node} was answered ${response.status} ${JSON.stringify(response.body)}`);
    await ctx.runFor(100);
  }
}

const configOf = (ctx: SimScenarioContext, id: NodeId) => ctx.sim.node(id).raft!.configuration;

/** Whether the leader has heard that the learner is in step with it (what a promotion requires). */
const leaderSeesCaughtUp = (ctx: SimScenarioContext, leader: NodeId, learner: NodeId): boolean => ctx.sim.node(leader).raft?.isCaughtUp(learner) === true;

/** Waits until the learner is in step with the leader, then promotes it. */
async function promoteWhenCaughtUp(ctx: SimScenarioContext, leader: NodeId, learner: NodeId): Promise<void> {
  const caughtUp = await ctx.runUntil(() => leaderSeesCaughtUp(ctx, leader, learner), 10_000);
  check(caughtUp, `${learner} did not catch up with ${leader}`);
  await changeOk(ctx, leader, { type: 'promote', node: learner });
}

export const addServer: SimScenario = {
  id: 'add-server',
  title: 'Add a server',
  summary: 'A new, empty server joins as a learner, receives the whole log without counting in any majority, and is promoted to voter once it has caught up.',
  sim: { seed: 21, nodeCount: 3 },
  async run(ctx) {
    const { narrate } = ctx;
    const leader = await waitForLeader(ctx);
    for (let i = 0; i < 8; i++) await putCommitted(ctx, `k${i}`, String(i));
    narrate('A fourth server starts with an empty disk. It knows no members, so it never campaigns.');
    ctx.act({ type: 'addNode' });
    const n4 = ctx.sim.nodeIds[ctx.sim.nodeIds.length - 1]!;
    await ctx.runFor(1_500);
    check(ctx.sim.view(n4).term === 0, `${n4} campaigned before it was a member`);
    narrate(`${leader} adds ${n4} as a learner: it receives the log but does not count in majorities.`);
    await changeOk(ctx, leader, { type: 'addLearner', node: n4 });
    narrate(`${n4} catches up; then ${leader} promotes it to voter. A majority is now 3 of 4.`);
    await promoteWhenCaughtUp(ctx, leader, n4);
    check(configOf(ctx, leader).voters.length === 4, 'the cluster did not grow to four voters');
    await putCommitted(ctx, 'after', 'grown');
    await waitForConvergence(ctx);
    check(valueOn(ctx, n4, 'k0') === '0' && valueOn(ctx, n4, 'after') === 'grown', `${n4} lacks data`);
    checkNoViolations(ctx);
  },
};

export const replaceServer: SimScenario = {
  id: 'replace-server',
  title: 'Replace a crashed server',
  summary: 'A server dies for good. A new one is added as a learner, promoted once caught up, and the dead one is removed: the cluster is back to three healthy voters.',
  sim: { seed: 22, nodeCount: 3 },
  async run(ctx) {
    const { narrate } = ctx;
    const leader = await waitForLeader(ctx);
    await putCommitted(ctx, 'before', '1');
    const dead = ctx.sim.nodeIds.find((id) => id !== leader)!;
    narrate(`${dead} crashes and will not come back. Two of three voters remain: one more failure would stop the cluster.`);
    ctx.act({ type: 'crash', node: dead });
    ctx.act({ type: 'addNode' });
    const fresh = ctx.sim.nodeIds[ctx.sim.nodeIds.length - 1]!;
    narrate(`A new server ${fresh} starts empty; ${leader} adds it as a learner and promotes it once it has caught up.`);
    await changeOk(ctx, leader, { type: 'addLearner', node: fresh });
    await promoteWhenCaughtUp(ctx, leader, fresh);
    narrate(`Then ${leader} removes ${dead}: majorities no longer wait for it.`);
    await changeOk(ctx, leader, { type: 'remove', node: dead });
    check(!configOf(ctx, leader).voters.includes(dead) && configOf(ctx, leader).voters.includes(fresh), 'the membership is not the new one');
    await putCommitted(ctx, 'after', '2', ctx.sim.nodeIds.filter((id) => id !== dead));
    check(valueOn(ctx, fresh, 'before') === '1', `${fresh} lacks the data written before it joined`);
    checkNoViolations(ctx);
  },
};

export const removeLeader: SimScenario = {
  id: 'remove-leader',
  title: 'Remove the leader',
  summary: 'The leader proposes its own removal. It keeps replicating without counting itself until the change commits, then steps down; the others elect a leader and it never campaigns again.',
  sim: { seed: 23, nodeCount: 4 },
  async run(ctx) {
    const { narrate } = ctx;
    const leader = await waitForLeader(ctx);
    await putCommitted(ctx, 'a', '1');
    narrate(`${leader} removes itself. Until the change commits it leads, but majorities are counted among the others.`);
    await changeOk(ctx, leader, { type: 'remove', node: leader });
    const rest = ctx.sim.nodeIds.filter((id) => id !== leader);
    check(ctx.sim.view(leader).role !== 'leader', `${leader} still leads after its removal committed`);
    narrate(`The change committed: ${leader} steps down. The others elect a leader among themselves.`);
    const next = await waitForLeader(ctx, rest);
    await putCommitted(ctx, 'b', '2', rest);
    await ctx.runFor(3_000);
    check(ctx.sim.view(leader).role === 'follower', `${leader} campaigned after its removal`);
    narrate(`${next} leads; ${leader} stays a follower outside the cluster.`);
    checkNoViolations(ctx);
  },
};

export const transferLeadership: SimScenario = {
  id: 'transfer-leadership',
  title: 'Transfer leadership',
  summary: 'The leader hands over to a chosen voter: it stops taking writes, brings the target up to date, and sends it TimeoutNow; the target wins at once, within one election timeout.',
  sim: { seed: 24, nodeCount: 3 },
  async run(ctx) {
    const { narrate } = ctx;
    const leader = await waitForLeader(ctx);
    await putCommitted(ctx, 'a', '1');
    const target = ctx.sim.nodeIds.find((id) => id !== leader)!;
    narrate(`${leader} transfers leadership to ${target}: writes pause, ${target} is brought up to date, then told to campaign now.`);
    const started = ctx.sim.now;
    const response = await admin(ctx, leader, { target });
    check(response.status === 200, `the transfer was answered ${response.status} ${JSON.stringify(response.body)}`);
    const took = ctx.sim.now - started;
    check(leaderAmong(ctx) === target, `${target} does not lead`);
    check(took < 600, `the transfer took ${took} ms, more than an election timeout`);
    narrate(`${target} leads after ${Math.round(took)} ms, in term ${termOf(ctx, target)}.`);
    await putCommitted(ctx, 'b', '2');
    checkNoViolations(ctx);
  },
};

export const removedServerCannotDisrupt: SimScenario = {
  id: 'removed-cannot-disrupt',
  title: 'A removed server cannot disrupt',
  summary: 'A server is removed while it is cut off, so it never learns of it. It times out and asks for votes again and again; PreVote and the leader lease make everyone refuse, and no term moves.',
  sim: { seed: 25, nodeCount: 3 },
  async run(ctx) {
    const { narrate } = ctx;
    const leader = await waitForLeader(ctx);
    const removed = ctx.sim.nodeIds.find((id) => id !== leader)!;
    narrate(`${removed} is cut off; meanwhile ${leader} removes it. It never hears of its removal.`);
    ctx.act({ type: 'isolate', node: removed });
    await changeOk(ctx, leader, { type: 'remove', node: removed });
    check(configOf(ctx, removed).voters.includes(removed), `${removed} learned of its removal`);
    const term = termOf(ctx, leader);
    narrate(`The link heals. ${removed} hears from nobody, times out and asks for (pre-)votes: they are refused.`);
    ctx.act({ type: 'healAll' });
    await ctx.runFor(5_000);
    check(leaderAmong(ctx) === leader && termOf(ctx, leader) === term, `the cluster was disrupted (term ${term} -> ${termOf(ctx, leader)})`);
    await putCommitted(ctx, 'still', 'fine', ctx.sim.nodeIds.filter((id) => id !== removed));
    narrate(`${leader} still leads term ${term}.`);
    checkNoViolations(ctx);
  },
};

/**
 * Ongaro's 2015 bug. Four voters n1-n4 and a learner n5. (a) n1 promotes n5 (n1..n5: a majority is
 * 3 of 5) but only n5 receives it. (b) n2 wins term 2 with n3 and n4, and, without waiting to commit
 * an entry of its own term, removes n1 (n2..n4: a majority is 2 of 3); n3 receives it and the change
 * commits. (c) n1, with its own configuration, wins a term with n4 and n5; n3 wins the same term with
 * n2. The two majorities do not overlap: two leaders in one term. With the rule, n2 refuses to change
 * the membership in (b), because its no-op cannot commit without n1 or n4.
 */
function ownTermRule(unsafe: boolean): SimScenario {
  const [n1, n2, n3, n4] = ['n1', 'n2', 'n3', 'n4'] as const;
  return {
    id: unsafe ? 'own-term-rule-unsafe' : 'own-term-rule',
    title: unsafe ? 'Membership change before the leader committed its term' : 'Change membership only after committing your own term',
    summary: unsafe
      ? 'With the rule removed, two membership changes made in different terms commit with majorities that do not overlap: the checker sees two leaders in one term.'
      : 'A new leader does not change the membership before it has committed an entry of its own term; Ongaro\'s 2015 counterexample cannot happen.',
    sim: {
      seed: 15,
      nodeCount: 4,
      // The basic algorithm (no PreVote, no CheckQuorum), so terms move as the script says.
      raft: { preVote: false, checkQuorum: false, electionTimeoutTicksMin: 200, electionTimeoutTicksMax: 400, unsafe: { configChangeBeforeOwnTermCommit: unsafe } },
    },
    async run(ctx) {
      const { narrate } = ctx;
      await elect(ctx, n1);
      ctx.act({ type: 'addNode' });
      const n5 = ctx.sim.nodeIds[4]!;
      await changeOk(ctx, n1, { type: 'addLearner', node: n5 });
      await ctx.runUntil(() => leaderSeesCaughtUp(ctx, n1, n5), 2_000);
      narrate(`Four voters and a learner ${n5}. (a) ${n1} promotes ${n5}, but only ${n5} receives the change: ${n1} and ${n5} now count majorities among five.`);
      for (const to of [n2, n3, n4]) {
        ctx.act({ type: 'cut', from: n1, to, bothWays: true });
        ctx.act({ type: 'cut', from: n5, to, bothWays: true });
      }
      const promote = ctx.act({ type: 'client', request: { clientId: 'operator', node: n1, op: 'config', key: '', change: { type: 'promote', node: n5 }, record: false } })!;
      await ctx.runUntil(() => configOf(ctx, n5).voters.includes(n5), 1_000);
      check(configOf(ctx, n5).voters.length === 5, `${n5} did not receive the promotion`);

      narrate(`(b) ${n2} wins term 2 with ${n3} and ${n4}. Then it can reach only ${n3}.`);
      await elect(ctx, n2);
      ctx.act({ type: 'cut', from: n2, to: n4, bothWays: true });
      ctx.act({ type: 'cut', from: n3, to: n4, bothWays: true });
      const response = await admin(ctx, n2, { change: { type: 'remove', node: n1 } }, 1_000);
      if (!unsafe) {
        check(response.status === 409 && response.body.error === 'leader_not_ready', `${n2} changed the membership before committing its term: ${JSON.stringify(response.body)}`);
        narrate(`${n2} refuses: it has not committed an entry of term ${termOf(ctx, n2)} yet (its no-op needs ${n1} or ${n4}). No second change, no split.`);
        void promote;
        ctx.act({ type: 'healAll' });
        await waitForLeader(ctx);
        await ctx.runFor(2_000);
        checkNoViolations(ctx);
        return;
      }
      check(response.status === 200, `the removal was answered ${response.status} ${JSON.stringify(response.body)}`);
      narrate(`Without the rule, ${n2} removes ${n1} at once; with ${n3} that is a majority of ${n2}, ${n3}, ${n4}: committed.`);

      narrate(`(c) ${n1} and ${n2} restart. ${n3} wins term 3 with ${n2}, a majority of ${n2}, ${n3}, ${n4}; ${n1}, still counting among five, wins term 3 with ${n4} and ${n5}.`);
      for (const id of [n1, n2]) {
        ctx.act({ type: 'crash', node: id });
        ctx.act({ type: 'restart', node: id });
      }
      await elect(ctx, n3);
      ctx.act({ type: 'heal', from: n1, to: n4, bothWays: true });
      await elect(ctx, n1);
      const split = ctx.sim.violations.find((v) => v.property === 'election_safety');
      check(split !== undefined, `expected two leaders in one term (n1 leads ${termOf(ctx, n1)}, n3 leads ${termOf(ctx, n3)})`);
      narrate(`The checker caught it: ${split.message}.`);
    },
  };
}

/** Campaigns `id` until it leads (votes may need a few rounds while terms settle). */
async function elect(ctx: SimScenarioContext, id: NodeId): Promise<void> {
  for (let round = 0; round < 10 && leaderAmong(ctx, [id]) === undefined; round++) {
    ctx.act({ type: 'campaign', node: id });
    await ctx.runUntil(() => leaderAmong(ctx, [id]) !== undefined || ctx.sim.node(id).raft?.role === 'follower', 500);
  }
  if (leaderAmong(ctx, [id]) === undefined) throw new ScenarioFailure(`${id} could not win an election`);
}

export const ownTermRuleSafe = ownTermRule(false);
export const ownTermRuleUnsafe = ownTermRule(true);

export const membershipScenarios: readonly SimScenario[] = [
  addServer, replaceServer, removeLeader, transferLeadership, removedServerCannotDisrupt, ownTermRuleSafe, ownTermRuleUnsafe,
];
