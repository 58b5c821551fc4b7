/** The log, its unstable tail, storage and the pipelining window refuse invalid input loudly. */
import { describe, expect, it } from 'vitest';
import { AssertionError, MemoryStorage, configurationOf, textChunksDigest } from '../src/index';
import type { Entry } from '../src/index';
import { Inflights } from '../src/inflights';
import { RaftLog } from '../src/raft-log';
import { Unstable } from '../src/unstable';

const e = (index: number, term: number): Entry => ({ index, term, command: { op: 'noop' } });
const logWith = (entries: Entry[], commit = 0) => {
  const storage = new MemoryStorage(['n1']);
  storage.append(entries);
  return new RaftLog(storage, commit);
};

describe('MemoryStorage', () => {
  it('rejects appends that leave a gap, are not contiguous, or go back in term', () => {
    const s = new MemoryStorage(['n1']);
    expect(() => s.append([e(2, 1)])).toThrow(AssertionError);
    expect(() => s.append([e(1, 1), e(3, 1)])).toThrow(/not contiguous/);
    expect(() => s.append([e(1, 2), e(2, 1)])).toThrow(/terms go back/);
  });

  it('rejects reads outside what it holds', () => {
    const s = new MemoryStorage(['n1']);
    s.append([e(1, 1), e(2, 1), e(3, 1)]);
    s.createSnapshot(2, ['{"kv":[]}'], configurationOf(['n1']), 0);
    expect(() => s.entries(1, 3)).toThrow(/compacted/);
    expect(() => s.entries(3, 5)).toThrow(/beyond last index/);
    expect(() => s.entries(3, 2)).toThrow(/lo 3 > hi 2/);
    expect(s.term(1)).toBeUndefined();
    expect(s.term(2)).toBe(1);
    expect(s.entries(3, 4)).toEqual([e(3, 1)]);
  });

  it('replaces a conflicting suffix on append and refuses snapshots of missing or older indexes', () => {
    const s = new MemoryStorage(['n1']);
    s.append([e(1, 1), e(2, 1), e(3, 1)]);
    s.append([e(2, 2)]);
    expect(s.lastIndex()).toBe(2);
    expect(s.term(2)).toBe(2);
    expect(() => s.createSnapshot(5, ['{"kv":[]}'], configurationOf(['n1']), 0)).toThrow(/no entry at 5/);
    s.createSnapshot(2, ['{"kv":[]}'], configurationOf(['n1']), 0);
    expect(() => s.createSnapshot(2, ['{"kv":[]}'], configurationOf(['n1']), 0)).toThrow(/not newer/);
    const older = { index: 1, term: 1, config: configurationOf(['n1']), chunkCount: 1, bytes: 9, digest: textChunksDigest(['{"kv":[]}']) };
    s.receiveChunk({ meta: older, chunk: 0, data: '{"kv":[]}' });
    expect(() => s.installIncoming(older)).toThrow(/not newer/);
    expect(() => s.receiveChunk({ meta: older, chunk: 2, data: '' })).toThrow(/chunk 2 after 1/);
  });

  it('keeps the last retainEntries entries a snapshot covers, for followers slightly behind', () => {
    const s = new MemoryStorage(['n1']);
    s.append([e(1, 1), e(2, 1), e(3, 1), e(4, 2), e(5, 2)]);
    const meta = s.createSnapshot(4, ['{"kv":[]}'], configurationOf(['n1']), 2);
    expect(meta).toMatchObject({ index: 4, term: 2, chunkCount: 1 });
    expect(s.firstIndex()).toBe(3);
    expect(s.term(2)).toBe(1);
    expect(s.entries(3, 6)).toEqual([e(3, 1), e(4, 2), e(5, 2)]);
    expect(s.snapshot().index).toBe(4);
  });
});

describe('RaftLog', () => {
  it('refuses to overwrite committed entries', () => {
    const log = logWith([e(1, 1), e(2, 1)], 2);
    expect(() => log.append([e(2, 2)])).toThrow(/overwrite committed/);
    expect(() => log.appendFromLeader([e(2, 2)])).toThrow(/is committed/);
  });

  it('refuses a commit index beyond the log and an applied index beyond the commit index', () => {
    const log = logWith([e(1, 1)]);
    expect(() => log.commitTo(2)).toThrow(/beyond last index/);
    expect(() => log.appliedTo(1)).toThrow(/outside/);
    log.commitTo(1);
    log.appliedTo(1);
    expect(() => log.appliedTo(0)).toThrow(/outside/);
  });

  it('clamps a stored commit index past the end of the log (a torn write) instead of trusting it', () => {
    expect(logWith([e(1, 1)], 5).committed).toBe(1);
  });

  it('answers the up-to-date rule by last term first, then length', () => {
    const log = logWith([e(1, 1), e(2, 2)]);
    expect(log.isUpToDate(1, 3)).toBe(true);
    expect(log.isUpToDate(5, 1)).toBe(false);
    expect(log.isUpToDate(2, 2)).toBe(true);
    expect(log.isUpToDate(1, 2)).toBe(false);
  });

  it('finds the first index of a term and the leader-side hint', () => {
    const log = logWith([e(1, 1), e(2, 2), e(3, 2), e(4, 2), e(5, 3)]);
    expect(log.firstIndexOfTermAt(4)).toBe(2);
    expect(log.lastIndexWithTermAtMost(2, 5)).toBe(4);
    expect(log.lastIndexWithTermAtMost(0, 5)).toBe(0);
  });
});

describe('Unstable and Inflights', () => {
  it('an unstable append may not leave a gap and slices must stay inside it', () => {
    const u = new Unstable(5);
    u.truncateAndAppend([e(5, 1), e(6, 1)]);
    expect(() => u.truncateAndAppend([e(9, 1)])).toThrow(/gap/);
    expect(() => u.slice(4, 6)).toThrow(/outside/);
    u.truncateAndAppend([e(6, 2)]);
    expect(u.entries.map((x) => x.term)).toEqual([1, 2]);
    // Persisted up to an entry that was replaced meanwhile: nothing is dropped.
    u.stableTo(6, 1);
    expect(u.entries).toHaveLength(2);
    u.stableTo(6, 2);
    expect(u.entries).toHaveLength(0);
  });

  it('the pipelining window refuses to grow past its capacity or go backwards', () => {
    const w = new Inflights(2);
    w.add(3);
    expect(() => w.add(2)).toThrow(/not after/);
    w.add(5);
    expect(w.isFull()).toBe(true);
    expect(() => w.add(7)).toThrow(/full/);
    w.freeTo(4);
    expect(w.count).toBe(1);
  });
});
