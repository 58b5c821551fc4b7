/**
 * The Raft paper's and the classic lab tests' scenarios, on the simulator, plus the guided runs of
 * the playground (split vote, partitioned old leader, lagging follower, partial partitions).
 * Each states what it shows; each ends with the invariant checker clean.
 */
import { checkLinearizability } from '../check/linearizability';
import type { NodeId } from '../types';
import { check } from './helpers';
import type { SimScenario, SimScenarioContext } from './sim-scenario';
import {
  checkNoViolations, leaderAmong, putCommitted, request, termOf, valueOn, waitForConvergence, waitForLeader,
} from './sim-helpers';
import { figure8Safe, figure8Unsafe } from './figure8';
import { membershipScenarios } from './membership';

const without = (ids: readonly NodeId[], ...exclude: NodeId[]) => ids.filter((id) => !exclude.includes(id));

/** Runs `ms` and checks that `leader` kept leading in the same term throughout. */
export async function leaderStaysFor(ctx: SimScenarioContext, leader: NodeId, ms: number): Promise<void> {
  const term = termOf(ctx, leader);
  const end = ctx.sim.now + ms;
  let changed = false;
  await ctx.runUntil(() => {
    const raft = ctx.sim.node(leader).raft;
    changed = !raft || raft.role !== 'leader' || raft.term !== term;
    return changed || ctx.sim.now >= end;
  }, ms);
  check(!changed, `${leader} stopped leading term ${term} (now ${ctx.sim.view(leader).role} in term ${termOf(ctx, leader)})`);
}

/**
 * Isolates a follower, commits `${prefix}1`..`${prefix}${count}` without it, heals, and checks that
 * it caught up. `narration` (given the follower) is said just before the heal.
 */
async function isolatedFollowerCatchesUp(ctx: SimScenarioContext, prefix: string, count: number, narration?: (follower: NodeId) => string): Promise<void> {
  const leader = await waitForLeader(ctx);
  const follower = without(ctx.sim.nodeIds, leader)[0]!;
  ctx.act({ type: 'isolate', node: follower });
  for (let i = 1; i <= count; i++) await putCommitted(ctx, `${prefix}${i}`, String(i), without(ctx.sim.nodeIds, follower));
  if (narration) ctx.narrate(narration(follower));
  ctx.act({ type: 'healAll' });
  await waitForConvergence(ctx);
  check(valueOn(ctx, follower, `${prefix}${count}`) === String(count), `${follower} did not catch up`);
  checkNoViolations(ctx);
}

export const initialElection: SimScenario = {
  id: 'initial-election',
  title: 'Initial election',
  summary: 'Three nodes start as followers; the first to time out wins; all agree on the term and stay quiet.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    ctx.narrate('Everyone starts as a follower in term 0 and waits a random election timeout.');
    const leader = await waitForLeader(ctx, ctx.sim.nodeIds, 5_000);
    ctx.narrate(`${leader} timed out first, won the vote and now sends heartbeats.`);
    await ctx.runFor(500);
    const terms = new Set(ctx.sim.nodeIds.map((id) => termOf(ctx, id)));
    check(terms.size === 1, `terms differ: ${[...terms].join(',')}`);
    await leaderStaysFor(ctx, leader, 3_000);
    checkNoViolations(ctx);
  },
};

export const reElection: SimScenario = {
  id: 're-election',
  title: 'Re-election, and no leader without a quorum',
  summary: 'A cut-off leader is replaced; it rejoins as a follower; with two of three nodes cut off nobody can lead.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    const first = await waitForLeader(ctx);
    ctx.narrate(`Isolate the leader ${first}: the other two elect a new one.`);
    ctx.act({ type: 'isolate', node: first });
    const second = await waitForLeader(ctx, without(all, first), 5_000);
    ctx.act({ type: 'healAll' });
    ctx.narrate(`Heal: ${first} learns the higher term and follows ${second}.`);
    await ctx.runUntil(() => ctx.sim.view(first).role === 'follower' && ctx.sim.view(first).leaderId === second, 3_000);
    check(ctx.sim.view(first).leaderId === second, `${first} does not follow ${second}`);
    const lone = without(all, second)[0]!;
    ctx.narrate(`Isolate ${second} and ${without(all, second, lone)[0]}: ${lone} alone must not become leader.`);
    for (const id of without(all, lone)) ctx.act({ type: 'isolate', node: id });
    await ctx.runFor(3_000);
    check(ctx.sim.view(lone).role !== 'leader', `${lone} became leader without a quorum`);
    ctx.act({ type: 'healAll' });
    await waitForLeader(ctx, all, 5_000);
    checkNoViolations(ctx);
  },
};

export const manyElections: SimScenario = {
  id: 'many-elections',
  title: 'Many elections with random disconnections',
  summary: 'Seven nodes; three at a time are cut off, over and over; whenever four are connected they elect a leader.',
  sim: { nodeCount: 7 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    await waitForLeader(ctx);
    for (let round = 0; round < 10; round++) {
      const cut = [...all].sort(() => 0).filter((_, i) => (i * 3 + round) % 7 < 3);
      for (const id of cut) ctx.act({ type: 'isolate', node: id });
      const connected = without(all, ...cut);
      await waitForLeader(ctx, connected, 10_000);
      ctx.act({ type: 'healAll' });
    }
    await waitForLeader(ctx);
    checkNoViolations(ctx);
  },
};

export const basicAgreement: SimScenario = {
  id: 'basic-agreement',
  title: 'Basic agreement',
  summary: 'Each client write is committed on every node, at consecutive indexes.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    for (let i = 1; i <= 3; i++) await putCommitted(ctx, `a${i}`, String(i));
    await waitForConvergence(ctx);
    for (const id of ctx.sim.nodeIds) for (let i = 1; i <= 3; i++) check(valueOn(ctx, id, `a${i}`) === String(i), `${id} lacks a${i}`);
    checkNoViolations(ctx);
  },
};

export const failAgree: SimScenario = {
  id: 'fail-agree',
  title: 'Agreement with a failed follower',
  summary: 'Two of three nodes keep committing; the disconnected follower catches up when it returns.',
  sim: { nodeCount: 3 },
  run: (ctx) => isolatedFollowerCatchesUp(ctx, 'f', 5),
};

export const failNoAgree: SimScenario = {
  id: 'fail-no-agree',
  title: 'No agreement when 3 of 5 are gone',
  summary: 'A leader with only one follower cannot commit; after the others return, agreement resumes.',
  sim: { nodeCount: 5 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    const [keep, ...gone] = without(ctx.sim.nodeIds, leader) as [NodeId, ...NodeId[]];
    void keep;
    for (const id of gone) ctx.act({ type: 'isolate', node: id });
    const response = await request(ctx, leader, 'put', 'nope', '1');
    check(response?.status !== 200, `a write committed without a majority: ${JSON.stringify(response)}`);
    ctx.act({ type: 'healAll' });
    await putCommitted(ctx, 'yes', '1', ctx.sim.nodeIds, 15_000);
    await waitForConvergence(ctx);
    checkNoViolations(ctx);
  },
};

export const concurrentProposals: SimScenario = {
  id: 'concurrent-proposals',
  title: 'Concurrent proposals',
  summary: 'Many clients write at once; every acknowledged write is committed at its own index.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    const ids = Array.from({ length: 20 }, (_, i) =>
      ctx.act({ type: 'client', request: { clientId: `c${i}`, node: leader, op: 'put', key: `k${i}`, value: String(i) } })!);
    await ctx.runUntil(() => ids.every((id) => ctx.sim.request(id)!.repliedAt !== null), 5_000);
    for (const id of ids) check(ctx.sim.request(id)!.response?.status === 200, `request ${id} was not acknowledged`);
    await waitForConvergence(ctx);
    for (let i = 0; i < 20; i++) check(valueOn(ctx, leader, `k${i}`) === String(i), `k${i} missing`);
    checkNoViolations(ctx);
  },
};

export const rejoin: SimScenario = {
  id: 'rejoin',
  title: 'Rejoin of a partitioned leader',
  summary: 'A leader cut off with uncommitted entries rejoins; its entries are overwritten and never applied.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    const old = await waitForLeader(ctx);
    ctx.narrate(`Cut off ${old}; clients still send it writes that cannot commit.`);
    ctx.act({ type: 'isolate', node: old });
    for (const v of ['x1', 'x2', 'x3']) ctx.act({ type: 'client', request: { clientId: 'stale', node: old, op: 'put', key: v, value: v } });
    await putCommitted(ctx, 'y', '1', without(all, old));
    ctx.act({ type: 'healAll' });
    ctx.narrate(`Heal: ${old} follows the new leader and drops its uncommitted entries.`);
    await putCommitted(ctx, 'z', '1');
    await waitForConvergence(ctx);
    for (const id of all) for (const v of ['x1', 'x2', 'x3']) check(valueOn(ctx, id, v) === undefined, `${id} applied uncommitted ${v}`);
    checkNoViolations(ctx);
  },
};

export const fastBackup: SimScenario = {
  id: 'fast-backup',
  title: 'Fast backup over long conflicting logs',
  summary: 'Five nodes, alternating partitions leave long divergent logs; conflict hints let the leader skip a term per round trip.',
  sim: { nodeCount: 5, snapshotThreshold: 10_000 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    const l1 = await waitForLeader(ctx);
    const [f1, f2, f3, f4] = without(all, l1) as [NodeId, NodeId, NodeId, NodeId];
    ctx.narrate(`Put ${l1} and ${f1} in a minority; send them 50 writes that cannot commit.`);
    ctx.act({ type: 'partition', groups: [[l1, f1], [f2, f3, f4]] });
    for (let i = 0; i < 50; i++) ctx.act({ type: 'client', request: { clientId: 'lost', node: l1, op: 'put', key: `lost${i}`, value: 'x', record: false } });
    await ctx.runFor(100);
    const l2 = await waitForLeader(ctx, [f2, f3, f4], 5_000);
    for (let i = 0; i < 50; i++) await putCommitted(ctx, `ok${i}`, 'y', [f2, f3, f4]);
    const other = without([f2, f3, f4], l2)[0]!;
    ctx.narrate('Now the majority side splits too, and the first minority comes back with a third node.');
    ctx.act({ type: 'partition', groups: [[l2, other], [l1, f1, without([f2, f3, f4], l2, other)[0]!]] });
    for (let i = 0; i < 50; i++) ctx.act({ type: 'client', request: { clientId: 'lost', node: l2, op: 'put', key: `lost2_${i}`, value: 'x', record: false } });
    await ctx.runFor(100);
    ctx.act({ type: 'healAll' });
    await putCommitted(ctx, 'final', 'z', all, 15_000);
    await waitForConvergence(ctx, all, 15_000);
    for (const id of all) check(valueOn(ctx, id, 'ok49') === 'y' && valueOn(ctx, id, 'lost0') === undefined, `${id} has the wrong history`);
    checkNoViolations(ctx);
  },
};

export const persistence: SimScenario = {
  id: 'persistence',
  title: 'Persistence across crashes',
  summary: 'Crash subsets of the nodes, then all of them: every committed write survives.',
  sim: { nodeCount: 3, tornWriteRate: 0.5 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    await putCommitted(ctx, 'p1', '1');
    for (const id of all) ctx.act({ type: 'crash', node: id });
    for (const id of all) ctx.act({ type: 'restart', node: id });
    await putCommitted(ctx, 'p2', '2');
    const leader = await waitForLeader(ctx);
    ctx.act({ type: 'crash', node: leader });
    await putCommitted(ctx, 'p3', '3', without(all, leader));
    ctx.act({ type: 'restart', node: leader });
    const follower = without(all, await waitForLeader(ctx))[0]!;
    ctx.act({ type: 'crash', node: follower });
    await putCommitted(ctx, 'p4', '4', without(all, follower));
    ctx.act({ type: 'restart', node: follower });
    await waitForConvergence(ctx);
    for (const id of all) for (const k of ['p1', 'p2', 'p3', 'p4']) check(valueOn(ctx, id, k) === k.slice(1), `${id} lost ${k}`);
    checkNoViolations(ctx);
  },
};

export const figure8Unreliable: SimScenario = {
  id: 'figure8-unreliable',
  title: 'Figure 8 on an unreliable network',
  summary: 'Five nodes, lossy network with long reordering, leaders cut off again and again; safety holds and the cluster agrees once healed.',
  sim: { nodeCount: 5, network: { lossRate: 0.1, duplicateRate: 0.05, reorderRate: 0.1, reorderDelayMaxMs: 2_000 } },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    let n = 0;
    for (let round = 0; round < 40; round++) {
      for (const id of all) if (ctx.sim.node(id).up) ctx.act({ type: 'client', request: { clientId: 'f8u', node: id, op: 'put', key: `k${n}`, value: String(n++), record: false } });
      await ctx.runFor(200 + ctx.sim.node(all[round % 5]!).incarnation * 13 % 300);
      const leader = leaderAmong(ctx);
      if (leader && round % 2 === 0) ctx.act({ type: 'isolate', node: leader });
      if (round % 5 === 4) ctx.act({ type: 'healAll' });
    }
    ctx.act({ type: 'healAll' });
    ctx.act({ type: 'setNetwork', network: { lossRate: 0, duplicateRate: 0, reorderRate: 0 } });
    await ctx.runFor(2_500); // let the long-delayed messages of the unreliable phase land
    await putCommitted(ctx, 'final', 'ok', all, 15_000);
    await waitForConvergence(ctx, all, 15_000);
    checkNoViolations(ctx);
  },
};

export const unreliableAgreement: SimScenario = {
  id: 'unreliable-agreement',
  title: 'Agreement over a lossy network',
  summary: 'With 10% loss and duplication, clients retrying through the leader still get every write committed once.',
  sim: { nodeCount: 5, network: { lossRate: 0.1, duplicateRate: 0.1 } },
  async run(ctx) {
    for (let i = 0; i < 30; i++) await putCommitted(ctx, `u${i}`, String(i), ctx.sim.nodeIds, 20_000);
    ctx.act({ type: 'setNetwork', network: { lossRate: 0, duplicateRate: 0 } });
    await waitForConvergence(ctx, ctx.sim.nodeIds, 10_000);
    for (const id of ctx.sim.nodeIds) check(valueOn(ctx, id, 'u29') === '29', `${id} lacks u29`);
    checkNoViolations(ctx);
  },
};

export const churn: SimScenario = {
  id: 'churn',
  title: 'Churn with concurrent clients',
  summary: 'Nodes crash and restart while clients write; every write a client saw acknowledged is in the final state.',
  sim: { nodeCount: 5, tornWriteRate: 0.5 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    const acked: string[] = [];
    const pending = new Map<number, string>();
    let k = 0;
    for (let round = 0; round < 40; round++) {
      // Clients send to the node they believe leads (any live node if none is known).
      const target = leaderAmong(ctx) ?? all.find((id) => ctx.sim.node(id).up) ?? all[0]!;
      for (let c = 0; c < 3; c++) {
        const key = `c${k++}`;
        pending.set(ctx.act({ type: 'client', request: { clientId: `c${c}`, node: target, op: 'put', key, value: key } })!, key);
      }
      await ctx.runFor(300);
      if (round % 4 === 0) ctx.act({ type: 'crash', node: all[(round * 3) % all.length]! });
      if (round % 4 === 2) for (const id of all) if (!ctx.sim.node(id).up) ctx.act({ type: 'restart', node: id });
      for (const [id, key] of pending) {
        const r = ctx.sim.request(id)!;
        if (r.repliedAt === null) continue;
        if (r.response?.status === 200) acked.push(key);
        pending.delete(id);
      }
    }
    for (const id of all) ctx.act({ type: 'restart', node: id });
    await putCommitted(ctx, 'end', '1', all, 15_000);
    await waitForConvergence(ctx, all, 15_000);
    check(acked.length > 30, `only ${acked.length} writes were acknowledged`);
    for (const id of all) for (const key of acked) check(valueOn(ctx, id, key) === key, `${id} lost acknowledged ${key}`);
    checkNoViolations(ctx);
  },
};

export const snapshotInstall: SimScenario = {
  id: 'snapshot-install',
  title: 'Snapshot install to a lagging follower',
  summary: 'A follower cut off while the leader compacts its log is brought back with an InstallSnapshot.',
  sim: { nodeCount: 3, snapshotThreshold: 20 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    const follower = without(ctx.sim.nodeIds, leader)[0]!;
    ctx.narrate(`Cut off ${follower}; write 60 entries so ${leader} compacts past it.`);
    ctx.act({ type: 'isolate', node: follower });
    for (let i = 0; i < 60; i++) await putCommitted(ctx, `s${i}`, String(i), without(ctx.sim.nodeIds, follower));
    check(ctx.sim.node(leader).storage.firstIndex() > ctx.sim.view(follower).lastIndex + 1, 'the leader did not compact past the follower');
    const installs = () => ctx.sim.eventLog.filter((e) => e.event.type === 'snapshotInstalled' && e.event.node === follower).length;
    const before = installs();
    ctx.act({ type: 'healAll' });
    await waitForConvergence(ctx);
    check(installs() > before, `${follower} caught up without a snapshot`);
    check(valueOn(ctx, follower, 's59') === '59' && valueOn(ctx, follower, 's0') === '0', `${follower} lacks data`);
    checkNoViolations(ctx);
  },
};

export const snapshotInstallCrash: SimScenario = {
  id: 'snapshot-install-crash',
  title: 'Snapshot install to a crashed follower',
  summary: 'A follower down while the log is compacted restarts and catches up from a snapshot.',
  sim: { nodeCount: 3, snapshotThreshold: 20 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    const follower = without(ctx.sim.nodeIds, leader)[0]!;
    ctx.act({ type: 'crash', node: follower });
    for (let i = 0; i < 60; i++) await putCommitted(ctx, `s${i}`, String(i), without(ctx.sim.nodeIds, follower));
    ctx.act({ type: 'restart', node: follower });
    await waitForConvergence(ctx);
    check(valueOn(ctx, follower, 's59') === '59', `${follower} lacks s59`);
    check(ctx.sim.node(follower).storage.snapshot().index >= 20, `${follower} holds no snapshot`);
    checkNoViolations(ctx);
  },
};

export const splitVote: SimScenario = {
  id: 'split-vote',
  title: 'Split vote',
  summary: 'The leader of four nodes dies; two candidates start at once and split the votes; nobody wins that term; random timeouts settle it.',
  // Classic Raft (no PreVote, no CheckQuorum lease) so that the two campaigns are exactly the paper's.
  sim: { nodeCount: 4, raft: { preVote: false, checkQuorum: false } },
  async run(ctx) {
    const old = await waitForLeader(ctx);
    await ctx.runFor(300);
    const [a, b, voter] = without(ctx.sim.nodeIds, old) as [NodeId, NodeId, NodeId];
    ctx.narrate(`Kill the leader ${old}. ${a} and ${b} time out at the same moment and both campaign.`);
    ctx.act({ type: 'crash', node: old });
    const electionTerm = Math.max(termOf(ctx, a), termOf(ctx, b)) + 1;
    ctx.act({ type: 'campaign', node: a });
    ctx.act({ type: 'campaign', node: b });
    await ctx.runFor(100);
    const winners = [a, b].filter((id) => ctx.sim.view(id).role === 'leader' && termOf(ctx, id) === electionTerm);
    check(winners.length === 0, `${winners[0]} won term ${electionTerm} although the vote was split`);
    ctx.narrate(`Each candidate voted for itself and ${voter} could vote only once: nobody reached 3 of 4 votes in term ${electionTerm}. Random timeouts decide the next round.`);
    const leader = await waitForLeader(ctx, [a, b, voter], 10_000);
    check(termOf(ctx, leader) > electionTerm, `${leader} leads term ${termOf(ctx, leader)}, expected a term after ${electionTerm}`);
    checkNoViolations(ctx);
  },
};

export const partitionedOldLeader: SimScenario = {
  id: 'partitioned-old-leader',
  title: 'Partitioned old leader',
  summary: 'A leader cut into a minority steps down (CheckQuorum), the majority elects a new one, and on healing the old one follows.',
  sim: { nodeCount: 5 },
  async run(ctx) {
    const all = ctx.sim.nodeIds;
    const old = await waitForLeader(ctx);
    const buddy = without(all, old)[0]!;
    const majority = without(all, old, buddy);
    ctx.narrate(`Partition {${old}, ${buddy}} from {${majority.join(', ')}}.`);
    ctx.act({ type: 'partition', groups: [[old, buddy], majority] });
    const lost = request(ctx, old, 'put', 'minority', 'x', 2_500);
    const fresh = await waitForLeader(ctx, majority, 5_000);
    ctx.narrate(`${fresh} leads the majority; ${old} cannot commit and steps down when it misses its quorum.`);
    await ctx.runUntil(() => ctx.sim.view(old).role !== 'leader', 3_000);
    check(ctx.sim.view(old).role !== 'leader', `${old} still thinks it leads`);
    check((await lost)?.status !== 200, 'a write in the minority was acknowledged');
    await putCommitted(ctx, 'majority', 'y', majority);
    ctx.act({ type: 'healAll' });
    await waitForConvergence(ctx, all, 5_000);
    check(ctx.sim.view(old).leaderId !== old && valueOn(ctx, old, 'minority') === undefined, `${old} kept its minority write`);
    checkNoViolations(ctx);
  },
};

export const laggingFollower: SimScenario = {
  id: 'lagging-follower',
  title: 'Lagging follower catch-up',
  summary: 'A follower cut off for a while rejects appends it cannot place; the leader backs up with conflict hints and refills it.',
  sim: { nodeCount: 3 },
  run: (ctx) => isolatedFollowerCatchesUp(ctx, 'l', 15, (follower) => `${follower} is 15 entries behind. Heal and watch the leader find where their logs match.`),
};

export const partialPartition: SimScenario = {
  id: 'partial-partition',
  title: 'Partial partition: one node reaches only one peer',
  summary: 'A follower that loses the leader but still hears the other follower cannot depose a healthy leader (PreVote + CheckQuorum).',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    await ctx.runFor(500);
    const [cut, bridge] = without(ctx.sim.nodeIds, leader) as [NodeId, NodeId];
    ctx.narrate(`Cut ${leader}<->${cut}. ${cut} still reaches ${bridge}, which hears the leader and refuses to vote.`);
    ctx.act({ type: 'cut', from: leader, to: cut, bothWays: true });
    await leaderStaysFor(ctx, leader, 10_000);
    await putCommitted(ctx, 'pp', '1', [leader]);
    checkNoViolations(ctx);
  },
};

export const oneWayLink: SimScenario = {
  id: 'one-way-link',
  title: 'One-way link',
  summary: 'A follower that no longer receives from the leader (but can still send) does not disrupt it.',
  sim: { nodeCount: 3 },
  async run(ctx) {
    const leader = await waitForLeader(ctx);
    await ctx.runFor(500);
    const follower = without(ctx.sim.nodeIds, leader)[0]!;
    ctx.narrate(`Cut only the direction ${leader}->${follower}.`);
    ctx.act({ type: 'cut', from: leader, to: follower, bothWays: false });
    await leaderStaysFor(ctx, leader, 10_000);
    await putCommitted(ctx, 'ow', '1', [leader]);
    ctx.act({ type: 'healAll' });
    await waitForConvergence(ctx);
    checkNoViolations(ctx);
  },
};

/**
 * Why ReadIndex confirms leadership with a heartbeat round: a leader cut off from the cluster may
 * not know it has been replaced. The safe run refuses to answer from the old leader; the unsafe one
 * (no confirmation round, and no CheckQuorum to make it step down) serves a stale value, and the
 * linearizability checker rejects the history.
 */
function staleRead(unsafe: boolean): SimScenario {
  return {
    id: unsafe ? 'stale-read-unsafe' : 'stale-read',
    title: unsafe ? 'Stale read from a deposed leader (no ReadIndex confirmation)' : 'No stale read from a deposed leader',
    summary: unsafe
      ? 'Without the heartbeat round of ReadIndex, a cut-off leader answers a read with an old value after a new leader committed a newer one.'
      : 'A cut-off leader cannot confirm it still leads, so it does not answer a read with its old value.',
    sim: { nodeCount: 3, raft: unsafe ? { checkQuorum: false, unsafe: { readWithoutQuorumCheck: true } } : {} },
    async run(ctx) {
      const all = ctx.sim.nodeIds;
      const old = await waitForLeader(ctx);
      await putCommitted(ctx, 'x', '1');
      ctx.narrate(`Cut off the leader ${old}; the others elect a new leader and commit x=2.`);
      ctx.act({ type: 'isolate', node: old });
      await putCommitted(ctx, 'x', '2', without(all, old));
      ctx.narrate(`A client asks ${old} for x.`);
      const read = await request(ctx, old, 'get', 'x');
      const verdict = checkLinearizability(ctx.sim.history);
      if (unsafe) {
        check(read?.status === 200 && read.body.value === '1', `expected the deposed leader to serve the stale x=1, got ${JSON.stringify(read)}`);
        check(verdict.verdict === 'not_linearizable', 'expected the linearizability checker to reject the history');
        ctx.narrate(`${old} answered x=1 after x=2 was committed: the checker rejects the history.`);
        return;
      }
      check(read?.status !== 200 || read.body.value === '2', `a deposed leader served a stale read: ${JSON.stringify(read)}`);
      check(verdict.verdict === 'linearizable', `history not linearizable: ${verdict.failure?.explanation ?? verdict.verdict}`);
      ctx.narrate(`${old} could not confirm its leadership (answer ${read?.status ?? 'none'}): no stale read.`);
      checkNoViolations(ctx);
    },
  };
}

export const staleReadSafe = staleRead(false);
export const staleReadUnsafe = staleRead(true);

export const paperScenarios: readonly SimScenario[] = [
  initialElection, reElection, manyElections, basicAgreement, failAgree, failNoAgree, concurrentProposals, rejoin,
  fastBackup, persistence, figure8Safe, figure8Unsafe, figure8Unreliable, unreliableAgreement, churn, snapshotInstall,
  snapshotInstallCrash, splitVote, partitionedOldLeader, laggingFollower, partialPartition, oneWayLink,
  staleReadSafe, staleReadUnsafe, ...membershipScenarios,
];

/** The playground's guided runs, in teaching order. */
export const guidedScenarios: readonly SimScenario[] = [
  initialElection, splitVote, partitionedOldLeader, laggingFollower, partialPartition, oneWayLink, staleReadSafe, staleReadUnsafe,
  figure8Safe, figure8Unsafe,
];
