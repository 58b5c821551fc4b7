/**
 * The bug zoo: every unsafe option of the core is a classic Raft bug, and the checks must catch
 * each one. Per option, the fuzzer with the option's fault mix must fail within the seeds recorded in
 * core/src/sim/bug-zoo.ts, in the way the bug breaks things, and the same seeds must pass with the
 * option off. Every option's scripted demonstration must show the damage with the bug on and run
 * clean with it off. When a change to the core or the simulator moves the first failing seed out of
 * the recorded range, search again with `npm run fuzz -- --unsafe <option>` and record the seeds.
 */
import { describe, expect, it } from 'vitest';
import { bugZooScenarios } from '../src/scenarios/bug-zoo';
import { directContext } from '../src/scenarios/sim-scenario';
import { bugNames, bugZoo, zooFuzzOptions } from '../src/sim/bug-zoo';
import type { ZooBug } from '../src/sim/bug-zoo';
import { failureKind, runFuzz } from '../src/sim/fuzz';
import type { FuzzResult } from '../src/sim/fuzz';
import { Simulation } from '../src/sim/simulation';

const range = ([from, to]: readonly [number, number]): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Runs the bug's mix over its seeds with the option on, in order, up to the first failing run. */
function firstCatch(bug: ZooBug, seeds: readonly [number, number]): FuzzResult | undefined {
  for (const seed of range(seeds)) {
    const result = runFuzz(zooFuzzOptions(bug, seed, true));
    if (!result.ok) return result;
  }
  return undefined;
}

describe('the bug zoo catalog', () => {
  it('lists every unsafe option once, each with its rule, a fault mix and seeds within the first 1000', () => {
    expect(new Set(bugNames).size).toBe(bugNames.length);
    expect(bugNames.length).toBeGreaterThanOrEqual(10);
    for (const bug of bugZoo) {
      expect(bug.rule.length, bug.name).toBeGreaterThan(20);
      expect(bug.caughtAs.length, bug.name).toBeGreaterThan(0);
      expect(bugZooScenarios[bug.name], bug.name).toBeDefined();
      if (bug.seeds === null) continue;
      const [from, to] = bug.seeds;
      expect(from >= 1 && from <= to && to <= 1000, `${bug.name}: seeds ${from}-${to}`).toBe(true);
    }
    // The fuzzer reaches every one (each also has a scripted run, below).
    expect(bugZoo.filter((b) => b.seeds === null).map((b) => b.name)).toEqual([]);
  });
});

describe('the fuzzer catches every bug of the zoo it reaches', () => {
  const reached = bugZoo.flatMap((bug) => (bug.seeds ? [[bug.name, bug, bug.seeds] as const] : []));
  it.each(reached)('%s: a run fails within its seeds, and the same seeds pass without it', (_name, bug, seeds) => {
    const caught = firstCatch(bug, seeds);
    const where = `seeds ${seeds[0]}-${seeds[1]} (${bug.fuzz.nodes} nodes)`;
    expect(caught, `${bug.name} was not caught in ${where}: search again with npm run fuzz -- --unsafe ${bug.name}, and record the seeds in core/src/sim/bug-zoo.ts`).toBeDefined();
    console.log(`${bug.name}: caught at seed ${caught!.seed} of ${where}: ${caught!.failures[0]!.split('\n')[0]}\n  replay: npm run fuzz -- --unsafe ${bug.name} --seeds ${caught!.seed}`);
    const kinds = caught!.failures.map(failureKind);
    expect(kinds.some((k) => bug.caughtAs.includes(k)), `${bug.name} failed as ${kinds.join(', ')}, expected ${bug.caughtAs.join(' or ')}`).toBe(true);

    const failingWithout = range(seeds).map((seed) => runFuzz(zooFuzzOptions(bug, seed, false))).filter((r) => !r.ok);
    expect(failingWithout.map((r) => `seed ${r.seed}: ${r.failures.join(' | ')}`)).toEqual([]);
  });
});

describe('false alarms the zoo\'s mixes once raised, with the options off', () => {
  // The checker once called these violations: a stale leader overwriting the copy of a follower
  // too far behind to have counted toward the commit (Figure 8's mix, seed 141), and a candidate of
  // an older term winning without an entry committed in a newer one (the vote mix, seed 183).
  it.each([['commitOldTermByCount', 141], ['voteBeforePersist', 183]] as const)('%s mix, seed %i, option off: clean', (name, seed) => {
    const bug = bugZoo.find((b) => b.name === name)!;
    const result = runFuzz(zooFuzzOptions(bug, seed, false));
    expect(result.failures).toEqual([]);
  });
});

describe('the bug zoo demonstrations', () => {
  const seeds = [undefined, 2, 3] as const;
  for (const name of bugNames) {
    const { bug, rule } = bugZooScenarios[name];
    it.each(seeds)(`${bug.id} shows ${name} doing damage, and ${rule.id} runs clean (seed %s)`, async (seed) => {
      const narration: string[] = [];
      const withBug = new Simulation(seed === undefined ? bug.sim : { ...bug.sim, seed });
      await bug.run(directContext(withBug, (text) => narration.push(text)));
      expect(narration.some((line) => line.includes('Caught') || line.includes('checker')), narration.join('\n')).toBe(true);

      const withRule = new Simulation(seed === undefined ? rule.sim : { ...rule.sim, seed });
      await rule.run(directContext(withRule));
      expect(withRule.violations).toEqual([]);
    });
  }
});
