/**
 * Figure 8 of the Raft paper: why a leader may only commit entries of its own term by counting
 * replicas. Five nodes; the original Raft (no PreVote, no CheckQuorum) so that terms move as in the
 * figure; one entry per AppendEntries so that the script can stop replication between two entries.
 *
 * (a) n1 leads and replicates entry 2 to n2 only. (b) n1 crashes; n5 wins with n3, n4 and itself and
 * writes a different entry 2 (its no-op) locally. (c) n5 crashes; n1 comes back, wins, and copies its
 * entry 2 to n3: entry 2 is now on a majority (n1, n2, n3), but it is from an old term. (d) n1
 * crashes; n5 wins with n3 and n4 (its last term is newer) and overwrites entry 2 everywhere.
 * With the current-term rule, n1 never committed entry 2, so nothing committed is lost. Without it
 * (the unsafe option), n1 committed entry 2 in (c) and (d) destroys a committed entry.
 */
import type { NodeId } from '../types';
import { ScenarioFailure } from './driver';
import { check } from './helpers';
import type { SimScenario, SimScenarioContext } from './sim-scenario';
import { crashSilently, tryToElect } from './message-control';
import { checkNoViolations, waitForLeader } from './sim-helpers';

const [n1, n2, n3, n4, n5] = ['n1', 'n2', 'n3', 'n4', 'n5'] as const;
const all: NodeId[] = [n1, n2, n3, n4, n5];

const cutFrom = (ctx: SimScenarioContext, from: NodeId, to: readonly NodeId[]) => {
  for (const t of to) ctx.act({ type: 'cut', from, to: t, bothWays: false });
};

/** Campaigns `id` until it leads (votes may need a few rounds while terms settle). */
async function elect(ctx: SimScenarioContext, id: NodeId): Promise<void> {
  if (!(await tryToElect(ctx, id, 10))) throw new ScenarioFailure(`${id} could not win an election`);
}

const progressOf = (ctx: SimScenarioContext, leader: NodeId, follower: NodeId): number =>
  ctx.sim.node(leader).raft?.status().progress?.[follower]?.match ?? 0;

function figure8(unsafe: boolean): SimScenario {
  return {
    id: unsafe ? 'figure8-unsafe' : 'figure8',
    title: unsafe ? 'Figure 8 without the current-term rule' : 'Figure 8: commit only your own term',
    summary: unsafe
      ? 'With the rule removed, a leader commits an old-term entry by counting replicas, and a later leader overwrites it: the checker reports a lost committed entry.'
      : 'An entry from an old term on a majority is not yet committed; a later leader may overwrite it, and nothing committed is lost.',
    sim: {
      seed: 8,
      nodeCount: 5,
      raft: { preVote: false, checkQuorum: false, entriesPerMessageMax: 1, unsafe: { commitOldTermByCount: unsafe } },
      // Long timeouts keep nodes from campaigning on their own: the script decides who leads.
      // (The script still lets the clock run, so randomized timeouts do fire now and then.)
    },
    async run(ctx) {
      const { narrate } = ctx;
      narrate('n1 becomes leader and commits its first entry everywhere.');
      await elect(ctx, n1);
      await ctx.runUntil(() => all.every((id) => ctx.sim.view(id).commitIndex >= 1), 2_000);

      narrate('(a) n1 can reach only n2; a client writes x=1, which becomes entry 2 on n1 and n2.');
      cutFrom(ctx, n1, [n3, n4, n5]);
      ctx.act({ type: 'client', request: { clientId: 'fig8', node: n1, op: 'put', key: 'x', value: '1', record: false } });
      const replicated = await ctx.runUntil(() => ctx.sim.view(n2).lastIndex >= 2, 2_000);
      check(replicated, 'entry 2 did not reach n2');
      crashSilently(ctx, n1);
      ctx.act({ type: 'healAll' });

      narrate('(b) n1 crashes. n5 wins with votes from n3 and n4 and appends its own entry 2, which it keeps to itself.');
      await elect(ctx, n5);
      cutFrom(ctx, n5, [n1, n2, n3, n4]);
      await ctx.runUntil(() => ctx.sim.node(n5).storage.lastIndex() >= 2, 100);
      crashSilently(ctx, n5);
      ctx.act({ type: 'healAll' });

      narrate('(c) n1 restarts and wins again. It copies entry 2 to n3: entry 2 is on n1, n2 and n3, a majority.');
      ctx.act({ type: 'restart', node: n1 });
      ctx.act({ type: 'cut', from: n1, to: n4, bothWays: true });
      await elect(ctx, n1);
      const copied = await ctx.runUntil(() => progressOf(ctx, n1, n3) >= 2, 2_000);
      check(copied, 'n1 did not copy entry 2 to n3');
      // Stop n1 right there, before its own-term entry 3 reaches n3.
      const commitOfN1 = ctx.sim.view(n1).commitIndex;
      // Said from what happened, not from the variant: the playground can remove the rule from the safe run too.
      narrate(commitOfN1 >= 2
        ? `Counting replicas, n1 commits entry 2 (commit index ${commitOfN1}) although it is from an old term.`
        : `n1 does not commit entry 2 (commit index stays ${commitOfN1}): it is from an old term.`);
      crashSilently(ctx, n1);

      narrate('(d) n1 crashes. n5 restarts and wins with n3 and n4, whose last entries are older than its own.');
      ctx.act({ type: 'healAll' });
      ctx.act({ type: 'isolate', node: n2 });
      ctx.act({ type: 'restart', node: n5 });
      await elect(ctx, n5);
      await ctx.runUntil(() => ctx.sim.view(n3).lastIndex >= 2 && ctx.sim.node(n3).raft?.termAt(2) === ctx.sim.node(n5).raft?.termAt(2), 3_000);
      narrate('n5 replicates its entry 2 to n3 and n4, replacing x=1.');

      if (unsafe) {
        const lost = ctx.sim.violations.find((v) => v.property === 'state_machine_safety');
        check(lost !== undefined, 'expected the checker to report a committed entry being overwritten');
        narrate(`The checker caught it: ${lost.message}.`);
        return;
      }
      check(commitOfN1 < 2, `n1 committed entry 2 of an old term (commit ${commitOfN1})`);
      ctx.act({ type: 'healAll' });
      ctx.act({ type: 'restart', node: n1 });
      await waitForLeader(ctx);
      await ctx.runFor(2_000);
      checkNoViolations(ctx);
      narrate('Nothing committed was lost: the current-term rule held entry 2 back until it was safe.');
    },
  };
}

export const figure8Safe = figure8(false);
export const figure8Unsafe = figure8(true);
