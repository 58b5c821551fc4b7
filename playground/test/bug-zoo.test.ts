/**
 * The bug zoo in the playground: every unsafe option of the core has a switch, and its
 * demonstration, run the way the page runs it, breaks the rule with the option on (the checker
 * that catches it is named) and keeps it with the option off. A switched-on option reaches the run.
 */
import { bugZoo } from '@raft-kv/core/sim';
import { describe, expect, it } from 'vitest';
import { bugsOf, zooCatalog } from '../src/engine/bug-zoo';
import { Engine, frameMs } from '../src/engine/engine';
import type { RunSetup, SimSnapshot } from '../src/engine/protocol';
import { fullProtocol } from '../src/engine/protocol';
import { ManualScheduler } from '../src/engine/scheduler';
import { replayShared } from '../src/engine/replay';
import { parseScenario } from '../src/engine/scenario-format';
import { playgroundSimConfig } from '../src/engine/sim-config';

const setup = (bugs: string[] = [], commitRule = true): RunSetup => ({
  seed: 5, nodeCount: 3, protocol: { ...fullProtocol, commitRule }, loadOpsPerSec: 0, lossRate: 0, ...(bugs.length ? { bugs } : {}),
});

async function runScenario(id: string, from: RunSetup): Promise<SimSnapshot> {
  const scheduler = new ManualScheduler();
  let last: SimSnapshot | null = null;
  const engine = new Engine({ setup: from, speed: 100, playing: true }, scheduler, (s) => (last = s));
  engine.handle({ type: 'runScenario', id });
  for (let frames = 0; frames < 20_000 && last!.scenarioStatus[id] === 'running'; frames++) await scheduler.advanceAsync(frameMs);
  engine.dispose();
  return last!;
}

describe('the bug zoo in the playground', () => {
  it('lists every option of the core, each with two runs', () => {
    expect(zooCatalog.map((z) => z.name)).toEqual(bugZoo.map((b) => b.name));
    expect(zooCatalog.length).toBeGreaterThanOrEqual(13);
    for (const z of zooCatalog) expect(z.bugScenario).not.toBe(z.ruleScenario);
  });

  it('a switched-on option reaches the simulation; the commit rule off is commitOldTermByCount', () => {
    expect(bugsOf(playgroundSimConfig(setup(['truncateMatchingEntries'])))).toEqual(['truncateMatchingEntries']);
    expect(bugsOf(playgroundSimConfig(setup([], false)))).toEqual(['commitOldTermByCount']);
    expect(bugsOf(playgroundSimConfig(setup(['noSuchBug'])))).toEqual([]);
    expect(bugsOf(playgroundSimConfig(setup()))).toEqual([]);
  });

  it('a scenario file carries the options switched on, and its replay runs with them', () => {
    const file = parseScenario({ setup: { seed: 1, nodeCount: 3, bugs: ['truncateMatchingEntries', 'truncateMatchingEntries'] }, script: [], at: 100 });
    expect(file.setup.bugs).toEqual(['truncateMatchingEntries']);
    expect(bugsOf(replayShared(file).run.sim.config)).toEqual(['truncateMatchingEntries']);
    expect(() => parseScenario({ setup: { seed: 1, nodeCount: 3, bugs: 'truncateMatchingEntries' } })).toThrow(/setup.bugs must be a list/);
    expect(parseScenario({ setup: { seed: 1, nodeCount: 3 } }).setup.bugs).toBeUndefined();
  });

  it('Figure 8 run with the commit rule off is the rule broken, named as such', async () => {
    const broken = await runScenario('figure8', setup([], false));
    expect(broken.scenarioStatus.figure8).toBe('fail');
    expect(broken.lab!.zooVerdict).toMatchObject({ bug: 'commitOldTermByCount', variant: 'bug', status: 'pass', caughtAs: ['safety'] });
    // Another protection off (ReadIndex) is not the zoo's option: no zoo line, the scenario's verdict says it.
    const stale = await runScenario('stale-read', { ...setup(), protocol: { ...fullProtocol, readIndex: false } });
    expect(stale.scenarioStatus['stale-read']).toBe('fail');
    expect(stale.lab!.zooVerdict).toBeNull();
  });

  for (const z of zooCatalog) {
    const expected = bugZoo.find((b) => b.name === z.name)!.caughtAs;
    it(`${z.name}: its run breaks the rule with the bug on, and keeps it with the bug off`, async () => {
      const broken = await runScenario(z.bugScenario, setup([z.name]));
      expect(broken.lab!.bugs).toContain(z.name);
      expect(broken.lab!.zooVerdict).toMatchObject({ bug: z.name, rule: z.rule, variant: 'bug', status: 'pass' });
      // Caught the way the fuzzer catches it (one of the ways the zoo lists).
      for (const kind of broken.lab!.zooVerdict!.caughtAs) expect(expected).toContain(kind);
      const narration = broken.scenarioRun!.narration.map((n) => n.text).join(' ');
      expect(narration).toContain(z.rule);
      expect(broken.feed.some((f) => f.text.includes(z.rule))).toBe(true);

      const kept = await runScenario(z.ruleScenario, setup());
      expect(kept.lab!.bugs).not.toContain(z.name);
      expect(kept.lab!.zooVerdict).toMatchObject({ bug: z.name, variant: 'rule', status: 'pass', caughtAs: [] });
      expect(kept.violations).toEqual([]);
      expect(kept.linearizability.verdict).not.toBe('not_linearizable');
    });
  }
});
