import { describe, expect, it } from 'vitest';
import { parseUrl, runQuery } from '../src/store/url';

describe('URL parameters (docs/playground.md)', () => {
  it('reads seed and node count, defaulting to a random seed and 5 nodes', () => {
    expect(parseUrl('?seed=42&nodes=3', 7)).toMatchObject({ seed: 42, seedGiven: true, nodes: 3, mode: 'sim' });
    expect(parseUrl('', 7)).toMatchObject({ seed: 7, seedGiven: false, nodes: 5, speed: 0.1, load: 0, unsafe: false, paused: false });
  });

  it('keeps node counts within 3-7 and ignores nonsense', () => {
    expect(parseUrl('?nodes=1', 1).nodes).toBe(3);
    expect(parseUrl('?nodes=12', 1).nodes).toBe(7);
    expect(parseUrl('?nodes=abc&seed=-4', 9)).toMatchObject({ nodes: 5, seed: 9, seedGiven: false });
    expect(parseUrl('?seed=1.5', 9).seed).toBe(9);
  });

  it('opens live mode and reads the playground extras', () => {
    expect(parseUrl('?mode=live', 1).mode).toBe('live');
    expect(parseUrl('?speed=100&load=20&unsafe=1&paused=1', 1)).toMatchObject({ speed: 100, load: 20, unsafe: true, paused: true });
    expect(parseUrl('?speed=1000', 1).speed).toBe(100);
    expect(parseUrl('?speed=0.0001', 1).speed).toBe(0.01);
  });

  it('writes the query that reproduces a run', () => {
    expect(runQuery({ seed: 42, nodeCount: 5, unsafeCommitOldTerm: false })).toBe('?seed=42&nodes=5');
    expect(runQuery({ seed: 1, nodeCount: 3, unsafeCommitOldTerm: true }, 'live')).toBe('?seed=1&nodes=3&unsafe=1&mode=live');
    const back = parseUrl(runQuery({ seed: 42, nodeCount: 5, unsafeCommitOldTerm: true }), 0);
    expect(back).toMatchObject({ seed: 42, nodes: 5, unsafe: true });
  });
});
