/**
 * WAL record framing: [payload length u32 LE][crc32 of payload u32 LE][payload: JSON]. The
 * checksum catches torn and corrupted records; the length lets a reader walk the file.
 */
import { crc32 } from 'node:zlib';
import type { Command, Entry, HardState } from '@raft-kv/core';

export const recordHeaderBytes = 8;
/** Larger lengths are treated as garbage rather than allocated. */
export const recordPayloadBytesMax = 512 * 1024 * 1024;

/**
 * `h`: the hard state. `b`: a batch of consecutive entries from index `i`, their terms `m` (one
 * number when they share it) and commands `c`: one record per durable write, so a restart parses
 * one JSON text per write instead of one per entry. `e`: one entry (written by earlier versions).
 */
export type WalRecord =
  | { t: 'h'; term: number; vote: string | null; commit: number }
  | { t: 'b'; i: number; m: number | number[]; c: Command[] }
  | { t: 'e'; i: number; m: number; c: Command };

/** The entries a record holds (none for a hard state). */
export function recordEntries(record: WalRecord): Entry[] {
  if (record.t === 'h') return [];
  if (record.t === 'e') return [Object.freeze({ term: record.m, index: record.i, command: Object.freeze(record.c) })];
  const { i, m, c } = record;
  const out = new Array<Entry>(c.length);
  for (let k = 0; k < c.length; k++) out[k] = Object.freeze({ term: typeof m === 'number' ? m : m[k]!, index: i + k, command: Object.freeze(c[k]!) });
  return out;
}

/** The record for consecutive entries (at least one). */
export function batchRecord(entries: readonly Entry[]): WalRecord {
  const term = entries[0]!.term;
  const sameTerm = entries.every((e) => e.term === term);
  return { t: 'b', i: entries[0]!.index, m: sameTerm ? term : entries.map((e) => e.term), c: entries.map((e) => e.command) };
}

/** The last index a record holds entries up to (0 for a hard state). */
export function recordLastIndex(record: WalRecord): number {
  if (record.t === 'h') return 0;
  return record.t === 'e' ? record.i : record.i + record.c.length - 1;
}

export function encodeRecord(record: WalRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  const out = Buffer.allocUnsafe(recordHeaderBytes + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  payload.copy(out, recordHeaderBytes);
  return out;
}

export const hardStateRecord = (hs: HardState): WalRecord => ({ t: 'h', term: hs.term, vote: hs.vote, commit: hs.commit });

export type DecodeResult =
  | { kind: 'record'; record: WalRecord; next: number }
  | { kind: 'end' }
  /** The bytes at `offset` are not a valid record. */
  | { kind: 'invalid'; reason: string };

/** Decodes the record at `offset`. */
export function decodeRecord(buf: Buffer, offset: number): DecodeResult {
  if (offset === buf.length) return { kind: 'end' };
  if (offset + recordHeaderBytes > buf.length) return { kind: 'invalid', reason: 'partial header' };
  const length = buf.readUInt32LE(offset);
  const checksum = buf.readUInt32LE(offset + 4);
  if (length === 0 || length > recordPayloadBytesMax) return { kind: 'invalid', reason: `bad length ${length}` };
  const start = offset + recordHeaderBytes;
  if (start + length > buf.length) return { kind: 'invalid', reason: `record of ${length} bytes runs past the end of the file` };
  const payload = buf.subarray(start, start + length);
  if (crc32(payload) !== checksum) return { kind: 'invalid', reason: 'checksum mismatch' };
  let record: WalRecord;
  try {
    record = JSON.parse(payload.toString('utf8')) as WalRecord;
  } catch {
    return { kind: 'invalid', reason: 'checksum matches but payload is not JSON' };
  }
  if (!isWalRecord(record)) return { kind: 'invalid', reason: 'checksum matches but payload is not a WAL record' };
  return { kind: 'record', record, next: start + length };
}

function isWalRecord(r: unknown): r is WalRecord {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  if (o.t === 'h') return Number.isSafeInteger(o.term) && Number.isSafeInteger(o.commit) && (o.vote === null || typeof o.vote === 'string');
  if (o.t === 'e') return Number.isSafeInteger(o.i) && Number.isSafeInteger(o.m) && typeof o.c === 'object' && o.c !== null;
  if (o.t === 'b') {
    const c = o.c;
    const m = o.m;
    return Number.isSafeInteger(o.i) && (o.i as number) >= 1 && Array.isArray(c) && c.length > 0 && c.every((x) => typeof x === 'object' && x !== null) &&
      (Number.isSafeInteger(m) || (Array.isArray(m) && m.length === c.length && m.every((t) => Number.isSafeInteger(t))));
  }
  return false;
}

/**
 * After an invalid record at `offset`: is there any valid record later in the buffer? If so the
 * damage is in the middle of the log (not a torn tail) and must not be silently dropped.
 */
export function hasValidRecordAfter(buf: Buffer, offset: number): boolean {
  // Every payload is a JSON object starting with {"t":" so only those offsets can hold a record.
  const marker = Buffer.from('{"t":"', 'utf8');
  let at = buf.indexOf(marker, offset + recordHeaderBytes + 1);
  while (at !== -1) {
    const candidate = at - recordHeaderBytes;
    if (candidate > offset && decodeRecord(buf, candidate).kind === 'record') return true;
    at = buf.indexOf(marker, at + 1);
  }
  return false;
}
