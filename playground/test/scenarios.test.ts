/**
 * Every guided scenario, run the way the page runs it (through the engine, paced by frames, with
 * the script continuing between frames), reaches the same verdict as core's direct run: pass.
 * Figure 8 with the page's unsafe toggle on fails, and the invariant checker reports why.
 */
import { describe, expect, it } from 'vitest';
import { Engine, frameMs } from '../src/engine/engine';
import type { SimSnapshot } from '../src/engine/protocol';
import { ManualScheduler } from '../src/engine/scheduler';
import { guidedScenarios } from '../src/engine/scenarios';

async function runGuided(id: string, unsafe = false): Promise<SimSnapshot> {
  const scheduler = new ManualScheduler();
  let last: SimSnapshot | null = null;
  const engine = new Engine({ setup: { seed: 5, nodeCount: 3, unsafeCommitOldTerm: unsafe }, speed: 100, playing: true, loadOpsPerSec: 0 }, scheduler, (s) => (last = s));
  engine.handle({ type: 'runScenario', id });
  for (let frames = 0; frames < 20_000 && last!.scenarioStatus[id] === 'running'; frames++) await scheduler.advanceAsync(frameMs);
  engine.dispose();
  return last!;
}

describe('guided scenarios through the paced engine', () => {
  for (const s of guidedScenarios) {
    it(`${s.info.id}: ${s.info.title}`, async () => {
      const result = await runGuided(s.info.id);
      expect(result.scenarioRun?.error ?? null).toBeNull();
      expect(result.scenarioStatus[s.info.id]).toBe('pass');
      if (s.info.id === 'figure8-unsafe') expect(result.violations.map((v) => v.property)).toContain('state_machine_safety');
      else if (s.info.id === 'own-term-rule-unsafe') expect(result.violations.map((v) => v.property)).toContain('election_safety');
      else expect(result.violations).toEqual([]);
    });
  }

  it('Figure 8 with the unsafe toggle on fails, and the checker says a committed entry was lost', async () => {
    const result = await runGuided('figure8', true);
    expect(result.scenarioStatus.figure8).toBe('fail');
    expect(result.violations.map((v) => v.property)).toContain('state_machine_safety');
  });
});
