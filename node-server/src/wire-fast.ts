/**
 * The AppendEntries a follower receives hundreds of times a second, validated by hand.
 *
 * Why: zod's parse of one AppendEntries of 22 entries (what a leader sends at 64 clients) took
 * about 26 µs on the project's 2-core VM, 1.2 µs per entry, and a node profile put it at 2-3 µs
 * per entry on each follower: a few percent of the cluster's CPU per write. These checks take a
 * tenth of that.
 *
 * The contract: for any body, fastAppendEntries returns either undefined or exactly what
 * parseRequest's zod path returns for it (the same fields, in the same order, unknown fields
 * dropped). It covers the common commands (set, delete, noop, with or without a session) and
 * gives up on anything else, valid or not; the zod schema in wire.ts then decides, and says what
 * is wrong. So zod stays the one definition of the format, and this is a shortcut to its answer
 * (node-server/test/wire-fast.test.ts checks the two agree on generated bodies).
 */
import type { AppendEntries, Command, Entry } from '@raft-kv/core';

const isIndex = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isPositive = (x: unknown): x is number => isIndex(x) && x >= 1;
const isPlainObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The body of an AppendEntries as a core message to `self`, or undefined: ask the schema. */
export function fastAppendEntries(body: unknown, self: string): AppendEntries | undefined {
  if (!isPlainObject(body)) return undefined;
  const { term, leaderId, leaderAddr, prevLogIndex, prevLogTerm, entries, leaderCommit } = body;
  const seq = body.seq === undefined ? 0 : body.seq;
  if (!isIndex(term) || !isIndex(prevLogIndex) || !isIndex(prevLogTerm) || !isIndex(leaderCommit) || !isIndex(seq)) return undefined;
  if (typeof leaderId !== 'string' || leaderId.length < 1 || leaderId.length > 64) return undefined;
  if (leaderAddr !== undefined && (typeof leaderAddr !== 'string' || leaderAddr.length > 512)) return undefined;
  if (prevLogTerm > term || !Array.isArray(entries)) return undefined;
  const out = new Array<Entry>(entries.length);
  let prevTerm = prevLogTerm;
  for (let i = 0; i < entries.length; i++) {
    const e: unknown = entries[i];
    if (!isPlainObject(e)) return undefined;
    const entryTerm = e.term;
    if (!isPositive(entryTerm) || e.index !== prevLogIndex + 1 + i || !isPositive(e.index)) return undefined;
    if (entryTerm < prevTerm || entryTerm > term) return undefined;
    const command = commandOf(e.command);
    if (command === undefined) return undefined;
    out[i] = Object.freeze({ term: entryTerm, index: e.index, command });
    prevTerm = entryTerm;
  }
  return { type: 'AppendEntries', from: leaderId, to: self, term, prevLogIndex, prevLogTerm, entries: out, leaderCommit, seq };
}

/** A frozen set, delete or noop, fields in the schema's order; undefined for anything else. */
function commandOf(c: unknown): Command | undefined {
  if (!isPlainObject(c)) return undefined;
  const { op, key } = c;
  if (op === 'noop') return Object.freeze({ op: 'noop' });
  if (op !== 'set' && op !== 'delete') return undefined;
  if (typeof key !== 'string' || key.length < 1) return undefined;
  const write: Extract<Command, { op: 'set' | 'delete' }> | undefined =
    op === 'delete' ? { op, key } : typeof c.value === 'string' ? { op, key, value: c.value } : undefined;
  if (write === undefined) return undefined;
  if (c.session === undefined && c.at === undefined) return Object.freeze(write);
  // A session's write carries the session and the leader's clock (`at`), both or neither.
  const { session, at } = c;
  if (!isPlainObject(session) || !isIndex(at)) return undefined;
  const { client, seq, ack } = session;
  if (!isPositive(client) || !isPositive(seq) || !isPositive(ack) || ack > seq) return undefined;
  return Object.freeze({ ...write, session: { client, seq, ack }, at });
}
