/**
 * Delta runs: a snapshot of only the keys changed since the last durable one. Restoring a base run
 * and its delta runs in order must give exactly the state at the last run's index, whatever was
 * written, deleted, swapped, and whichever snapshots were given up on the way.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Entry } from '../src/index';
import { KvRestorer, KvStateMachine, isKvSnapshotChunk, readAllChunks as readAll } from '../src/index';
import { decodeDeltaChunk, encodeChunk, encodeDeltaChunk } from '../src/kv-chunk';


type Op = { kind: 'set' | 'delete' | 'cas'; key: number; value: number } | { kind: 'snapshot'; as: 'full' | 'delta' | 'given-up' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constantFrom('set' as const, 'delete' as const, 'cas' as const), key: fc.nat(12), value: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('snapshot' as const), as: fc.constantFrom('full' as const, 'delta' as const, 'given-up' as const) }) },
);

const command = (o: Extract<Op, { key: number }>): Entry['command'] => {
  const key = `k${String(o.key).padStart(2, '0')}${o.key % 3 === 0 ? '\u0000' : ''}`;
  if (o.kind === 'set') return { op: 'set', key, value: `v${o.value}` };
  if (o.kind === 'delete') return { op: 'delete', key };
  return { op: 'cas', key, expected: o.value === 0 ? null : `v${o.value - 1}`, value: `v${o.value}` };
};

describe('delta runs', () => {
  it('a base run and its delta runs restore the state at the last run, through deletes, swaps and given-up snapshots', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 120 }), fc.integer({ min: 8, max: 64 }), (ops, chunkBytes) => {
      const kv = new KvStateMachine();
      let index = 0;
      // What a storage of runs holds: the chunks of its runs, in order, and the index of the last.
      let disk: string[] | null = null;
      let diskIndex = 0;
      for (const o of ops) {
        if (o.kind !== 'snapshot') {
          kv.apply({ index: ++index, term: 1, command: command(o) });
          continue;
        }
        if (index === diskIndex) continue;
        const readers = kv.snapshotReaders(chunkBytes);
        if (o.as === 'given-up') continue;
        if (o.as === 'full' || disk === null) disk = readAll(readers.full);
        else {
          expect(readers.delta!.from).toBe(diskIndex);
          disk = [...disk, ...readAll(readers.delta!)];
        }
        diskIndex = index;
        kv.snapshotDurable(index);
        for (const chunk of disk) expect(isKvSnapshotChunk(chunk)).toBe(true);
        const restored = KvStateMachine.fromChunks(disk, diskIndex);
        expect(restored.entries()).toEqual(kv.entries());
      }
      if (disk === null) return;
      expect(kv.pendingChanges).toBeLessThanOrEqual(13);
    }), { numRuns: 300 });
  });

  it('a delta run holds only what changed since the durable snapshot, and nothing once that is durable', () => {
    const kv = new KvStateMachine();
    let index = 0;
    for (let i = 0; i < 1000; i++) kv.apply({ index: ++index, term: 1, command: { op: 'set', key: `k${String(i).padStart(4, '0')}`, value: 'x'.repeat(50) } });
    const base = readAll(kv.snapshotReaders().full);
    kv.snapshotDurable(index);
    expect(kv.pendingChanges).toBe(0);
    kv.apply({ index: ++index, term: 1, command: { op: 'set', key: 'k0500', value: 'new' } });
    kv.apply({ index: ++index, term: 1, command: { op: 'delete', key: 'k0001' } });
    kv.apply({ index: ++index, term: 1, command: { op: 'delete', key: 'absent' } });
    const delta = readAll(kv.snapshotReaders().delta!);
    expect(delta).toEqual([encodeDeltaChunk(1000, ['k0001', 'k0500'], [null, 'new'])]);
    expect(delta.join('').length).toBeLessThan(base.join('').length / 100);
    // Given up: the next delta still holds those keys, and the new ones.
    kv.apply({ index: ++index, term: 1, command: { op: 'set', key: 'k0999', value: 'later' } });
    const again = readAll(kv.snapshotReaders().delta!);
    expect(again).toEqual([encodeDeltaChunk(1000, ['k0001', 'k0500', 'k0999'], [null, 'new', 'later'])]);
    kv.snapshotDurable(index);
    expect(kv.pendingChanges).toBe(0);
    const restored = KvStateMachine.fromChunks([...base, ...again], index);
    expect(restored.entries()).toEqual(kv.entries());
  });

  it('offers no delta when nothing was applied since the durable snapshot', () => {
    const kv = new KvStateMachine();
    kv.apply({ index: 1, term: 1, command: { op: 'set', key: 'a', value: '1' } });
    kv.snapshotDurable(1);
    expect(kv.snapshotReaders().delta).toBeNull();
    kv.apply({ index: 2, term: 1, command: { op: 'set', key: 'b', value: '1' } });
    expect(kv.snapshotReaders().delta?.from).toBe(1);
  });

  it('an empty delta run is still one chunk, and a run after the sessions replaces them', () => {
    const kv = new KvStateMachine();
    kv.apply({ index: 1, term: 1, command: { op: 'register', timeoutMs: 60_000, at: 1000 } });
    kv.apply({ index: 2, term: 1, command: { op: 'set', key: 'a', value: '1', session: { client: 1, seq: 1, ack: 1 }, at: 1001 } });
    const base = readAll(kv.snapshotReaders().full);
    kv.snapshotDurable(2);
    kv.apply({ index: 3, term: 1, command: { op: 'noop' } });
    const empty = readAll(kv.snapshotReaders().delta!);
    expect(empty[0]).toBe(encodeDeltaChunk(2, [], []));
    kv.snapshotDurable(3);
    kv.apply({ index: 4, term: 1, command: { op: 'set', key: 'b', value: '2', session: { client: 1, seq: 2, ack: 1 }, at: 1002 } });
    const delta = readAll(kv.snapshotReaders().delta!);
    const restored = KvStateMachine.fromChunks([...base, ...empty, ...delta], 4);
    expect(restored.entries()).toEqual([['a', '1'], ['b', '2']]);
    expect(restored.sessions.clone()).toEqual(kv.sessions.clone());
  });

  it('refuses a delta before the base, a base after a delta, runs out of order, and keys out of order in a run', () => {
    const base = encodeChunk(['a'], ['1']);
    const add = (...chunks: string[]) => () => {
      const r = new KvRestorer();
      for (const c of chunks) r.add(c);
    };
    expect(add(encodeDeltaChunk(5, ['a'], ['2']))).toThrow(/base run comes first/);
    expect(add(base, encodeDeltaChunk(5, ['a'], ['2']), base)).toThrow(/base pairs after/);
    expect(add(base, encodeDeltaChunk(5, ['b'], ['2']), encodeDeltaChunk(4, ['c'], ['2']))).toThrow(/from 4 after one from 5/);
    expect(add(base, encodeDeltaChunk(5, ['b'], ['2']), encodeDeltaChunk(5, ['a'], ['2']))).toThrow(/out of order/);
    expect(add(base, encodeDeltaChunk(5, ['b', 'a'], ['2', '3']))).toThrow(/out of order/);
    expect(decodeDeltaChunk('kd1\u0000x', [], [], null)).toMatch(/from index/);
    expect(decodeDeltaChunk('kd1\u00001\u0000?\u0000a\u0000b', [], [], null)).toMatch(/unknown delta op/);
    expect(decodeDeltaChunk('kd1\u00001\u0000=\u0000a', [], [], null)).toMatch(/cut short/);
    expect(isKvSnapshotChunk('{"kd":1,"c":[["a",2]]}')).toBe(false);
    expect(isKvSnapshotChunk(encodeDeltaChunk(1, ['a\u0000'], [null]))).toBe(true);
  });
});
