/**
 * Durable storage: the WAL and snapshot.json. Every test writes, "crashes" (drops the object and
 * damages files the way a crash or a bad disk would), reopens and checks what came back.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Entry, HardState, KvSnapshotReader } from '@raft-kv/core';
import { KvStateMachine, configurationOf } from '@raft-kv/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LongestSteps } from '../src/host/longest-steps';
import { DiskStorage } from '../src/storage/disk-storage';
import { dataFileName, snapshotFileName } from '../src/storage/snapshot-file';
import { encodeRecord } from '../src/storage/record';
import { CorruptWalError } from '../src/storage/wal';
import { spareFileName } from '../src/storage/wal-spare';
import { writeBackBytes } from '../src/storage/write-back';
import { captureLogger } from './support/capture-logger';

let dir: string;
let open: DiskStorage[] = [];
let log: ReturnType<typeof captureLogger>;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-wal-'));
  log = captureLogger();
});

afterEach(async () => {
  for (const s of open) s.close();
  // A spare segment being made would go on writing into the directory removed below.
  await Promise.all(open.map((s) => s.settled()));
  open = [];
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Most tests here look at the layout of segments that grow as they are written (preallocate off:
 * with it, when a spare segment is ready depends on the disk). Preallocated segments have their own
 * tests below, which wait for the spare.
 */
function openStorage(segmentBytesMax = 1 << 20, preallocate = false): DiskStorage {
  const s = DiskStorage.open(dir, ['n1', 'n2', 'n3'], { fsync: true, segmentBytesMax, preallocate, logger: log.logger });
  open.push(s);
  return s;
}

const three = configurationOf(['n1', 'n2', 'n3']);

/** A snapshot chunk holding these pairs. */
const chunk = (...pairs: [string, string][]): string => JSON.stringify({ kv: pairs });

function persistAsync(s: DiskStorage, batch: Parameters<DiskStorage['persistAsync']>[0]): Promise<void> {
  return new Promise((resolve, reject) => s.persistAsync(batch, (err) => (err ? reject(err) : resolve())));
}

/** A crash: the process is gone, the files stay. */
function crash(s: DiskStorage): void {
  s.close();
}

const entry = (index: number, term: number, value = `v${index}`): Entry => ({ index, term, command: { op: 'set', key: `k${index}`, value } });
const entries = (from: number, to: number, term: number): Entry[] => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i, term));
const hs = (term: number, vote: string | null, commit: number): HardState => ({ term, vote, commit });
const segments = (): string[] => fs.readdirSync(dir).filter((f) => /^wal-\d{10}\.log$/.test(f)).sort();
const lastSegment = (): string => path.join(dir, segments().at(-1)!);

/** Records the size of each file fdatasynced (asynchronously) until stop(); the syncs still happen. */
function watchFdatasyncs(): { sizes: number[]; stop: () => void } {
  const sizes: number[] = [];
  const fdatasync = fs.fdatasync;
  const spy = vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    sizes.push(fs.fstatSync(fd).size);
    fdatasync(fd, cb);
  }) as typeof fs.fdatasync);
  return { sizes, stop: () => spy.mockRestore() };
}

describe('DiskStorage', () => {
  it('starts empty, with the membership it was started with', () => {
    const s = openStorage();
    expect(s.initialState()).toEqual({ hardState: hs(0, null, 0), config: three, incoming: null });
    expect([s.firstIndex(), s.lastIndex(), s.term(0)]).toEqual([1, 0, 0]);
  });

  it('keeps the initial membership on disk: a restart with other voters in its environment gets the first ones', () => {
    crash(openStorage());
    expect(JSON.parse(fs.readFileSync(path.join(dir, snapshotFileName), 'utf8'))).toMatchObject({ meta: { index: 0, config: three } });
    const again = DiskStorage.open(dir, ['n1', 'n4'], { fsync: true, segmentBytesMax: 1 << 20, preallocate: false, logger: log.logger });
    open.push(again);
    expect(again.initialState().config).toEqual(three);
  });

  it('keeps the empty membership of a node that joins (RAFT_JOIN) across restarts', () => {
    const joining = () => DiskStorage.open(dir, [], { fsync: true, segmentBytesMax: 1 << 20, preallocate: false, logger: log.logger });
    crash(joining());
    const again = DiskStorage.open(dir, ['n4', 'n1', 'n2'], { fsync: true, segmentBytesMax: 1 << 20, preallocate: false, logger: log.logger });
    open.push(again);
    expect(again.initialState().config).toEqual(configurationOf([]));
  });

  it('reports as durable only what a completed write put on disk (for live mode)', async () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(2, 'n2', 0), entries: entries(1, 3, 2), mustSync: true });
    expect(s.durable()).toEqual({ term: 2, vote: 'n2', commit: 0, lastIndex: 3, snapshotIndex: 0 });
    // A commit index alone is not written: the disk still says 0.
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(2, 'n2', 3), entries: [], mustSync: false });
    expect(s.durable().commit).toBe(0);
    const done = new Promise<Error | null>((resolve) => s.persistAsync({ snapshotChunks: [], snapshot: null, hardState: hs(3, 'n3', 3), entries: entries(4, 5, 3), mustSync: true }, resolve));
    expect(s.durable()).toMatchObject({ term: 2, lastIndex: 3 });
    expect(await done).toBeNull();
    expect(s.durable()).toEqual({ term: 3, vote: 'n3', commit: 3, lastIndex: 5, snapshotIndex: 0 });
    s.createSnapshot(4, [chunk()], three, 0);
    expect(s.durable().snapshotIndex).toBe(4);
  });

  it('gives back appended entries and the hard state after a reopen', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(2, 'n2', 0), entries: entries(1, 5, 2), mustSync: true });
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(2, 'n2', 5), entries: [], mustSync: false });
    expect(s.entries(2, 4)).toEqual([entry(2, 2), entry(3, 2)]);
    crash(s);
    const again = openStorage();
    expect([again.firstIndex(), again.lastIndex(), again.term(5), again.term(6)]).toEqual([1, 5, 2, undefined]);
    expect(again.entries(1, 6)).toEqual(entries(1, 5, 2));
    // A change of the commit index alone is not written (it is volatile state); it rides along with the next write.
    expect(again.initialState().hardState).toEqual(hs(2, 'n2', 0));
    again.persist({ snapshotChunks: [], snapshot: null, hardState: hs(2, 'n2', 6), entries: [entry(6, 2)], mustSync: true });
    crash(again);
    expect(openStorage().initialState().hardState).toEqual(hs(2, 'n2', 6));
  });

  it('writes off the event loop with persistAsync, durable when it calls back', async () => {
    const s = openStorage(2048);
    for (let i = 1; i <= 30; i++) {
      await new Promise<void>((resolve, reject) => s.persistAsync({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1, 'y'.repeat(100))], mustSync: true }, (err) => (err ? reject(err) : resolve())));
    }
    expect(segments().length).toBeGreaterThan(1);
    crash(s);
    const again = openStorage(2048);
    expect(again.lastIndex()).toBe(30);
    expect(again.initialState().hardState).toEqual(hs(1, 'n1', 29));
  });

  it('keeps a vote across a reopen, so a node never votes twice in one term', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(7, 'n2', 0), entries: [], mustSync: true });
    crash(s);
    expect(openStorage().initialState().hardState).toEqual(hs(7, 'n2', 0));
  });

  it('drops a torn last record with a log line and keeps everything before it', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: entries(1, 3, 1), mustSync: true });
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: [entry(4, 1)], mustSync: true });
    crash(s);
    const file = lastSegment();
    fs.truncateSync(file, fs.statSync(file).size - 5);
    const again = openStorage();
    expect(again.lastIndex()).toBe(3);
    expect(again.entries(1, 4)).toEqual(entries(1, 3, 1));
    expect(log.lines.some((l) => l.includes('dropping torn or corrupt last record') && l.includes(file))).toBe(true);
    // The log goes on from the intact prefix.
    again.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: [entry(4, 2, 'new')], mustSync: true });
    crash(again);
    expect(openStorage().entries(4, 5)).toEqual([entry(4, 2, 'new')]);
  });

  it('drops a last record whose checksum does not match (a write is one record: all of it or none)', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: entries(1, 2, 1), mustSync: true });
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: entries(3, 5, 1), mustSync: true });
    crash(s);
    const file = lastSegment();
    const buf = fs.readFileSync(file);
    buf[buf.length - 3] = buf[buf.length - 3]! ^ 0xff;
    fs.writeFileSync(file, buf);
    expect(openStorage().lastIndex()).toBe(2);
  });

  it('reads the one-entry records of earlier versions, and a batch with terms that differ', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(3, null, 0), entries: [entry(1, 1), entry(2, 2), entry(3, 3)], mustSync: true });
    crash(s);
    fs.appendFileSync(lastSegment(), encodeRecord({ t: 'e', i: 4, m: 3, c: { op: 'set', key: 'old', value: 'format' } }));
    const again = openStorage();
    expect(again.entries(1, 5)).toEqual([entry(1, 1), entry(2, 2), entry(3, 3), { index: 4, term: 3, command: { op: 'set', key: 'old', value: 'format' } }]);
  });

  it('drops a zero-filled tail (a crash after the file grew but before the data landed)', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: entries(1, 2, 1), mustSync: true });
    crash(s);
    fs.appendFileSync(lastSegment(), Buffer.alloc(100));
    expect(openStorage().lastIndex()).toBe(2);
  });

  it('refuses to start on corruption in the middle, naming the file and offset', () => {
    const s = openStorage();
    for (let i = 1; i <= 5; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: [entry(i, 1)], mustSync: true });
    crash(s);
    const file = lastSegment();
    const buf = fs.readFileSync(file);
    // Flip a byte in the payload of the record of entry 3 (of 5): its header starts 8 bytes earlier.
    const recordStart = buf.indexOf('{"t":"b","i":3,') - 8;
    buf[recordStart + 20] = buf[recordStart + 20]! ^ 0xff;
    fs.writeFileSync(file, buf);
    let error: unknown;
    try {
      openStorage();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CorruptWalError);
    expect((error as CorruptWalError).file).toBe(file);
    expect((error as CorruptWalError).offset).toBe(recordStart);
    expect((error as Error).message).toContain(`${file} at offset ${recordStart}`);
  });

  it('handles truncation by a new leader, also after a reopen', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', 2), entries: entries(1, 5, 1), mustSync: true });
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(2, null, 2), entries: [entry(3, 2, 'x'), entry(4, 2, 'y')], mustSync: true });
    const expected = [entry(1, 1), entry(2, 1), entry(3, 2, 'x'), entry(4, 2, 'y')];
    expect(s.entries(1, s.lastIndex() + 1)).toEqual(expected);
    crash(s);
    const again = openStorage();
    expect(again.lastIndex()).toBe(4);
    expect(again.entries(1, 5)).toEqual(expected);
  });

  it('compacts after a snapshot, deletes covered segments in the background, and reopens from the snapshot', async () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 60; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1, 'x'.repeat(100))], mustSync: true });
    const before = segments().length;
    expect(before).toBeGreaterThan(2);
    const snap = s.createSnapshot(50, [chunk(['a', '1']), chunk(['b', '2'])], three, 0);
    expect(snap).toEqual({ index: 50, term: 1, config: three, chunkCount: 2, bytes: expect.any(Number), digest: expect.any(Number) });
    expect([s.firstIndex(), s.lastIndex(), s.term(50), s.term(49)]).toEqual([51, 60, 1, undefined]);
    // Nothing is deleted within the turn that committed the snapshot: what a crash right after it leaves.
    expect(segments().length).toBe(before);
    const crashImage = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-crash-'));
    try {
      fs.cpSync(dir, crashImage, { recursive: true });
      await s.settled();
      expect(segments().length).toBeLessThan(before);
      const fromImage = DiskStorage.open(crashImage, ['n1', 'n2', 'n3'], { fsync: true, segmentBytesMax: 4096, preallocate: false, logger: log.logger });
      expect([fromImage.snapshot(), fromImage.firstIndex(), fromImage.lastIndex()]).toEqual([snap, 51, 60]);
      expect(fromImage.entries(51, 61)).toEqual(s.entries(51, 61));
      fromImage.close();
    } finally {
      fs.rmSync(crashImage, { recursive: true, force: true });
    }
    crash(s);
    const again = openStorage(4096);
    expect(again.snapshot()).toEqual(snap);
    expect([again.snapshotChunk(0), again.snapshotChunk(1)]).toEqual([chunk(['a', '1']), chunk(['b', '2'])]);
    expect(again.initialState().config).toEqual(three);
    expect([again.firstIndex(), again.lastIndex()]).toEqual([51, 60]);
    expect(again.entries(51, 61)).toEqual(Array.from({ length: 10 }, (_, i) => entry(51 + i, 1, 'x'.repeat(100))));
  });

  it('keeps retainEntries entries before the snapshot in the log, also after a reopen', () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 60; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1, 'x'.repeat(100))], mustSync: true });
    s.createSnapshot(50, [chunk()], three, 10);
    expect([s.firstIndex(), s.lastIndex(), s.snapshot().index]).toEqual([41, 60, 50]);
    crash(s);
    const again = openStorage(4096);
    expect([again.firstIndex(), again.lastIndex(), again.snapshot().index, again.term(40)]).toEqual([41, 60, 50, 1]);
  });

  it('writes a snapshot in the background, chunk by chunk, and compacts only once it is durable', async () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 30; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1, 'x'.repeat(100))], mustSync: true });
    const data = [chunk(['a', '1']), chunk(['b', '2']), chunk(['c', '3'])];
    let read = 0;
    const reader = { index: 25, next: () => (read < data.length ? data[read++]! : null) } as unknown as KvSnapshotReader;
    const written = new Promise<boolean>((resolve, reject) => s.writeSnapshot({ index: 25, term: 1, config: three, reader, retainEntries: 0 }, (err, ok) => (err ? reject(err) : resolve(ok))));
    // Nothing is compacted while it is being written.
    expect(s.firstIndex()).toBe(1);
    expect(await written).toBe(true);
    expect(s.snapshot()).toMatchObject({ index: 25, chunkCount: 3 });
    expect(s.firstIndex()).toBe(26);
    crash(s);
    const again = openStorage(4096);
    expect(again.snapshotChunk(2)).toBe(chunk(['c', '3']));
  });

  it('flushes a large snapshot file as it writes it, never leaving more than writeBackBytes of it unsynced', async () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 30; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1)], mustSync: true });
    // 12 chunks of about 1 MiB: 12 MiB, three times the write-back size.
    const big = chunk(['k', 'x'.repeat(1 << 20)]);
    let read = 0;
    const reader = { index: 25, next: () => (read++ < 12 ? big : null) } as unknown as KvSnapshotReader;
    const syncs = watchFdatasyncs();
    try {
      expect(await new Promise<boolean>((resolve, reject) => s.writeSnapshot({ index: 25, term: 1, config: three, reader, retainEntries: 0 }, (err, ok) => (err ? reject(err) : resolve(ok))))).toBe(true);
    } finally {
      syncs.stop();
    }
    const syncedSizes = syncs.sizes;
    const total = fs.statSync(path.join(dir, dataFileName({ index: 25, term: 1 }))).size;
    expect(total).toBeGreaterThan(3 * writeBackBytes);
    // Synced on the way at least every writeBackBytes (plus the chunk that crossed it), and at the end.
    expect(syncedSizes.at(-1)).toBe(total);
    const gaps = syncedSizes.map((size, i) => size - (syncedSizes[i - 1] ?? 0));
    expect(syncedSizes.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(writeBackBytes + Buffer.byteLength(big) + 64);
  });

  it('commits a snapshot it took off the event loop; a snapshot received meanwhile waits for that manifest and lands last', async () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 30; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1)], mustSync: true });
    // Holds the commit's first disk step (the data file's rename) until released.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const rename = fsp.rename.bind(fsp);
    const spy = vi.spyOn(fsp, 'rename').mockImplementationOnce(async (from, to) => {
      await held;
      return rename(from, to);
    });
    try {
      let read = 0;
      const reader = { index: 25, next: () => (read++ < 1 ? chunk(['a', '1']) : null) } as unknown as KvSnapshotReader;
      let taken: boolean | null = null;
      s.writeSnapshot({ index: 25, term: 1, config: three, reader, retainEntries: 0 }, (err, ok) => (taken = err ? false : ok));
      await expect.poll(() => spy.mock.calls.length).toBe(1);
      // The event loop is free while the commit's disk work waits, and nothing is compacted yet.
      expect([taken, s.snapshot().index, s.firstIndex()]).toEqual([null, 0, 1]);
      // A leader's snapshot arrives now: its chunks are written, then it waits for the manifest.
      const meta = { index: 40, term: 2, config: three, chunkCount: 1, bytes: 10, digest: 0x1234 };
      const received = persistAsync(s, { snapshotChunks: [{ meta, chunk: 0, data: chunk(['b', '2']) }], snapshot: meta, hardState: hs(2, null, 40), entries: [], mustSync: true });
      await expect.poll(() => fs.existsSync(path.join(dir, 'snapshot-incoming.chunks')) && fs.statSync(path.join(dir, 'snapshot-incoming.chunks')).size > 0).toBe(true);
      release();
      await received;
      expect(taken).toBe(true);
      expect(s.snapshot()).toEqual(meta);
      crash(s);
      await s.settled();
      // The received snapshot's manifest was written last: it is the one a restart reads.
      const again = openStorage(4096);
      expect(again.snapshot()).toEqual(meta);
      expect(again.snapshotChunk(0)).toBe(chunk(['b', '2']));
    } finally {
      spy.mockRestore();
      release();
    }
  });

  it('a snapshot whose commit fails on the disk is reported once and changes nothing; the next one is taken', async () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 30; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1)], mustSync: true });
    const spy = vi.spyOn(fsp, 'rename').mockRejectedValueOnce(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }));
    const take = (index: number): Promise<{ err: Error | null; written: boolean }> => {
      let read = 0;
      const reader = { index, next: () => (read++ < 1 ? chunk(['a', String(index)]) : null) } as unknown as KvSnapshotReader;
      return new Promise((resolve) => s.writeSnapshot({ index, term: 1, config: three, reader, retainEntries: 0 }, (err, written) => resolve({ err, written })));
    };
    try {
      const failed = await take(20);
      expect([failed.err?.message, failed.written]).toEqual(['no space left on device', false]);
      expect([s.snapshot().index, s.firstIndex()]).toEqual([0, 1]);
      await s.settled();
      expect(await take(25)).toEqual({ err: null, written: true });
      expect([s.snapshot().index, s.firstIndex()]).toEqual([25, 26]);
    } finally {
      spy.mockRestore();
    }
  });

  it('times its synchronous snapshot steps: each chunk read and framed, the commit of one taken and of one received', async () => {
    const steps = new LongestSteps();
    const s = DiskStorage.open(dir, ['n1', 'n2', 'n3'], { fsync: true, segmentBytesMax: 4096, preallocate: false, logger: log.logger, steps });
    open.push(s);
    for (let i = 1; i <= 30; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1)], mustSync: true });
    const busyMs = 4;
    let read = 0;
    // The second chunk takes at least busyMs to read: that step, and no other, sets the figure.
    const reader = {
      index: 25,
      next: () => {
        if (read === 1) for (const until = performance.now() + busyMs; performance.now() < until; );
        return read < 3 ? chunk([`k${read}`, String(read++)]) : null;
      },
    } as unknown as KvSnapshotReader;
    expect(await new Promise<boolean>((resolve, reject) => s.writeSnapshot({ index: 25, term: 1, config: three, reader, retainEntries: 0 }, (err, ok) => (err ? reject(err) : resolve(ok))))).toBe(true);
    const taken = steps.view();
    expect(taken.snapshotChunk).toBeGreaterThanOrEqual(busyMs);
    expect(taken.snapshotCommit).toBeGreaterThan(0);
    expect(taken.core).toBe(0);
    crash(s);
    // The same directory opened again, timed afresh: a snapshot received from a leader.
    const receivedSteps = new LongestSteps();
    const again = DiskStorage.open(dir, ['n1', 'n2', 'n3'], { fsync: true, segmentBytesMax: 4096, preallocate: false, logger: log.logger, steps: receivedSteps });
    open.push(again);
    const meta = { index: 40, term: 2, config: three, chunkCount: 1, bytes: 10, digest: 0x1234 };
    await persistAsync(again, { snapshotChunks: [{ meta, chunk: 0, data: chunk(['a', '1']) }], snapshot: meta, hardState: hs(2, null, 40), entries: [], mustSync: true });
    expect(again.snapshot()).toEqual(meta);
    expect(receivedSteps.view()).toMatchObject({ snapshotChunk: 0, core: 0 });
    expect(receivedSteps.view().snapshotCommit).toBeGreaterThan(0);
  });

  it('a crash in the middle of writing a snapshot leaves the previous one and the whole log', async () => {
    const s = openStorage(4096);
    for (let i = 1; i <= 30; i++) s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, 'n1', i - 1), entries: [entry(i, 1, 'x'.repeat(100))], mustSync: true });
    s.createSnapshot(10, [chunk(['a', '1'])], three, 0);
    let read = 0;
    // The process dies (the storage closes) after two chunks are written.
    const reader = { index: 25, next: () => (read++ < 2 ? chunk(['z', String(read)]) : (crash(s), chunk())) } as unknown as KvSnapshotReader;
    const written = await new Promise<boolean>((resolve, reject) => s.writeSnapshot({ index: 25, term: 1, config: three, reader, retainEntries: 0 }, (err, ok) => (err ? reject(err) : resolve(ok))));
    expect(written).toBe(false);
    const again = openStorage(4096);
    expect(again.snapshot().index).toBe(10);
    expect([again.firstIndex(), again.lastIndex()]).toEqual([11, 30]);
    expect(fs.readdirSync(dir).filter((f) => f.includes('.chunks'))).toEqual([expect.stringMatching(/^snapshot-0000000010-0000000001\.chunks$/)]);
  });

  it('receives a snapshot in chunks, resumes after a crash that tore the last chunk, and installs it', async () => {
    const meta = { index: 20, term: 3, config: three, chunkCount: 3, bytes: 30, digest: 0x1234 };
    const data = [chunk(['a', '1']), chunk(['b', '2']), chunk(['c', '3'])];
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, null, 0), entries: entries(1, 5, 1), mustSync: true });
    await persistAsync(s, { snapshotChunks: [0, 1].map((i) => ({ meta, chunk: i, data: data[i]! })), snapshot: null, hardState: hs(3, null, 0), entries: [], mustSync: true });
    crash(s);
    // The crash tore a third frame that was being appended.
    fs.appendFileSync(path.join(dir, 'snapshot-incoming.chunks'), Buffer.from([9, 0, 0, 0, 1, 2]));
    const again = openStorage();
    expect(again.initialState().incoming).toEqual({ meta, received: 2 });
    expect(again.incomingChunk(1)).toBe(data[1]);
    await persistAsync(again, { snapshotChunks: [{ meta, chunk: 2, data: data[2]! }], snapshot: meta, hardState: hs(3, null, 20), entries: [entry(21, 3)], mustSync: true });
    expect([again.firstIndex(), again.lastIndex(), again.term(20), again.term(5)]).toEqual([21, 21, 3, undefined]);
    expect(again.initialState().incoming).toBeNull();
    crash(again);
    const third = openStorage();
    expect(third.snapshot()).toEqual(meta);
    expect(third.snapshotChunk(2)).toBe(data[2]);
    expect([third.firstIndex(), third.lastIndex()]).toEqual([21, 21]);
    expect(third.initialState().hardState).toEqual(hs(3, null, 20));
  });

  it('a write holding two snapshots received one after the other keeps the later one (the earlier was replaced)', async () => {
    // A follower whose disk is slow can receive a whole one-chunk snapshot, and then the leader's
    // next one, before its write goes out: the Ready carries both snapshots' chunks and installs the second.
    const first = { index: 20, term: 3, config: three, chunkCount: 1, bytes: 10, digest: 0x1234 };
    const second = { index: 40, term: 3, config: three, chunkCount: 2, bytes: 20, digest: 0x1234 };
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(1, null, 0), entries: entries(1, 5, 1), mustSync: true });
    const chunks = [{ meta: first, chunk: 0, data: chunk(['a', '1']) }, { meta: second, chunk: 0, data: chunk(['a', '2']) }, { meta: second, chunk: 1, data: chunk(['b', '2']) }];
    await persistAsync(s, { snapshotChunks: chunks, snapshot: second, hardState: hs(3, null, 40), entries: [], mustSync: true });
    crash(s);
    const again = openStorage();
    expect(again.snapshot()).toEqual(second);
    expect([again.snapshotChunk(0), again.snapshotChunk(1)]).toEqual([chunk(['a', '2']), chunk(['b', '2'])]);
  });

  it('writes snapshot.json atomically: a leftover temp file from a crash changes nothing', () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: entries(1, 5, 1), mustSync: true });
    s.createSnapshot(3, [chunk()], three, 0);
    crash(s);
    fs.writeFileSync(path.join(dir, `${snapshotFileName}.tmp`), '{"meta":{"ind');
    const again = openStorage();
    expect(again.snapshot().index).toBe(3);
    expect(JSON.parse(fs.readFileSync(path.join(dir, snapshotFileName), 'utf8')).meta.index).toBe(3);
  });

  it('ignores WAL segments an installed snapshot replaced, when the crash came before they were deleted', async () => {
    const s = openStorage();
    s.persist({ snapshotChunks: [], snapshot: null, hardState: null, entries: entries(1, 5, 1), mustSync: true });
    const old = segments().map((f) => [f, fs.readFileSync(path.join(dir, f))] as const);
    const meta = { index: 20, term: 3, config: three, chunkCount: 1, bytes: 9, digest: 0x1234 };
    await persistAsync(s, { snapshotChunks: [{ meta, chunk: 0, data: chunk() }], snapshot: meta, hardState: hs(3, null, 20), entries: [], mustSync: true });
    crash(s);
    for (const [f, data] of old) fs.writeFileSync(path.join(dir, f), data);
    const again = openStorage();
    expect([again.firstIndex(), again.lastIndex()]).toEqual([21, 20]);
    expect(segments().length).toBe(1);
  });

  it('converts a snapshot.json of the first format (one JSON string) into chunks', () => {
    fs.writeFileSync(path.join(dir, snapshotFileName), JSON.stringify({ meta: { index: 7, term: 2, voters: ['n1', 'n2', 'n3'] }, walFrom: 1, data: '{"appliedIndex":7,"entries":[["b","2"],["a","1"]]}' }));
    const s = openStorage();
    expect(s.snapshot()).toMatchObject({ index: 7, term: 2, chunkCount: 1 });
    expect(KvStateMachine.fromChunks([s.snapshotChunk(0)], 7).entries()).toEqual([['a', '1'], ['b', '2']]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, snapshotFileName), 'utf8')).format).toBe(3);
  });

  it('rejects a snapshot.json that is not one', () => {
    fs.writeFileSync(path.join(dir, snapshotFileName), '{"meta":{}}');
    expect(() => openStorage()).toThrow(/snapshot\.json/);
  });

  describe('preallocated WAL segments (the default with fsync)', () => {
    const segmentBytes = 64 * 1024;
    const openPreallocated = (): DiskStorage => openStorage(segmentBytes, true);
    const put = (s: DiskStorage, from: number, to: number, term = 1): void =>
      s.persist({ snapshotChunks: [], snapshot: null, hardState: hs(term, null, 0), entries: entries(from, to, term), mustSync: true });
    const sizeOf = (file: string): number => fs.statSync(path.join(dir, file)).size;

    /** Writes entries 1-3 into the first (growing) segment, waits for the spare, then 4-10 go into it. */
    async function intoPreallocated(): Promise<DiskStorage> {
      const s = openPreallocated();
      put(s, 1, 3);
      await s.settled();
      expect(sizeOf(spareFileName)).toBe(segmentBytes);
      for (let i = 4; i <= 10; i++) put(s, i, i);
      return s;
    }

    it('switches to a segment made ahead once it is ready: the file keeps its size, a reopen reads every record and appends after them', async () => {
      const s = await intoPreallocated();
      const [first, second] = segments();
      expect(segments()).toHaveLength(2);
      expect(sizeOf(second!)).toBe(segmentBytes); // appends overwrote zeros; the file did not grow
      expect(sizeOf(first!)).toBeLessThan(segmentBytes);
      crash(s);
      const again = openPreallocated();
      expect(again.entries(1, 11)).toEqual(entries(1, 10, 1));
      put(again, 11, 12, 2);
      crash(again);
      const third = openPreallocated();
      expect(third.entries(1, 13)).toEqual([...entries(1, 10, 1), ...entries(11, 12, 2)]);
      expect(third.initialState().hardState).toEqual(hs(2, null, 0));
    });

    it('rotates into the next spare when a preallocated segment fills, with every entry kept across a reopen', async () => {
      const s = await intoPreallocated();
      // About 77 bytes per write: 500 fill the segment past half, where the next spare is started.
      for (let i = 11; i <= 500; i++) put(s, i, i);
      await s.settled();
      expect(sizeOf(spareFileName)).toBe(segmentBytes);
      for (let i = 501; i <= 1000; i++) put(s, i, i);
      expect(segments().length).toBeGreaterThanOrEqual(3);
      expect(sizeOf(segments()[2]!)).toBe(segmentBytes);
      crash(s);
      expect(openPreallocated().entries(1, 1001)).toEqual(entries(1, 1000, 1));
    });

    it('flushes a large spare as it fills it with zeros, never leaving more than writeBackBytes of it unsynced', async () => {
      const spareBytes = 3 * writeBackBytes + 4096;
      // Only the spare is fdatasynced here: WAL appends are O_DSYNC writes.
      const syncs = watchFdatasyncs();
      try {
        const s = openStorage(spareBytes, true);
        put(s, 1, 3);
        await s.settled();
        expect(sizeOf(spareFileName)).toBe(spareBytes);
      } finally {
        syncs.stop();
      }
      // Synced every writeBackBytes on the way; the end's sync (fsync) makes the rest durable.
      expect(syncs.sizes).toEqual([1, 2, 3].map((n) => n * writeBackBytes));
    });

    /** Damages the record of entry `index` in the last segment (`start`: its header's offset); returns the file. */
    function damageRecord(index: number, damage: (buf: Buffer, start: number) => void): string {
      const file = lastSegment();
      const buf = fs.readFileSync(file);
      damage(buf, buf.indexOf(`{"t":"b","i":${index},`) - 8);
      fs.writeFileSync(file, buf);
      return file;
    }

    it('cuts a torn last record inside the zeros, keeping the records before it', async () => {
      crash(await intoPreallocated());
      const file = damageRecord(10, (buf, start) => void (buf[start + 20] = buf[start + 20]! ^ 0xff));
      const again = openPreallocated();
      expect(again.lastIndex()).toBe(9);
      expect(log.lines.some((l) => l.includes('dropping torn or corrupt last record') && l.includes(file))).toBe(true);
      put(again, 10, 10, 2);
      crash(again);
      expect(openPreallocated().entries(9, 11)).toEqual([entry(9, 1), entry(10, 2)]);
    });

    it('refuses to start when a record in the middle was zeroed (zeros end a segment only when nothing valid follows)', async () => {
      crash(await intoPreallocated());
      damageRecord(6, (buf, start) => void buf.fill(0, start, start + 8));
      expect(() => openPreallocated()).toThrow(CorruptWalError);
    });

    it('deletes a spare left by a crash at the next open (how far its zeros got is unknown)', async () => {
      fs.writeFileSync(path.join(dir, spareFileName), 'not zeros');
      const s = openStorage(segmentBytes, false);
      expect(fs.existsSync(path.join(dir, spareFileName))).toBe(false);
      crash(s);
      fs.writeFileSync(path.join(dir, spareFileName), 'not zeros');
      const again = openPreallocated();
      await again.settled();
      expect(fs.readFileSync(path.join(dir, spareFileName)).equals(Buffer.alloc(segmentBytes))).toBe(true);
    });
  });
});
