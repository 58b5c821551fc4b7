/**
 * `snapshot.json`: the state machine at an index, written atomically (tmp file, fsync, rename,
 * fsync the directory), so a reader sees the old snapshot or the new one, never a mix.
 * `walFrom` names the first WAL segment that still counts: segments before it belong to a log
 * that an installed snapshot replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Snapshot } from '@raft-kv/core';

export const snapshotFileName = 'snapshot.json';

export interface SnapshotFile {
  snapshot: Snapshot;
  walFrom: number;
}

export class SnapshotFileError extends Error {
  override name = 'SnapshotFileError';
}

export function readSnapshotFile(dir: string): SnapshotFile | null {
  const file = path.join(dir, snapshotFileName);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFileError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const p = parsed as { meta?: { index?: unknown; term?: unknown; voters?: unknown }; data?: unknown; walFrom?: unknown };
  const meta = p.meta;
  const valid = meta && Number.isSafeInteger(meta.index) && Number.isSafeInteger(meta.term) && Array.isArray(meta.voters) &&
    meta.voters.every((v) => typeof v === 'string') && typeof p.data === 'string' && Number.isSafeInteger(p.walFrom);
  if (!valid) throw new SnapshotFileError(`${file}: not a snapshot (expected meta.index, meta.term, meta.voters, data, walFrom)`);
  return { snapshot: { meta: { index: meta.index as number, term: meta.term as number, voters: meta.voters as string[] }, data: p.data as string }, walFrom: p.walFrom as number };
}

export function writeSnapshotFile(dir: string, content: SnapshotFile, fsync: boolean): void {
  const file = path.join(dir, snapshotFileName);
  const tmp = `${file}.tmp`;
  const body = JSON.stringify({ meta: content.snapshot.meta, walFrom: content.walFrom, data: content.snapshot.data });
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
