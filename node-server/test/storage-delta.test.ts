/**
 * Snapshots written as delta runs (docs/storage.md, "Delta runs"): the manifest names the whole
 * state's file and the runs after it; the snapshot's chunks are theirs in order; the whole state
 * is written again once the runs add up to deltaRatio times it; a crash in the middle of a run, or
 * a snapshot that moved under one, leaves a snapshot that restores exactly.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { Entry, SnapshotSource } from '@raft-kv/core';
import { KvStateMachine, configurationOf, emptySnapshotDigest, foldChunkChecksum } from '@raft-kv/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DiskStorage } from '../src/storage/disk-storage';
import { readManifest, snapshotFileName } from '../src/storage/snapshot-file';
import type { SnapshotManifest } from '../src/storage/snapshot-file';
import { captureLogger } from './support/capture-logger';

let dir: string;
let open: DiskStorage[] = [];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-delta-'));
});

afterEach(async () => {
  for (const s of open) s.close();
  await Promise.all(open.map((s) => s.settled()));
  open = [];
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(`${dir}-crashed`, { recursive: true, force: true });
});

function openStorage(at = dir, deltaRatio = 2): DiskStorage {
  const s = DiskStorage.open(at, ['n1', 'n2', 'n3'], { fsync: true, segmentBytesMax: 1 << 20, preallocate: false, logger: captureLogger().logger, deltaRatio });
  open.push(s);
  return s;
}

const three = configurationOf(['n1', 'n2', 'n3']);
const key = (i: number): string => `k${String(i).padStart(5, '0')}`;

/** A cluster of one: entries written to the storage and applied to a state machine. */
class Node {
  readonly kv = new KvStateMachine();
  index = 0;

  constructor(readonly storage: DiskStorage) {}

  write(commands: Entry['command'][]): void {
    const entries = commands.map((command) => ({ index: ++this.index, term: 1, command }));
    this.storage.persist({ snapshotChunks: [], snapshot: null, hardState: { term: 1, vote: 'n1', commit: this.index }, entries, mustSync: true });
    for (const e of entries) this.kv.apply(e);
  }

  source(): SnapshotSource {
    const readers = this.kv.snapshotReaders(256);
    return { index: this.index, term: 1, config: three, reader: readers.full, delta: readers.delta!, retainEntries: 0 };
  }

  snapshot(source = this.source()): Promise<boolean> {
    return new Promise((resolve, reject) => this.storage.writeSnapshot(source, (err, written) => {
      if (err) return reject(err);
      if (written) this.kv.snapshotDurable(source.index);
      resolve(written);
    }));
  }
}

const sets = (from: number, to: number, value = 'x'.repeat(40)): Entry['command'][] =>
  Array.from({ length: to - from }, (_, i) => ({ op: 'set' as const, key: key(from + i), value }));

const manifest = (at = dir): SnapshotManifest => readManifest(at) as SnapshotManifest;

function restored(s: DiskStorage): [string, string][] {
  const meta = s.snapshot();
  const chunks = Array.from({ length: meta.chunkCount }, (_, i) => s.snapshotChunk(i));
  return KvStateMachine.fromChunks(chunks, meta.index).entries();
}

/** The state at the snapshot: the entries up to its index applied to an empty machine. */
function stateAt(commands: Entry['command'][], index: number): [string, string][] {
  const kv = new KvStateMachine();
  commands.slice(0, index).forEach((command, i) => kv.apply({ index: i + 1, term: 1, command }));
  return kv.entries();
}

describe('delta runs on disk', () => {
  it('adds runs on top of the whole state, reads the chunks across them in order, and writes the whole state again once the runs reach deltaRatio times it', async () => {
    const node = new Node(openStorage());
    node.write(sets(0, 200));
    expect(await node.snapshot()).toBe(true);
    const base = manifest();
    expect(base.deltas).toEqual([]);
    const sizes: number[] = [];
    // Each round changes 20 keys, deletes one and adds 20: a run is far smaller than the whole state.
    for (let round = 0; manifest().deltas.length > 0 || round === 0; round++) {
      node.write([...sets(round * 7, round * 7 + 20, `round${round}`), { op: 'delete', key: key(round * 3) }, ...sets(1000 + round * 20, 1000 + round * 20 + 20)]);
      expect(await node.snapshot()).toBe(true);
      const m = manifest();
      if (m.deltas.length === 0) break;
      const run = m.deltas.at(-1)!;
      sizes.push(run.bytes);
      expect(run).toMatchObject({ index: node.index });
      expect(m.dataFile).toBe(base.dataFile);
      expect(m.meta.chunkCount).toBe(m.chunkOffsets.length + m.deltas.reduce((n, d) => n + d.chunkOffsets.length, 0));
      expect(restored(node.storage)).toEqual(node.kv.entries());
      expect(round).toBeLessThan(100);
    }
    const deltaBytes = sizes.reduce((a, b) => a + b, 0);
    // The runs written before the whole state came back reached twice the base, and each was small.
    expect(deltaBytes).toBeGreaterThanOrEqual(2 * base.meta.bytes - Math.max(...sizes));
    expect(Math.max(...sizes)).toBeLessThan(base.meta.bytes / 3);
    const whole = manifest();
    expect(whole.deltas).toEqual([]);
    expect(whole.dataFile).not.toBe(base.dataFile);
    await node.storage.settled();
    const dataFiles = fs.readdirSync(dir).filter((f) => f.endsWith('.chunks'));
    expect(dataFiles).toEqual([whole.dataFile]);
    expect(restored(node.storage)).toEqual(node.kv.entries());
  });

  it('gives a snapshot a digest of its chunks in order: a run goes on from the base\'s, and a manifest without one gets it from the frames', async () => {
    const first = openStorage();
    const node = new Node(first);
    const digestOfChunks = (st: DiskStorage): number => Array.from({ length: st.snapshot().chunkCount }, (_, i) => crc32(Buffer.from(st.snapshotChunk(i), 'utf8')))
      .reduce(foldChunkChecksum, emptySnapshotDigest);
    node.write(sets(0, 100));
    await node.snapshot();
    const whole = manifest().meta.digest;
    expect(whole).toBe(digestOfChunks(first));
    node.write(sets(50, 60, 'changed'));
    await node.snapshot();
    expect(manifest().deltas).toHaveLength(1);
    const withRun = manifest().meta.digest;
    expect(withRun).not.toBe(whole);
    expect(withRun).toBe(digestOfChunks(first));
    expect(first.snapshot().digest).toBe(withRun);
    first.close();
    await first.settled();
    // A manifest written before snapshots had digests.
    const file = path.join(dir, snapshotFileName);
    const text = JSON.parse(fs.readFileSync(file, 'utf8')) as { meta: Record<string, unknown> };
    delete text.meta.digest;
    fs.writeFileSync(file, JSON.stringify(text));
    const again = openStorage();
    expect(again.snapshot().digest).toBe(withRun);
    again.close();
    await again.settled();
    text.meta.digest = 'abc';
    fs.writeFileSync(file, JSON.stringify(text));
    expect(() => openStorage()).toThrow(/meta.digest is not a 32-bit checksum/);
  });

  it('opens a manifest with runs after a restart, and the state restores from its chunks and the log', async () => {
    const first = openStorage();
    const node = new Node(first);
    node.write(sets(0, 100));
    await node.snapshot();
    node.write(sets(50, 60, 'changed'));
    await node.snapshot();
    node.write(sets(60, 70, 'in the log only'));
    first.close();
    const again = openStorage();
    expect(manifest().deltas).toHaveLength(1);
    expect(again.snapshot().index).toBe(110);
    const kv = KvStateMachine.fromChunks(Array.from({ length: again.snapshot().chunkCount }, (_, i) => again.snapshotChunk(i)), 110);
    for (const e of again.entries(111, again.lastIndex() + 1)) kv.apply(e);
    expect(kv.entries()).toEqual(node.kv.entries());
  });

  it('a crash while a run is being written leaves the snapshot before it, and the leftover file goes at the next open', async () => {
    const node = new Node(openStorage());
    node.write(sets(0, 100));
    await node.snapshot();
    const commands = [...sets(0, 100), ...sets(0, 80, 'new')];
    node.write(sets(0, 80, 'new'));
    const source = node.source();
    const crashed = `${dir}-crashed`;
    let chunks = 0;
    const delta = source.delta!;
    const next = delta.next.bind(delta);
    // The files as a crash after the run's second chunk would leave them.
    delta.next = () => {
      if (++chunks === 3) fs.cpSync(dir, crashed, { recursive: true });
      return next();
    };
    expect(await node.snapshot(source)).toBe(true);
    expect(chunks).toBeGreaterThan(3);
    const leftovers = fs.readdirSync(crashed).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toHaveLength(1);
    const again = openStorage(crashed);
    expect(again.snapshot().index).toBe(100);
    expect(manifest(crashed).deltas).toEqual([]);
    expect(fs.readdirSync(crashed).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(restored(again)).toEqual(stateAt(commands, 100));
    expect(again.lastIndex()).toBe(180);
  });

  it('a run read against a snapshot that was replaced meanwhile is given up, and the next snapshot is whole', async () => {
    const node = new Node(openStorage());
    node.write(sets(0, 100));
    await node.snapshot();
    node.write(sets(0, 10, 'new'));
    const source = node.source();
    const delta = source.delta!;
    const next = delta.next.bind(delta);
    let replaced = false;
    delta.next = () => {
      // Another snapshot becomes current while the run is written (a received one does the same).
      if (!replaced) node.storage.createSnapshot(105, node.kv.snapshotChunks(256), three, 0);
      replaced = true;
      return next();
    };
    expect(await node.snapshot(source)).toBe(false);
    expect(manifest().deltas).toEqual([]);
    expect(manifest().meta.index).toBe(105);
    // The machine never learnt of 105: its next delta is from 100, which the storage no longer holds.
    node.write(sets(10, 12));
    expect(await node.snapshot()).toBe(true);
    expect(manifest().deltas).toEqual([]);
    expect(restored(node.storage)).toEqual(node.kv.entries());
  });

  it('with deltaRatio 0 every snapshot is the whole state', async () => {
    const node = new Node(openStorage(dir, 0));
    node.write(sets(0, 50));
    await node.snapshot();
    node.write(sets(0, 5, 'new'));
    await node.snapshot();
    expect(manifest().deltas).toEqual([]);
    expect(restored(node.storage)).toEqual(node.kv.entries());
  });

  it('reads a manifest of format 2, which had no runs', async () => {
    const node = new Node(openStorage());
    node.write(sets(0, 20));
    await node.snapshot();
    node.storage.close();
    const file = path.join(dir, snapshotFileName);
    const { deltas, ...rest } = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(deltas).toEqual([]);
    fs.writeFileSync(file, JSON.stringify({ ...rest, format: 2 }));
    const again = openStorage();
    expect(restored(again)).toEqual(node.kv.entries());
  });
});
