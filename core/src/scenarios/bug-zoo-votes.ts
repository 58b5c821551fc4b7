/**
 * Bug-zoo scripts about elections, durability and reads: a vote without the log check, a vote or
 * an acknowledgement sent before it is durable, a read served before it is applied, an election
 * timer that a vote does not restart. Three nodes each; every step is scripted, so a run replays
 * exactly. See bug-zoo-script.ts for how each is run with the bug on and off.
 */
import type { NodeId } from '../types';
import type { BugScenarios } from './bug-zoo-script';
import { bugScenarios, caught, historyBroken, kept, violationOf } from './bug-zoo-script';
import { check } from './helpers';
import { crashSilently, isAppend, lastIndexOf, nextOnWire, sendPuts, statusOf, tryToElect } from './message-control';
import type { SimScenarioContext } from './sim-scenario';
import { leaderAmong, putCommitted, request, termOf, valueOn, waitForConvergence, waitForLeader } from './sim-helpers';

/** Classic Raft as in the paper (no PreVote, no CheckQuorum lease), so that one campaign decides an election. */
const classic = { preVote: false, checkQuorum: false } as const;

const others = (ctx: SimScenarioContext, ...not: NodeId[]): NodeId[] => ctx.sim.nodeIds.filter((id) => !not.includes(id));

/** A leader, and x=0 on every node. */
async function settle(ctx: SimScenarioContext): Promise<NodeId> {
  const leader = await waitForLeader(ctx);
  await putCommitted(ctx, 'x', '0');
  await waitForConvergence(ctx);
  return leaderAmong(ctx) ?? leader;
}

export const skipVoteLogCheck: BugScenarios = bugScenarios('skipVoteLogCheck', {
  title: 'a vote for a candidate whose log is behind',
  summary: 'A follower that missed a committed write asks for votes; the other follower grants it without comparing logs, and the new leader lacks the committed entry.',
  sim: { nodeCount: 3, raft: classic },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [behind, voter] = others(ctx, leader) as [NodeId, NodeId];
    ctx.narrate(`${behind} is cut off; ${leader} commits x=1 with ${voter}.`);
    ctx.act({ type: 'isolate', node: behind });
    await putCommitted(ctx, 'x', '1', [leader, voter]);
    ctx.narrate(`${leader} crashes. ${behind} comes back and campaigns: its log ends before x=1.`);
    crashSilently(ctx, leader);
    ctx.act({ type: 'healAll' });
    const won = await tryToElect(ctx, behind, 1);
    if (bug) {
      check(won, `${behind} did not win: ${voter} refused the vote`);
      ctx.narrate(`${voter} granted the vote without the log check, and ${behind} leads without x=1.`);
      caught(ctx, 'skipVoteLogCheck', violationOf(ctx, ['leader_completeness']).message);
      return;
    }
    check(!won, `${behind} won an election with a log that lacks a committed entry`);
    ctx.narrate(`${voter} refused: ${behind}'s log is behind. ${voter} will lead instead.`);
    await waitForLeader(ctx, [voter]);
    ctx.act({ type: 'restart', node: leader });
    await waitForConvergence(ctx);
    check(ctx.sim.nodeIds.every((id) => valueOn(ctx, id, 'x') === '1'), 'x=1 is not on every node');
    kept(ctx, 'Only a candidate holding every committed entry can win, so x=1 survives.');
  },
});

export const voteBeforePersist: BugScenarios = bugScenarios('voteBeforePersist', {
  title: 'a vote answered before it is on disk',
  summary: 'A voter answers, then crashes before its vote reaches the disk; after a restart it votes again in the same term, and two nodes lead that term.',
  sim: { nodeCount: 3, raft: classic },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [a, c] = others(ctx, leader) as [NodeId, NodeId];
    ctx.narrate(`${leader} crashes. ${a} campaigns, but its request to ${c} is lost; ${leader}'s vote is ${a}'s only hope.`);
    crashSilently(ctx, leader);
    ctx.act({ type: 'restart', node: leader });
    ctx.act({ type: 'cut', from: a, to: c, bothWays: false });
    const term = termOf(ctx, a) + 1;
    ctx.act({ type: 'campaign', node: a });
    await ctx.runUntil(() => ctx.sim.view(leader).votedFor === a, 1_000);
    check(ctx.sim.view(leader).votedFor === a, `${leader} did not vote for ${a}`);
    ctx.narrate(`${leader} grants its vote for term ${term} and crashes while writing it to disk.`);
    ctx.act({ type: 'crash', node: leader });
    const aLeads = await ctx.runUntil(() => leaderAmong(ctx, [a]) !== undefined, 500);
    check(aLeads === bug, bug ? `${a} did not receive the early vote` : `${a} won with a vote that was never on disk`);
    if (aLeads) ctx.narrate(`The vote had gone out before the write: ${a} leads term ${term}. Then ${a} is cut off.`);
    ctx.act({ type: 'isolate', node: a });
    ctx.act({ type: 'restart', node: leader });
    ctx.narrate(`${leader} restarts with the term and vote it had on disk; ${c} campaigns for term ${term}.`);
    await tryToElect(ctx, c, 1);
    check(leaderAmong(ctx, [c]) !== undefined && termOf(ctx, c) === term, `${c} did not win term ${term}`);
    if (bug) {
      caught(ctx, 'voteBeforePersist', violationOf(ctx, ['election_safety']).message);
      return;
    }
    ctx.act({ type: 'healAll' });
    await waitForConvergence(ctx);
    kept(ctx, `Without the vote on disk there was no answer, so ${a} never led term ${term}: one leader per term.`);
  },
});

export const ackAppendBeforePersist: BugScenarios = bugScenarios('ackAppendBeforePersist', {
  title: 'entries acknowledged before they are on disk',
  summary: 'A follower acknowledges a write and crashes before the write reaches its disk; the leader had counted it, and when the leader fails too the committed write is gone.',
  sim: { nodeCount: 3 },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [follower, away] = others(ctx, leader) as [NodeId, NodeId];
    ctx.narrate(`${away} is cut off. A client writes x=1 to ${leader}; ${follower} receives it.`);
    ctx.act({ type: 'isolate', node: away });
    const before = lastIndexOf(ctx, follower);
    const [put] = sendPuts(ctx, leader, [['x', '1']]);
    await ctx.runUntil(() => (statusOf(ctx, follower)?.lastIndex ?? 0) > before, 1_000);
    ctx.narrate(`${follower} crashes while writing x=1 to disk.`);
    ctx.act({ type: 'crash', node: follower });
    await ctx.runUntil(() => ctx.sim.request(put!)!.repliedAt !== null, 1_000);
    const acknowledged = ctx.sim.request(put!)!.response?.status === 200;
    check(acknowledged === bug, bug ? 'the write was not acknowledged' : 'a write was acknowledged with one copy on disk');
    if (acknowledged) ctx.narrate(`${follower} had acknowledged before the write: ${leader} committed x=1 and told the client.`);
    ctx.narrate(`${leader} crashes; ${follower} restarts and ${away} comes back.`);
    crashSilently(ctx, leader);
    ctx.act({ type: 'restart', node: follower });
    ctx.act({ type: 'healAll' });
    const next = await waitForLeader(ctx, [follower, away]);
    if (bug) {
      const lost = violationOf(ctx, ['leader_completeness']);
      const read = await request(ctx, next, 'get', 'x');
      ctx.narrate(`${next} leads without x=1; a read of x answers ${read?.body.value ?? read?.status}.`);
      caught(ctx, 'ackAppendBeforePersist', `${lost.message}; and the history: ${historyBroken(ctx)}`);
      return;
    }
    ctx.act({ type: 'restart', node: leader });
    await waitForConvergence(ctx);
    kept(ctx, 'No copy on disk, no acknowledgement: x=1 was never committed, and nothing committed was lost.');
  },
});

export const readBeforeApplied: BugScenarios = bugScenarios('readBeforeApplied', {
  title: 'a read served before the read index is applied',
  summary: 'A follower that missed the last write asks the leader for a read index, gets it, and answers from its state machine before applying up to it: an old value, after the new one was acknowledged.',
  sim: { nodeCount: 3 },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [lagging] = others(ctx, leader) as [NodeId];
    ctx.narrate(`A client writes x=1; the append carrying it to ${lagging} is lost.`);
    const [put] = sendPuts(ctx, leader, [['x', '1']]);
    const append = await nextOnWire(ctx, `append to ${lagging}`, isAppend(leader, lagging));
    ctx.act({ type: 'dropMessage', id: append.id });
    await ctx.runUntil(() => ctx.sim.request(put!)!.repliedAt !== null, 1_000);
    check(ctx.sim.request(put!)!.response?.status === 200, 'x=1 was not acknowledged');
    ctx.narrate(`x=1 is acknowledged. Another client reads x from ${lagging}, which still holds x=0.`);
    const read = await request(ctx, lagging, 'get', 'x');
    check(read?.status === 200, `the read failed: ${JSON.stringify(read)}`);
    if (bug) {
      check(read.body.value === '0', `expected the stale x=0, got ${JSON.stringify(read.body)}`);
      ctx.narrate(`${lagging} confirmed the read index with ${leader} and answered x=0 without applying up to it.`);
      caught(ctx, 'readBeforeApplied', historyBroken(ctx));
      return;
    }
    check(read.body.value === '1', `a read after x=1 was acknowledged answered ${JSON.stringify(read.body)}`);
    kept(ctx, `${lagging} waited until the leader resent x=1 and it was applied, then answered x=1.`);
  },
});

export const keepElectionTimerOnVote: BugScenarios = bugScenarios('keepElectionTimerOnVote', {
  title: 'a vote that does not restart the election timer',
  summary: 'A follower about to time out votes for a candidate, keeps its timer running, times out a moment later and deposes the leader it has just elected, in a network where nothing failed.',
  sim: { nodeCount: 3, raft: classic },
  async run(ctx, bug) {
    const old = await settle(ctx);
    ctx.narrate(`${old} crashes. Both followers' election timers run.`);
    crashSilently(ctx, old);
    const remaining = (id: NodeId) => statusOf(ctx, id)!.electionTimeout - statusOf(ctx, id)!.electionElapsed;
    const [voter, candidate] = others(ctx, old).sort((p, q) => remaining(p) - remaining(q)) as [NodeId, NodeId];
    // Just after the voter's timer ticks to one tick before firing, the candidate campaigns: its
    // request arrives before the voter's next tick.
    await ctx.runUntil(() => remaining(voter) === 1, 2_000);
    check(remaining(voter) === 1, `${voter}'s timer did not come near firing`);
    await ctx.runFor(ctx.sim.config.tickMs / 2);
    ctx.narrate(`${candidate} campaigns while ${voter}'s timer is one tick from firing; ${voter} votes for it.`);
    ctx.act({ type: 'campaign', node: candidate });
    await ctx.runUntil(() => leaderAmong(ctx, [candidate]) !== undefined, 500);
    const term = termOf(ctx, candidate);
    check(leaderAmong(ctx, [candidate]) !== undefined, `${candidate} did not win`);
    const deposed = await ctx.runUntil(() => termOf(ctx, candidate) !== term || leaderAmong(ctx, [candidate]) === undefined, 3_000);
    if (bug) {
      check(deposed, `${candidate} kept leading term ${term}`);
      ctx.narrate(`${voter}'s timer fired right after its vote: it campaigned for term ${term + 1} and deposed ${candidate}.`);
      caught(ctx, 'keepElectionTimerOnVote', `${candidate} led term ${term} for a moment only, in a calm network (the fuzzer's failover check reports this as no stable leader)`);
      return;
    }
    check(!deposed, `${candidate} lost leadership of term ${term} in a calm network`);
    ctx.act({ type: 'restart', node: old });
    await waitForConvergence(ctx);
    kept(ctx, `${voter} restarted its timer when it voted, and ${candidate} kept leading term ${term}.`);
  },
});
