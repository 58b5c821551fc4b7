/**
 * Input checks shared by the KV routes: keys, sizes, single query parameters, the session
 * headers. Each failure is the documented 4xx (docs/api.md); nothing reaches the node host before
 * its input passed.
 */
import type { ApiResponse, SessionTag } from '@raft-kv/core';
import { api, isEmptyKey } from '@raft-kv/core';
import type { Request, Response } from 'express';
import { errorBody, sendJson } from './common';

export const send = (res: Response, response: ApiResponse): void => sendJson(res, response.status, response.body);

export const badRequest = (message: string): ApiResponse => ({ status: 400, body: errorBody('bad_request', message) });

export const tooLarge = (message: string): ApiResponse => ({ status: 413, body: errorBody('too_large', message) });

export type Checked<T> = { ok: true; value: T } | { ok: false; response: ApiResponse };

export function checkKey(key: unknown, keyBytesMax: number): Checked<string> {
  if (isEmptyKey(key)) return { ok: false, response: api.emptyKey() };
  if (Buffer.byteLength(key as string) > keyBytesMax) return { ok: false, response: tooLarge(`key larger than ${keyBytesMax} bytes`) };
  return { ok: true, value: key as string };
}

/** A query parameter given at most once: its value, undefined when absent, null when repeated. */
export function queryParam(req: Request, name: string): string | undefined | null {
  const value = req.query[name];
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : null;
}

/** A `prefix` query parameter read with queryParam (not repeated): '' when absent, at most keyBytesMax bytes. */
export function checkPrefix(text: string | undefined, keyBytesMax: number): Checked<string> {
  const prefix = text ?? '';
  if (Buffer.byteLength(prefix) > keyBytesMax) return { ok: false, response: tooLarge(`prefix larger than ${keyBytesMax} bytes`) };
  return { ok: true, value: prefix };
}

/** `consistency`: linearizable (the default) or stale. */
export function checkConsistency(req: Request): Checked<boolean> {
  const consistency = req.query.consistency ?? 'linearizable';
  if (consistency !== 'linearizable' && consistency !== 'stale') return { ok: false, response: badRequest('consistency must be linearizable or stale') };
  return { ok: true, value: consistency === 'stale' };
}

const positiveDecimal = /^[1-9][0-9]{0,15}$/;

/** A header or parameter holding a whole number from 1 to 2^53 - 1; null when it is anything else. */
export function positiveInteger(text: string): number | null {
  if (!positiveDecimal.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The session a write belongs to, from Client-Id, Client-Seq and Client-Ack (docs/clients.md):
 * undefined without them; Client-Ack defaults to Client-Seq (nothing older is outstanding).
 */
export function sessionOf(req: Request): Checked<SessionTag | undefined> {
  const { 'client-id': id, 'client-seq': seq, 'client-ack': ack } = req.headers;
  if (id === undefined && seq === undefined && ack === undefined) return { ok: true, value: undefined };
  const fail = (message: string): Checked<SessionTag | undefined> => ({ ok: false, response: badRequest(message) });
  if (id === undefined || seq === undefined) return fail('Client-Id and Client-Seq go together (Client-Ack is optional)');
  const client = typeof id === 'string' ? positiveInteger(id) : null;
  const number = typeof seq === 'string' ? positiveInteger(seq) : null;
  const acked = ack === undefined ? number : typeof ack === 'string' ? positiveInteger(ack) : null;
  if (client === null || number === null || acked === null) return fail('Client-Id, Client-Seq and Client-Ack must each be one whole number from 1');
  if (acked > number) return fail('Client-Ack (the lowest number still outstanding) cannot exceed Client-Seq');
  return { ok: true, value: { client, seq: number, ack: acked } };
}
