/**
 * Every guided scenario, run the way the page runs it (through the engine, paced by frames, with
 * the script continuing between frames), reaches the same verdict as core's direct run: pass.
 * Each protocol rule's scenario fails with the rule switched off (Figure 8's checker says why).
 */
import { describe, expect, it } from 'vitest';
import { zooRunOf } from '../src/engine/bug-zoo';
import { Engine, frameMs } from '../src/engine/engine';
import type { ProtocolName, SimSnapshot } from '../src/engine/protocol';
import { fullProtocol, protocolNames } from '../src/engine/protocol';
import { toggleScenario } from '../src/engine/scenario-ids';
import { ManualScheduler } from '../src/engine/scheduler';
import { guidedScenarios } from '../src/engine/scenarios';

async function runGuided(id: string, off: ProtocolName | null = null): Promise<SimSnapshot> {
  const scheduler = new ManualScheduler();
  let last: SimSnapshot | null = null;
  const protocol = { ...fullProtocol, ...(off ? { [off]: false } : {}) };
  const engine = new Engine({ setup: { seed: 5, nodeCount: 3, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0 }, speed: 100, playing: true }, scheduler, (s) => (last = s));
  engine.handle({ type: 'runScenario', id, protocol });
  for (let frames = 0; frames < 20_000 && last!.scenarioStatus[id] === 'running'; frames++) await scheduler.advanceAsync(frameMs);
  engine.dispose();
  return last!;
}

describe('guided scenarios through the paced engine', () => {
  it('lists each scenario once', () => {
    const ids = guidedScenarios.map((s) => s.info.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });

  for (const s of guidedScenarios) {
    it(`${s.info.id}: ${s.info.title}`, async () => {
      const result = await runGuided(s.info.id);
      expect(result.scenarioRun?.error ?? null).toBeNull();
      expect(result.scenarioStatus[s.info.id]).toBe('pass');
      if (s.info.id === 'figure8-unsafe') expect(result.violations.map((v) => v.property)).toContain('state_machine_safety');
      else if (s.info.id === 'own-term-rule-unsafe') expect(result.violations.map((v) => v.property)).toContain('election_safety');
      else if (zooRunOf(s.info.id)?.variant === 'bug') expect(result.lab!.zooVerdict).toMatchObject({ variant: 'bug', status: 'pass' });
      else expect(result.violations).toEqual([]);
    });
  }

  it('Figure 8 with the commit rule off fails, and the checker says a committed entry was lost', async () => {
    const result = await runGuided('figure8', 'commitRule');
    expect(result.scenarioStatus.figure8).toBe('fail');
    expect(result.lab!.protocol.commitRule).toBe(false);
    expect(result.violations.map((v) => v.property)).toContain('state_machine_safety');
    // The narration says what happened, not what the variant was meant to do.
    expect(result.scenarioRun!.narration.map((n) => n.text).join(' ')).toContain('Counting replicas, n1 commits entry 2');
  });

  for (const name of protocolNames.filter((n) => n !== 'commitRule')) {
    it(`${toggleScenario[name]} fails with ${name} off`, async () => {
      const result = await runGuided(toggleScenario[name], name);
      expect(result.lab!.protocol[name]).toBe(false);
      expect(result.scenarioStatus[toggleScenario[name]]).toBe('fail');
    });
  }

  it('figure8-unsafe runs with the commit rule shown off, although the page\'s rule is on', async () => {
    const result = await runGuided('figure8-unsafe');
    expect(result.setup.protocol.commitRule).toBe(true);
    expect(result.lab!.protocol.commitRule).toBe(false);
  });
});
