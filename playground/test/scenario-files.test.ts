/**
 * Scenarios as data: every file in playground/scenarios/ (exported from the page) passes here, run
 * by the same code the page runs it with; the page's Playwright spec imports the same files and
 * expects the same verdict. A file whose expectations are changed fails, so the check can fail.
 * SCENARIO_FILES (paths, comma-separated) adds more files, e.g. one just exported by a test.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayShared } from '../src/engine/replay';
import { ScenarioFileError, parseScenario } from '../src/engine/scenario-format';

const dir = fileURLToPath(new URL('../scenarios/', import.meta.url));
const files = [
  ...readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => join(dir, f)),
  ...(process.env.SCENARIO_FILES ?? '').split(',').filter(Boolean),
];

describe('scenario files', () => {
  it('there are some', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });

  for (const file of files) {
    it(`${file.split('/').pop()}: passes`, () => {
      const run = parseScenario(JSON.parse(readFileSync(file, 'utf8')));
      const result = replayShared(run);
      expect(result.results.filter((r) => !r.ok)).toEqual([]);
      expect(result.verdict).toBe('pass');
    });
  }

  it('a file whose expectation does not hold fails, and says what it found', () => {
    const run = parseScenario(JSON.parse(readFileSync(files[0]!, 'utf8')));
    const leader = run.expect!.find((e) => e.check === 'leader')!;
    const wrong = { ...run, expect: [{ ...leader, node: leader.node === 'n1' ? 'n2' : 'n1' }] };
    const result = replayShared(wrong);
    expect(result.verdict).toBe('fail');
    expect(result.results[0]!.actual).toMatch(/leads|no leader/);
  });

  it('without its actions, the same file fails (the actions matter)', () => {
    for (const file of files) {
      const run = parseScenario(JSON.parse(readFileSync(file, 'utf8')));
      expect(replayShared({ ...run, script: [] }).verdict, file).toBe('fail');
    }
  });

  it('a check of a server the script never started fails, saying so', () => {
    const run = parseScenario(JSON.parse(readFileSync(files.find((f) => f.endsWith('grow-and-transfer.json'))!, 'utf8')));
    // Without the simulator actions (the addNode and the operator's requests), n4 never exists.
    const result = replayShared({ ...run, script: run.script.filter((e) => e.action.type !== 'sim') });
    expect(result.verdict).toBe('fail');
    expect(result.results.find((r) => !r.ok && 'node' in r.expectation && r.expectation.node === 'n4' && r.expectation.check === 'role')!.actual).toBe('there is no n4 at this moment');
  });

  it('rejects what is not a scenario, saying what is wrong', () => {
    expect(() => parseScenario({ setup: { seed: 1, nodeCount: 3 }, script: [{ step: 0, at: 0, action: { type: 'sim', action: { type: 'crash', node: 'n9' } } }] }))
      .toThrow(/no node n9/);
    expect(() => parseScenario({ setup: { seed: 1, nodeCount: 3 }, script: [{ step: 5, at: 10, action: { type: 'setLoad', opsPerSec: 1 } }, { step: 4, at: 10, action: { type: 'setLoad', opsPerSec: 1 } }] }))
      .toThrow(/out of order/);
    expect(() => parseScenario({ format: 'other', setup: {} })).toThrow(ScenarioFileError);
    expect(() => parseScenario({ setup: { seed: 1, nodeCount: 3 }, expect: [{ at: 1, check: 'magic' }] })).toThrow(/unknown check/);
    expect(() => parseScenario({ setup: { seed: 1, nodeCount: 3 }, at: 1e12 })).toThrow(/an hour of simulated time/);
  });
});
