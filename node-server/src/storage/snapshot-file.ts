/**
 * Snapshots on disk, under `<RAFT_DATA_DIR>/<NODE_ID>/`:
 * - `snapshot.json`, the manifest: which snapshot is current (its index, term, members, chunk count
 *   and size), the file holding its data and where each chunk starts in it, the first WAL segment
 *   that still counts (`walFrom`), and the log's base (entries up to it are compacted away). It is
 *   small and replaced atomically (tmp file, fsync, rename, fsync the directory), so a reader sees
 *   the old snapshot or the new one, never a mix.
 * - `snapshot-<index>-<term>.chunks`, the data: the state machine's chunks, each framed as
 *   [length u32 LE][crc32 u32 LE][UTF-8 bytes]. It is written and fsynced before the manifest names it.
 *   The manifest names one such file with the whole state, then any delta runs, files of the same
 *   kind that hold only the keys changed since the snapshot before them.
 * - `snapshot-incoming.json` and `snapshot-incoming.chunks`: a snapshot being received from a leader
 *   (its meta, and the chunks received so far), so that a restart resumes the transfer.
 * Data files the manifest does not name are leftovers of a crash and are deleted at open.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { SnapshotMeta } from '@raft-kv/core';
import { foldChunkChecksums } from '@raft-kv/core';
import { configuration, initialConfiguration } from '../wire';

export const snapshotFileName = 'snapshot.json';
export const incomingMetaFileName = 'snapshot-incoming.json';
export const incomingDataFileName = 'snapshot-incoming.chunks';
const dataFilePattern = /^snapshot-\d{10}-\d{10}\.chunks(\.tmp)?$/;
const frameHeaderBytes = 8;
/** The manifest's format; 1 was a single JSON file with the data inline, 2 had no delta runs. */
const manifestFormat = 3;

export const dataFileName = (meta: Pick<SnapshotMeta, 'index' | 'term'>): string =>
  `snapshot-${String(meta.index).padStart(10, '0')}-${String(meta.term).padStart(10, '0')}.chunks`;

export interface SnapshotManifest {
  meta: SnapshotMeta;
  walFrom: number;
  /** The last compacted entry: the log holds the entries after it. At or before meta.index. */
  logBase: { index: number; term: number };
  /** The data file (in the same directory); null for the empty snapshot at index 0. */
  dataFile: string | null;
  /** Byte offset of each chunk's frame in the data file. */
  chunkOffsets: number[];
  /**
   * Delta runs after the data file's chunks, oldest first: each holds the keys changed since the
   * snapshot before it (at `from`), up to its `index`. The snapshot's chunks are the data file's,
   * then each run's, in this order.
   */
  deltas: DeltaRun[];
}

export interface DeltaRun {
  file: string;
  chunkOffsets: number[];
  /** The run's file size. */
  bytes: number;
  from: number;
  index: number;
}

export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

/** The manifest as written by format 1: the data inline, one string. */
export interface LegacySnapshot {
  meta: { index: number; term: number; voters: string[] };
  walFrom: number;
  data: string;
}

export function readManifest(dir: string): SnapshotManifest | LegacySnapshot | null {
  const file = path.join(dir, snapshotFileName);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new SnapshotFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const meta = p.meta as Record<string, unknown> | undefined;
  const position = meta && Number.isSafeInteger(meta.index) && Number.isSafeInteger(meta.term) && Number.isSafeInteger(p.walFrom);
  const legacy = position && Array.isArray(meta!.voters) && (meta!.voters as unknown[]).every((v) => typeof v === 'string');
  if (legacy && p.format === undefined && typeof p.data === 'string') return p as unknown as LegacySnapshot;
  const logBase = p.logBase as Record<string, unknown> | undefined;
  const offsets = p.chunkOffsets;
  // The manifest at index 0 holds the membership the node started with (none when it joins).
  const config = meta?.index === 0 ? initialConfiguration : configuration;
  // Format 2 is format 3 without delta runs.
  const deltas = p.format === 2 && p.deltas === undefined ? [] : p.deltas;
  const valid = position && (p.format === 2 || p.format === manifestFormat) && config.safeParse(meta!.config).success &&
    Number.isSafeInteger(meta!.chunkCount) && Number.isSafeInteger(meta!.bytes) &&
    logBase && Number.isSafeInteger(logBase.index) && Number.isSafeInteger(logBase.term) &&
    (p.dataFile === null || (typeof p.dataFile === 'string' && dataFilePattern.test(p.dataFile))) &&
    isOffsets(offsets) && Array.isArray(deltas) && deltas.every(isDeltaRun) && (p.dataFile !== null || deltas.length === 0) &&
    offsets.length + (deltas as DeltaRun[]).reduce((n, d) => n + d.chunkOffsets.length, 0) === meta!.chunkCount;
  if (!valid) {
    throw new SnapshotFileError(`${file}: not a snapshot manifest (expected format ${manifestFormat} with meta (index, term, config, chunkCount, bytes), walFrom, logBase, dataFile, chunkOffsets, deltas)`);
  }
  const manifest = { meta: p.meta, walFrom: p.walFrom, logBase: p.logBase, dataFile: p.dataFile, chunkOffsets: offsets, deltas } as SnapshotManifest;
  const digest = (meta as { digest?: unknown }).digest;
  if (digest === undefined) manifest.meta = { ...manifest.meta, digest: framesDigest(path.dirname(file), manifest) };
  else if (!(Number.isInteger(digest) && (digest as number) >= 0 && (digest as number) <= 0xffffffff)) throw new SnapshotFileError(`${file}: meta.digest is not a 32-bit checksum`);
  return manifest;
}

/**
 * The digest of a snapshot's chunks from their frames' checksums, for a manifest written before
 * snapshots had digests (reads 8 bytes a chunk).
 */
function framesDigest(dir: string, manifest: SnapshotManifest): number {
  const data = new SnapshotData(dir, manifest);
  try {
    return foldChunkChecksums(Array.from({ length: manifest.meta.chunkCount }, (_, i) => data.checksum(i)));
  } finally {
    data.close();
  }
}

const isOffsets = (v: unknown): v is number[] => Array.isArray(v) && v.every((o) => Number.isSafeInteger(o) && o >= 0);

function isDeltaRun(v: unknown): v is DeltaRun {
  if (typeof v !== 'object' || v === null) return false;
  const d = v as Record<string, unknown>;
  return typeof d.file === 'string' && dataFilePattern.test(d.file) && isOffsets(d.chunkOffsets) &&
    Number.isSafeInteger(d.bytes) && Number.isSafeInteger(d.from) && Number.isSafeInteger(d.index) && (d.from as number) < (d.index as number);
}

/** The data files a manifest names: the whole state's, then its delta runs'. */
export function manifestFiles(manifest: SnapshotManifest): string[] {
  return [...(manifest.dataFile === null ? [] : [manifest.dataFile]), ...manifest.deltas.map((d) => d.file)];
}

export function isLegacy(m: SnapshotManifest | LegacySnapshot): m is LegacySnapshot {
  return typeof (m as LegacySnapshot).data === 'string';
}

export function writeManifest(dir: string, manifest: SnapshotManifest, fsync: boolean): void {
  writeFileAtomically(dir, snapshotFileName, manifestText(manifest), fsync);
}

/** The manifest as its file holds it. */
function manifestText(manifest: SnapshotManifest): string {
  return JSON.stringify({ format: manifestFormat, ...manifest });
}

/**
 * writeManifest off the event loop: the same steps, each on libuv's thread pool, so the fsyncs (of
 * the file, then of the directory) do not hold the node while the disk is busy with the WAL. Two
 * manifest writes must not overlap (they share the temporary file): the storage keeps them apart.
 */
export async function writeManifestAsync(dir: string, manifest: SnapshotManifest, fsync: boolean): Promise<void> {
  const file = path.join(dir, snapshotFileName);
  const tmp = `${file}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(manifestText(manifest));
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  if (fsync) {
    const dirHandle = await fsp.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}

export function writeFileAtomically(dir: string, name: string, body: string, fsync: boolean): void {
  const file = path.join(dir, name);
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, body);
    if (fsync) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  if (fsync) fsyncDir(dir);
}

export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The snapshot data files in `dir` other than those in `keep` (leftovers of a crash or of older snapshots). */
export function staleDataFiles(dir: string, keep: readonly string[]): string[] {
  return fs.readdirSync(dir).filter((name) => dataFilePattern.test(name) && !keep.includes(name)).map((name) => path.join(dir, name));
}

/** Deletes them at once (at open; a running node hands them to a FileRemover). */
export function removeStaleDataFiles(dir: string, keep: readonly string[]): void {
  for (const file of staleDataFiles(dir, keep)) fs.rmSync(file, { force: true });
}

export function encodeChunkFrame(data: string): Buffer {
  const payload = Buffer.from(data, 'utf8');
  const frame = Buffer.allocUnsafe(frameHeaderBytes + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, frameHeaderBytes);
  return frame;
}

/** The CRC-32 of a frame's chunk, as its header holds it. */
export const chunkFrameChecksum = (frame: Buffer): number => frame.readUInt32LE(4);

/** Reads the chunk whose frame starts at `offset` of an open file; throws on a damaged frame. */
export function readChunkFrame(fd: number, file: string, offset: number): string {
  const header = Buffer.alloc(frameHeaderBytes);
  if (fs.readSync(fd, header, 0, frameHeaderBytes, offset) !== frameHeaderBytes) throw new SnapshotFileError(`${file}: no chunk at offset ${offset}`);
  const length = header.readUInt32LE(0);
  const payload = Buffer.allocUnsafe(length);
  if (fs.readSync(fd, payload, 0, length, offset + frameHeaderBytes) !== length) throw new SnapshotFileError(`${file}: chunk at offset ${offset} is cut short`);
  if (crc32(payload) !== header.readUInt32LE(4)) throw new SnapshotFileError(`${file}: chunk at offset ${offset} fails its checksum`);
  return payload.toString('utf8');
}

/**
 * Walks the frames of a chunk file: the offsets of the intact ones, and where they end (a torn
 * or damaged frame at the end, from a crash while receiving, is where the file is cut).
 */
export function scanChunkFrames(file: string): { offsets: number[]; end: number } {
  const buf = fs.readFileSync(file);
  const offsets: number[] = [];
  let offset = 0;
  while (offset + frameHeaderBytes <= buf.length) {
    const length = buf.readUInt32LE(offset);
    const start = offset + frameHeaderBytes;
    if (start + length > buf.length) break;
    if (crc32(buf.subarray(start, start + length)) !== buf.readUInt32LE(offset + 4)) break;
    offsets.push(offset);
    offset = start + length;
  }
  return { offsets, end: offset };
}

/** The current snapshot's data files (the whole state's, then the delta runs'), open for reading chunks in order. */
export class SnapshotData {
  private readonly runs: { file: string; fd: number; offsets: readonly number[] }[] = [];

  constructor(dir: string, manifest: Pick<SnapshotManifest, 'dataFile' | 'chunkOffsets' | 'deltas'>) {
    try {
      if (manifest.dataFile !== null) this.open(path.join(dir, manifest.dataFile), manifest.chunkOffsets);
      for (const d of manifest.deltas) this.open(path.join(dir, d.file), d.chunkOffsets);
    } catch (err) {
      this.close();
      throw err;
    }
  }

  private open(file: string, offsets: readonly number[]): void {
    this.runs.push({ file, fd: fs.openSync(file, 'r'), offsets });
  }

  chunk(i: number): string {
    const { run, offset } = this.frameAt(i);
    return readChunkFrame(run.fd, run.file, offset);
  }

  /** The CRC-32 of chunk i, from its frame's header alone. */
  checksum(i: number): number {
    const { run, offset } = this.frameAt(i);
    const header = Buffer.alloc(frameHeaderBytes);
    if (fs.readSync(run.fd, header, 0, frameHeaderBytes, offset) !== frameHeaderBytes) throw new SnapshotFileError(`${run.file}: no chunk at offset ${offset}`);
    return chunkFrameChecksum(header);
  }

  private frameAt(i: number): { run: { file: string; fd: number }; offset: number } {
    let at = i;
    for (const run of this.runs) {
      if (at < run.offsets.length) return { run, offset: run.offsets[at]! };
      at -= run.offsets.length;
    }
    throw new SnapshotFileError(`no chunk ${i} in the snapshot (${i - at} chunks in ${this.runs.length} files)`);
  }

  close(): void {
    for (const run of this.runs.splice(0)) fs.closeSync(run.fd);
  }
}
