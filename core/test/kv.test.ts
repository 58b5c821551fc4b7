/** The KV state machine's snapshot chunks: text form, JSON fallback, order checks, and the frozen view. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvStateMachine, isKvSnapshotChunk } from '../src/index';
import { decodeChunk, encodeChunk } from '../src/kv-chunk';
import { appendSorted, emptySortedMap, sortedMapFromSorted } from '../src/sorted-map';

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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

  it('a restore appends chunk by chunk: the same map as one bulk load, every later write works, neither input changes', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.string(), { maxLength: 400 }), fc.array(fc.nat(), { maxLength: 12 }), (unsorted, cuts) => {
      const keys = [...unsorted].sort(byCodeUnit);
      const values = keys.map((k) => `v:${k}`);
      const bounds = [...new Set([0, ...cuts.map((c) => c % (keys.length + 1)), keys.length])].sort((a, b) => a - b);
      let map = emptySortedMap();
      for (let i = 1; i < bounds.length; i++) {
        const before = map.size;
        const next = appendSorted(map, keys.slice(bounds[i - 1], bounds[i]), values.slice(bounds[i - 1], bounds[i]));
        expect(map.size).toBe(before);
        map = next;
      }
      map.checkValid();
      expect([...map.keys()]).toEqual(keys);
      expect([...map.values()]).toEqual(values);
      const bulk = sortedMapFromSorted([...keys], [...values]);
      for (const k of keys.filter((_, i) => i % 3 === 0)) {
        map.delete(k);
        bulk.delete(k);
      }
      map.set('\uffff', 'last');
      bulk.set('\uffff', 'last');
      map.checkValid();
      expect([...map.entries()]).toEqual([...bulk.entries()]);
    }));
  });

  it('an append refuses keys that are not above the map\'s last key', () => {
    const map = sortedMapFromSorted(['a', 'c'], ['1', '3']);
    expect(() => appendSorted(map, ['b'], ['2'])).toThrow(/not above/);
    expect(() => appendSorted(map, ['c'], ['x'])).toThrow(/not above/);
    expect(appendSorted(map, ['d'], ['4']).get('d')).toBe('4');
  });

  it('a state of many chunks restores chunk by chunk to the same pairs and sessions', () => {
    const kv = new KvStateMachine();
    const register = kv.apply({ index: 1, term: 1, command: { op: 'register', timeoutMs: 60_000, at: 1000 } }).result;
    const clientId = register.op === 'register' ? register.clientId : 0;
    let index = 1;
    for (let i = 0; i < 5000; i++) {
      kv.apply({ index: ++index, term: 1, command: { op: 'set', key: `k${(i * 7919) % 5000}`, value: 'x'.repeat(i % 50), session: { client: clientId, seq: i + 1, ack: i + 1 }, at: 1000 } });
    }
    const chunks = kv.snapshotChunks(1024);
    expect(kv.size).toBe(5000);
    expect(chunks.length).toBeGreaterThan(50);
    const restored = KvStateMachine.fromChunks(chunks, index);
    expect(restored.entries()).toEqual(kv.entries());
    expect(restored.snapshotChunks(1024)).toEqual(chunks);
  });
});
