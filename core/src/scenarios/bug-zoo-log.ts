/**
 * Bug-zoo scripts about the replicated log: a follower that truncates entries that matched, one
 * that commits past what the leader checked, one that obeys a deposed leader, a leader that takes
 * matchIndex from how far it has sent, a follower that drops its log for a snapshot it already
 * holds. Messages are held back, released and dropped one by one, so a run replays exactly. See
 * bug-zoo-script.ts for how each is run with the bug on and off.
 */
import type { NodeId } from '../types';
import type { BugScenarios } from './bug-zoo-script';
import { bugScenarios, caught, kept, violationOf } from './bug-zoo-script';
import { check } from './helpers';
import type { MessageFilter } from './message-control';
import {
  crashSilently, hold, holdEach, isAppend, isAppendAck, lastIndexOf, nextOnWire, onWire, sendPuts, statusOf,
} from './message-control';
import type { SimScenarioContext } from './sim-scenario';
import { leaderAmong, putCommitted, termOf, waitForConvergence, waitForLeader } from './sim-helpers';

const others = (ctx: SimScenarioContext, ...not: NodeId[]): NodeId[] => ctx.sim.nodeIds.filter((id) => !not.includes(id));

/** A leader, and x=0 on every node. */
async function settle(ctx: SimScenarioContext): Promise<NodeId> {
  await waitForLeader(ctx);
  await putCommitted(ctx, 'x', '0');
  await waitForConvergence(ctx);
  return leaderAmong(ctx)!;
}

const commitOf = (ctx: SimScenarioContext, id: NodeId): number => statusOf(ctx, id)?.commitIndex ?? 0;

/** Waits until every request in `ids` is answered; returns how many were answered 200. */
async function acknowledged(ctx: SimScenarioContext, ids: readonly number[], maxMs: number): Promise<number> {
  await ctx.runUntil(() => ids.every((id) => ctx.sim.request(id)!.repliedAt !== null), maxMs);
  return ids.filter((id) => ctx.sim.request(id)!.response?.status === 200).length;
}

export const truncateMatchingEntries: BugScenarios = bugScenarios('truncateMatchingEntries', {
  title: 'a follower that truncates entries that matched',
  summary: 'A late copy of an append that carried only the first of three entries reaches a follower that already holds all three; it cuts its log back to that entry, although the leader has counted all three and committed them.',
  // One entry per append, and a fixed latency so that appends sent together arrive in order.
  sim: { nodeCount: 3, raft: { entriesPerMessageMax: 1 }, network: { latencyMinMs: 10, latencyMaxMs: 10 } },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [follower, away] = others(ctx, leader) as [NodeId, NodeId];
    ctx.narrate(`${away} is cut off. Clients write a=1, b=1, c=1; ${leader} sends them to ${follower} in three appends, and ${follower}'s answers are held back.`);
    ctx.act({ type: 'isolate', node: away });
    const first = lastIndexOf(ctx, leader) + 1;
    const puts = sendPuts(ctx, leader, [['a', '1'], ['b', '1'], ['c', '1']]);
    const acks = await holdEach(ctx, `answers from ${follower}`, (m) => isAppendAck(follower, leader)(m) && m.type === 'AppendEntriesResponse' && m.matchIndex >= first, 3, 1_000);
    ctx.narrate(`${leader} hears nothing and probes ${follower} again with the first entry alone; that append is held back too.`);
    const probe = await nextOnWire(ctx, 'probe', (m) => isAppend(leader, follower)(m) && m.type === 'AppendEntries' && m.entries[0]!.index === first, 1_000);
    hold(ctx, probe, 1_000);
    for (const ack of acks) hold(ctx, ack, 0);
    await ctx.runUntil(() => commitOf(ctx, leader) >= first + 2, 500);
    check(commitOf(ctx, leader) >= first + 2, `${leader} did not commit the three entries`);
    ctx.narrate(`The answers arrive: ${follower} holds all three, so ${leader} commits them and crashes at once. Then the held probe reaches ${follower}.`);
    crashSilently(ctx, leader, [probe]);
    await ctx.runUntil(() => onWire(ctx, (m) => m.from === leader).length === 0, 2_000);
    check(await acknowledged(ctx, puts, 100) === 3, 'the three writes were not acknowledged');
    const kept3 = lastIndexOf(ctx, follower) >= first + 2;
    check(kept3 !== bug, bug ? `${follower} kept its log` : `${follower} truncated entries that matched`);
    if (bug) ctx.narrate(`${follower} cut its log back to the probe's one entry: b=1 and c=1 are gone from it.`);
    ctx.act({ type: 'healAll' });
    await waitForLeader(ctx, [follower, away]);
    if (bug) {
      caught(ctx, 'truncateMatchingEntries', violationOf(ctx, ['leader_completeness']).message);
      return;
    }
    ctx.act({ type: 'restart', node: leader });
    await waitForConvergence(ctx);
    kept(ctx, `${follower} skipped the entries it already had and kept the rest: the three committed writes survive ${leader}'s crash.`);
  },
});

export const matchFromNextIndex: BugScenarios = bugScenarios('matchFromNextIndex', {
  title: 'a leader that takes matchIndex from how far it has sent',
  summary: 'A leader sends two appends; the second is lost. The answer to the first makes the leader believe the follower holds both, and it commits and acknowledges the second write with one copy.',
  sim: { nodeCount: 3, raft: { entriesPerMessageMax: 1 }, network: { latencyMinMs: 10, latencyMaxMs: 10 } },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [follower, away] = others(ctx, leader) as [NodeId, NodeId];
    ctx.narrate(`${away} is cut off. Clients write a=1 and b=1; the append carrying b=1 to ${follower} is lost.`);
    ctx.act({ type: 'isolate', node: away });
    const first = lastIndexOf(ctx, leader) + 1;
    const puts = sendPuts(ctx, leader, [['a', '1'], ['b', '1']]);
    const second = await nextOnWire(ctx, 'second append', (m) => isAppend(leader, follower)(m) && m.type === 'AppendEntries' && m.entries[0]!.index === first + 1);
    ctx.act({ type: 'dropMessage', id: second.id });
    await ctx.runUntil(() => commitOf(ctx, leader) >= first, 500);
    const committedSecond = commitOf(ctx, leader) >= first + 1;
    check(committedSecond === bug, bug ? `${leader} did not count the lost append` : `${leader} committed b=1 with one copy`);
    if (bug) ctx.narrate(`${follower} answered the first append; ${leader} set its matchIndex to what it had sent and committed b=1.`);
    ctx.narrate(`${leader} crashes at once; ${away} comes back.`);
    crashSilently(ctx, leader);
    await ctx.runUntil(() => onWire(ctx, (m) => m.from === leader).length === 0, 1_000);
    check(await acknowledged(ctx, puts, 100) === (bug ? 2 : 1), 'unexpected acknowledgements');
    ctx.act({ type: 'healAll' });
    await waitForLeader(ctx, [follower, away]);
    if (bug) {
      caught(ctx, 'matchFromNextIndex', violationOf(ctx, ['leader_completeness']).message);
      return;
    }
    ctx.act({ type: 'restart', node: leader });
    await waitForConvergence(ctx);
    kept(ctx, `${leader} counted only what ${follower} acknowledged: b=1 was never committed, and nothing committed was lost.`);
  },
});

export const acceptStaleTermAppends: BugScenarios = bugScenarios('acceptStaleTermAppends', {
  title: 'a follower that obeys a deposed leader',
  summary: 'A leader is cut off and does not know it (no CheckQuorum); the others elect a new leader and commit its entry. The old leader\'s append, from an older term, reaches a follower that takes it and overwrites the committed entry.',
  sim: { nodeCount: 3, raft: { checkQuorum: false } },
  async run(ctx, bug) {
    const old = await settle(ctx);
    const [follower, next] = others(ctx, old) as [NodeId, NodeId];
    ctx.narrate(`${old} is cut off; a client writes y=1 to it, which it cannot replicate.`);
    ctx.act({ type: 'isolate', node: old });
    sendPuts(ctx, old, [['y', '1']]);
    const index = lastIndexOf(ctx, old);
    await ctx.runUntil(() => lastIndexOf(ctx, old) > index, 500);
    ctx.narrate(`${follower} and ${next} elect ${next}, which commits its first entry of the new term.`);
    const elected = await waitForLeader(ctx, [follower, next]);
    check(elected === next || elected === follower, 'no new leader');
    const leader = elected;
    const other = leader === next ? follower : next;
    await ctx.runUntil(() => lastIndexOf(ctx, other) > index && commitOf(ctx, leader) > index, 1_000);
    ctx.act({ type: 'cut', from: leader, to: other, bothWays: false });
    check(commitOf(ctx, leader) > index && commitOf(ctx, other) <= index, `${other} already knows the entry is committed`);
    ctx.narrate(`${other} holds the committed entry but has not heard that it is committed. Now ${old} can reach ${other}, but hears nothing back.`);
    ctx.act({ type: 'heal', from: old, to: other, bothWays: false });
    const overwritten = await ctx.runUntil(() => ctx.sim.node(other).raft?.termAt(index + 1) === termOf(ctx, old), 1_000);
    if (bug) {
      check(overwritten, `${other} did not take ${old}'s append`);
      ctx.narrate(`${other} took the append of term ${termOf(ctx, old)} although it is in term ${termOf(ctx, other)}, replacing the committed entry.`);
      caught(ctx, 'acceptStaleTermAppends', violationOf(ctx, ['state_machine_safety']).message);
      return;
    }
    check(!overwritten, `${other} took an append from an older term`);
    ctx.act({ type: 'healAll' });
    await waitForConvergence(ctx);
    kept(ctx, `${other} refused the append of an older term; once healed, ${old} learns the new term and follows.`);
  },
});

export const commitPastLastNewEntry: BugScenarios = bugScenarios('commitPastLastNewEntry', {
  title: 'a follower that commits past the entries the leader checked',
  summary: 'A follower holds two entries of a leader that crashed; the new leader commits other entries at those indexes and sends the follower an append that ends before them. The follower commits up to its own last index and applies the old leader\'s entries.',
  // Five nodes, so that the follower holding the old tail is not needed for a majority; one entry
  // per append and a fixed latency, so that appends arrive one by one and in order.
  sim: { nodeCount: 5, snapshotThreshold: 1_000, raft: { entriesPerMessageMax: 1 }, network: { latencyMinMs: 10, latencyMaxMs: 10 } },
  async run(ctx, bug) {
    const old = await settle(ctx);
    const [stale, ...rest] = others(ctx, old) as [NodeId, ...NodeId[]];
    const p = lastIndexOf(ctx, old) + 1;
    ctx.narrate(`Clients write p=1, s=1 and t=1 to ${old} at once; the appends carrying s=1 and t=1 reach only ${stale}.`);
    sendPuts(ctx, old, [['p', '1'], ['s', '1'], ['t', '1']]);
    const tail: MessageFilter = (m) => m.type === 'AppendEntries' && m.from === old && m.to !== stale && m.entries.length > 0 && m.entries[0]!.index > p;
    await ctx.runUntil(() => onWire(ctx, tail).length === 2 * rest.length, 500);
    for (const flight of onWire(ctx, tail)) ctx.act({ type: 'dropMessage', id: flight.id });
    await ctx.runUntil(() => lastIndexOf(ctx, stale) >= p + 2 && rest.every((id) => lastIndexOf(ctx, id) >= p), 500);
    ctx.narrate(`${old} crashes before it hears back: none of the three is committed. ${stale} is cut off; the others elect a new leader.`);
    crashSilently(ctx, old);
    ctx.act({ type: 'isolate', node: stale });
    const leader = await waitForLeader(ctx, rest);
    await putCommitted(ctx, 'u', '1', rest);
    check(commitOf(ctx, leader) >= p + 2 && commitOf(ctx, stale) === p - 1, 'the logs are not set up as planned');
    ctx.narrate(`${leader} committed p=1 and its own entries at indexes ${p + 1} and ${p + 2}. ${stale} comes back: it knows only that ${p - 1} is committed.`);
    // While cut off, the leader's probes to it went unanswered: it probes again from the start.
    await ctx.runFor(1_000);
    ctx.act({ type: 'healAll' });
    const applied = await ctx.runUntil(() => commitOf(ctx, stale) >= p + 2, 2_000);
    if (bug) {
      check(applied && ctx.sim.node(stale).raft?.termAt(p + 1) !== ctx.sim.node(leader).raft?.termAt(p + 1), `${stale} did not commit the old entries`);
      ctx.narrate(`${leader} sent entry ${p} alone, with its commit index ${commitOf(ctx, leader)}. ${stale} committed up to its own last index instead of ${p}, and applied s=1 and t=1, which ${leader} never sent.`);
      caught(ctx, 'commitPastLastNewEntry', violationOf(ctx, ['state_machine_safety']).message);
      return;
    }
    ctx.act({ type: 'restart', node: old });
    await waitForConvergence(ctx);
    check(ctx.sim.node(stale).kv.get('s') === undefined, `${stale} applied s=1`);
    kept(ctx, `${stale} committed only up to entry ${p}, the last one ${leader} sent; the next append replaced s=1 and t=1.`);
  },
});

export const snapshotDiscardsLog: BugScenarios = bugScenarios('snapshotDiscardsLog', {
  title: 'a follower that drops its log for a snapshot it already holds',
  summary: 'A leader probes a follower whose answers are late with a snapshot; the answers then arrive and say it holds every entry. The follower installs the snapshot anyway and drops the entries after it, which the leader, believing it holds them, never sends again.',
  // A snapshot every 5 applied entries; one entry per append and a fixed latency.
  sim: { nodeCount: 3, snapshotThreshold: 5, raft: { entriesPerMessageMax: 1 }, network: { latencyMinMs: 10, latencyMaxMs: 10 } },
  async run(ctx, bug) {
    const leader = await settle(ctx);
    const [follower, other] = others(ctx, leader) as [NodeId, NodeId];
    const first = lastIndexOf(ctx, leader) + 1;
    const snapAt = ctx.sim.node(leader).storage.snapshot().index + 5;
    const writes = Array.from({ length: 6 }, (_, i) => [`w${i}`, '1'] as [string, string]);
    const last = first + writes.length - 1;
    check(snapAt >= first && snapAt < last, 'the snapshot would not fall inside the new entries');
    ctx.narrate(`Clients write six keys at once. ${follower} stores them all, but its answers are held back.`);
    sendPuts(ctx, leader, writes);
    const fromFollower = await holdEach(ctx, `answers from ${follower}`, (m) => m.type === 'AppendEntriesResponse' && m.from === follower && m.matchIndex >= first, writes.length, 10_000);
    const fromOther = await holdEach(ctx, `answers from ${other}`, (m) => m.type === 'AppendEntriesResponse' && m.from === other && m.matchIndex >= first, writes.length, 10_000);
    for (const ack of fromOther) if (ack.message.type === 'AppendEntriesResponse' && ack.message.matchIndex <= snapAt) hold(ctx, ack, 0);
    await ctx.runUntil(() => ctx.sim.node(leader).storage.snapshot().index === snapAt, 500);
    for (const ack of fromOther) hold(ctx, ack, 0);
    await ctx.runUntil(() => commitOf(ctx, leader) === last, 500);
    check(ctx.sim.node(leader).storage.snapshot().index === snapAt && commitOf(ctx, follower) < first, 'the logs are not set up as planned');
    ctx.narrate(`${leader} commits the six with ${other} and takes a snapshot at ${snapAt}, dropping the entries before it. Hearing nothing from ${follower}, it sends ${follower} that snapshot.`);
    const chunks = await holdEach(ctx, 'snapshot chunks', (m) => m.type === 'InstallSnapshot' && m.to === follower, 1, 10_000, 1_000);
    // The answer for the last entry and the snapshot arrive together (the earlier answers stay held).
    const lastAck = fromFollower.find((a) => a.message.type === 'AppendEntriesResponse' && a.message.matchIndex === last)!;
    hold(ctx, lastAck, 0);
    for (const chunk of chunks) hold(ctx, chunk, 0);
    ctx.narrate(`${follower}'s answer for entry ${last} reaches ${leader}: it holds every entry. At the same moment the snapshot reaches ${follower}.`);
    await ctx.runFor(1);
    const converged = await ctx.runUntil(() => lastIndexOf(ctx, follower) === lastIndexOf(ctx, leader) && commitOf(ctx, follower) === commitOf(ctx, leader), 3_000);
    if (bug) {
      check(!converged, `${follower} caught up`);
      const match = statusOf(ctx, leader)?.progress?.[follower]?.match;
      ctx.narrate(`${follower} installed the snapshot and dropped entries ${snapAt + 1}-${last}. ${leader} believes it holds them (matchIndex ${match}), so it never sends them again: ${follower} stays behind for good.`);
      caught(ctx, 'snapshotDiscardsLog', `${follower}'s log ends at ${lastIndexOf(ctx, follower)} while ${leader}'s matchIndex for it is ${match}; the nodes never agree again (the fuzzer reports "nodes disagree")`);
      return;
    }
    check(converged, `${follower} did not catch up`);
    kept(ctx, `${follower} already held entry ${snapAt}: it kept its log, committed up to ${snapAt}, and stayed in step.`);
  },
});
