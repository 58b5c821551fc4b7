/** The KV state machine's snapshot chunks: text form, JSON fallback, order checks, and the frozen view. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvStateMachine, isKvSnapshotChunk } from '../src/index';
import { decodeChunk, encodeChunk } from '../src/kv-chunk';

describe('snapshot chunks', () => {
  it('round-trip any sorted pairs, in the text form or (when a string holds a NUL) as JSON', () => {
    fc.assert(fc.property(fc.dictionary(fc.string(), fc.string()), (dict) => {
      const keys = Object.keys(dict).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const values = keys.map((k) => dict[k]!);
      const chunk = encodeChunk(keys, values);
      const hasNul = [...keys, ...values].some((s) => s.includes('\u0000'));
      expect(chunk.startsWith('kv1')).toBe(!hasNul);
      const k: string[] = [];
      const v: string[] = [];
      expect(decodeChunk(chunk, k, v, null)).toBeNull();
      expect(k).toEqual(keys);
      expect(v).toEqual(values);
    }));
  });

  it('refuse keys out of order, also across chunks, and anything that is not a chunk', () => {
    expect(decodeChunk(encodeChunk(['b', 'a'], ['1', '2']), [], [], null)).toMatch(/out of order/);
    expect(decodeChunk(encodeChunk(['a'], ['1']), [], [], 'b')).toMatch(/out of order/);
    expect(decodeChunk('kv1\u0000lonely', [], [], null)).toMatch(/without a value/);
    expect(isKvSnapshotChunk('garbage')).toBe(false);
    expect(isKvSnapshotChunk('{"kv":[["a",1]]}')).toBe(false);
    expect(isKvSnapshotChunk(encodeChunk(['a', 'b'], ['x', 'y\u0000z']))).toBe(true);
  });

  it('a snapshot reader sees the state as of its creation while writes go on', () => {
    const kv = new KvStateMachine();
    let index = 0;
    for (let i = 0; i < 100; i++) kv.apply({ index: ++index, term: 1, command: { op: 'set', key: `k${String(i).padStart(3, '0')}`, value: `v${i}` } });
    const reader = kv.snapshotReader(64);
    const first = reader.next()!;
    for (let i = 0; i < 100; i += 2) kv.apply({ index: ++index, term: 1, command: { op: 'delete', key: `k${String(i).padStart(3, '0')}` } });
    kv.apply({ index: index + 1, term: 1, command: { op: 'set', key: 'k000a', value: 'new' } });
    const chunks = [first];
    for (let c = reader.next(); c !== null; c = reader.next()) chunks.push(c);
    expect(chunks.length).toBeGreaterThan(5);
    const restored = KvStateMachine.fromChunks(chunks, 100);
    expect(restored.size).toBe(100);
    expect(restored.get('k000')).toBe('v0');
    expect(restored.get('k000a')).toBeUndefined();
    expect(kv.size).toBe(51);
  });
});
