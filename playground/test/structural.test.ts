import { describe, expect, it } from 'vitest';
import { replaceEqualDeep } from '../src/store/structural';

describe('structural sharing of snapshots', () => {
  it('returns the previous object when nothing changed', () => {
    const prev = { a: [1, 2, { b: 'x' }], c: { d: null } };
    const next = JSON.parse(JSON.stringify(prev));
    expect(replaceEqualDeep(prev, next)).toBe(prev);
  });

  it('keeps unchanged branches and replaces changed ones', () => {
    const prev = { nodes: [{ id: 'n1', term: 1 }, { id: 'n2', term: 1 }], clock: { now: 1 } };
    const next = { nodes: [{ id: 'n1', term: 1 }, { id: 'n2', term: 2 }], clock: { now: 1 } };
    const out = replaceEqualDeep(prev, next);
    expect(out).toEqual(next);
    expect(out).not.toBe(prev);
    expect(out.clock).toBe(prev.clock);
    expect(out.nodes[0]).toBe(prev.nodes[0]);
    expect(out.nodes[1]).not.toBe(prev.nodes[1]);
  });

  it('matches keyed list items by key, so a growing feed keeps its old lines', () => {
    const prev = [{ seq: 2, text: 'b' }, { seq: 1, text: 'a' }];
    const next = [{ seq: 3, text: 'c' }, { seq: 2, text: 'b' }, { seq: 1, text: 'a' }];
    const out = replaceEqualDeep(prev, next);
    expect(out[1]).toBe(prev[0]);
    expect(out[2]).toBe(prev[1]);
    expect(out).toEqual(next);
  });

  it('notices removed keys and changed lengths', () => {
    const prev = { a: 1, b: 2 };
    expect(replaceEqualDeep(prev, { a: 1 })).toEqual({ a: 1 });
    expect(replaceEqualDeep([1, 2], [1])).toEqual([1]);
  });
});
