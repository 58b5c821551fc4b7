/** Every scenario of the library passes in the simulator under several seeds. */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/index';
import {
  SimDriver, allScenarios, directContext, fastBacktracking, figure8Unsafe, noopRead, ownTermRuleUnsafe, paperScenarios, partitionedOldLeader, preVoteRejoin,
  protocolScenarios, staleReadSafe,
} from '../src/scenarios/index';

const seeds = [1, 2, 3, 4, 5];

describe('A-H, P, S and K scenarios in the simulator', () => {
  for (const scenario of allScenarios) {
    it.each(seeds)(`${scenario.id}: ${scenario.title} (seed %i)`, async (seed) => {
      const sim = new Simulation({ seed, nodeCount: scenario.cluster.nodes, snapshotThreshold: scenario.cluster.snapshotThreshold ?? 50 });
      await scenario.run({ d: new SimDriver(sim), narrate: () => {} });
      expect(sim.violations).toEqual([]);
    });
  }
});

describe('paper and lab scenarios', () => {
  for (const scenario of [...paperScenarios, ...protocolScenarios]) {
    it.each(seeds)(`${scenario.id}: ${scenario.title} (seed %i)`, async (seed) => {
      const sim = new Simulation({ ...scenario.sim, seed });
      await scenario.run(directContext(sim));
    });
  }

  it('without the current-term commit rule, Figure 8 makes the invariant checker fail', async () => {
    const sim = new Simulation(figure8Unsafe.sim);
    await figure8Unsafe.run(directContext(sim));
    expect(sim.violations.map((v) => v.property)).toContain('state_machine_safety');
  });

  it('without the own-term rule for membership changes, the checker sees two leaders in one term', async () => {
    const sim = new Simulation(ownTermRuleUnsafe.sim);
    await ownTermRuleUnsafe.run(directContext(sim));
    expect(sim.violations.map((v) => v.property)).toContain('election_safety');
  });
});

/** Each protocol switch's scenario: passes with the switch on, fails with it off (what the playground's toggles show). */
describe('protocol switches: each scenario passes with its rule and fails without it', () => {
  const cases = [
    { scenario: preVoteRejoin, off: { raft: { preVote: false } } },
    { scenario: noopRead, off: { raft: { leaderNoop: false } } },
    { scenario: fastBacktracking, off: { raft: { fastBacktracking: false } } },
    { scenario: partitionedOldLeader, off: { raft: { checkQuorum: false } } },
    { scenario: staleReadSafe, off: { localReads: true } },
  ] as const;
  for (const { scenario, off } of cases) {
    it.each([1, 2, 3])(`${scenario.id} (seed %i)`, async (seed) => {
      await scenario.run(directContext(new Simulation({ ...scenario.sim, seed })));
      const without = new Simulation({ ...scenario.sim, ...off, raft: { ...scenario.sim.raft, ...('raft' in off ? off.raft : {}) }, seed });
      await expect(scenario.run(directContext(without))).rejects.toThrow();
    });
  }
});
