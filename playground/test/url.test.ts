import { describe, expect, it } from 'vitest';
import { fullProtocol } from '../src/engine/protocol';
import type { ScriptEntry } from '../src/engine/protocol';
import { parseUrl, runQuery, scenarioQuery, shareQuery } from '../src/store/url';

const setup = (extra = {}) => ({ seed: 42, nodeCount: 5, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0, ...extra });

describe('URL parameters (docs/playground.md)', () => {
  it('reads the bug-zoo options switched on (bugs=), keeps only names, and writes them back', () => {
    expect(parseUrl('?bugs=truncateMatchingEntries,readBeforeApplied', 1).bugs).toEqual(['readBeforeApplied', 'truncateMatchingEntries']);
    expect(parseUrl('?bugs=no-such,,x%3By', 1).bugs).toEqual([]);
    // The commit rule's option is off=commitRule, never listed twice.
    expect(parseUrl('?bugs=commitOldTermByCount', 1).bugs).toEqual([]);
    expect(parseUrl('', 1).bugs).toEqual([]);
    const q = runQuery(setup({ bugs: ['truncateMatchingEntries'] }));
    expect(new URLSearchParams(q).get('bugs')).toBe('truncateMatchingEntries');
    expect(parseUrl(q, 1).bugs).toEqual(['truncateMatchingEntries']);
    expect(new URLSearchParams(runQuery(setup())).has('bugs')).toBe(false);
  });

  it('reads seed and node count, defaulting to a random seed and 5 nodes', () => {
    expect(parseUrl('?seed=42&nodes=3', 7)).toMatchObject({ seed: 42, seedGiven: true, nodes: 3, mode: 'sim' });
    expect(parseUrl('', 7)).toMatchObject({ seed: 7, seedGiven: false, nodes: 5, speed: 0.1, load: 0, loss: 0, protocol: fullProtocol, paused: false, open: null });
  });

  it('keeps node counts within 3-7 and ignores nonsense', () => {
    expect(parseUrl('?nodes=1', 1).nodes).toBe(3);
    expect(parseUrl('?nodes=12', 1).nodes).toBe(7);
    expect(parseUrl('?nodes=abc&seed=-4', 9)).toMatchObject({ nodes: 5, seed: 9, seedGiven: false });
    expect(parseUrl('?seed=1.5', 9).seed).toBe(9);
  });

  it('opens live mode and reads the playground extras, the rules switched off, and the old unsafe=1', () => {
    expect(parseUrl('?mode=live', 1).mode).toBe('live');
    expect(parseUrl('?speed=100&load=20&loss=0.1&paused=1', 1)).toMatchObject({ speed: 100, load: 20, loss: 0.1, paused: true });
    expect(parseUrl('?speed=1000', 1).speed).toBe(100);
    expect(parseUrl('?speed=0.0001', 1).speed).toBe(0.01);
    expect(parseUrl('?off=preVote,readindex', 1).protocol).toEqual({ ...fullProtocol, preVote: false, readIndex: false });
    expect(parseUrl('?unsafe=1', 1).protocol.commitRule).toBe(false);
  });

  it('writes the query that starts a setup afresh, and reads it back', () => {
    expect(runQuery(setup())).toBe('?seed=42&nodes=5');
    expect(runQuery(setup({ protocol: { ...fullProtocol, checkQuorum: false }, loadOpsPerSec: 20 }), 'live')).toBe('?seed=42&nodes=5&off=checkQuorum&load=20&mode=live');
    const back = parseUrl(runQuery(setup({ protocol: { ...fullProtocol, commitRule: false }, lossRate: 0.25 })), 0);
    expect(back).toMatchObject({ seed: 42, nodes: 5, loss: 0.25, protocol: { ...fullProtocol, commitRule: false } });
  });

  it('a share link carries the setup, every action with its step and time, and the moment, exactly', () => {
    const script: ScriptEntry[] = [
      { step: 812, at: 1500.123456789, action: { type: 'sim', action: { type: 'crash', node: 'n2' } } },
      { step: 990, at: 1770.5, action: { type: 'request', client: 'c1', op: 'put', key: 'ü', value: 'ß', target: 'leader', stale: false, retry: true } },
    ];
    const query = shareQuery({ setup: setup({ loadOpsPerSec: 20 }), script, at: 2345.6789012345 }, 0.1);
    const back = parseUrl(query, 0);
    expect(back.open).toEqual({ setup: setup({ loadOpsPerSec: 20 }), script, at: 2345.6789012345 });
    expect(back).toMatchObject({ seed: 42, speed: 0.1, load: 20 });
  });

  it('a scenario link carries a whole file; a broken one says what is wrong', () => {
    const file = { setup: setup(), script: [], expect: [{ at: 100, check: 'leader', node: null }] };
    expect(parseUrl(scenarioQuery(file), 0).open).toMatchObject({ expect: [{ at: 100, check: 'leader', node: null }] });
    const broken = parseUrl(scenarioQuery({ setup: setup({ nodeCount: 12 }) }), 0);
    expect(broken.open).toBeNull();
    expect(broken.openError).toMatch(/nodeCount/);
  });
});
