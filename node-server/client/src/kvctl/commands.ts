/**
 * kvctl's commands over the typed client. Results go to stdout in the chosen format, errors to
 * stderr as one line (a JSON object with -o json), and the exit code says what happened:
 */
import { KvClient } from '../client';
import { KvError } from '../errors';
import type { Fetch } from '../http';
import { curlOf } from '../http';
import type { Invocation } from './args';
import { UsageError, parseArgs, usage } from './args';
import { json, membersTable, statusTable, table, watchLines } from './format';

export const exitCodes = {
  ok: 0,
  /** Anything else (a node refused it for another reason, an unexpected answer). */
  error: 1,
  /** Bad usage, or a request the node answered 400 or 413. */
  badInput: 2,
  notFound: 3,
  /** No node could serve it; a write certainly did not happen. */
  unavailable: 4,
  /** A write whose outcome kvctl could not learn: it may or may not have happened. */
  unknown: 5,
  /** cas: the key did not hold what was expected, so nothing was written. */
  notSwapped: 6,
} as const;

export interface KvctlIo {
  out(line: string): void;
  err(line: string): void;
  fetch?: Fetch;
  /** Ends a running watch (SIGINT). */
  signal?: AbortSignal;
}

export async function runKvctl(argv: readonly string[], env: Record<string, string | undefined>, io: KvctlIo): Promise<number> {
  let invocation: Invocation;
  try {
    invocation = parseArgs(argv, env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`kvctl: ${err.message}`);
    io.err(usage);
    return exitCodes.badInput;
  }
  if (invocation.help) {
    io.out(usage);
    return exitCodes.ok;
  }
  const { global } = invocation;
  const client = new KvClient({
    endpoints: global.endpoints, deadlineMs: global.timeoutMs, sessions: global.sessions,
    ...(global.token ? { token: global.token } : {}),
    ...(global.debug ? { onRequest: (r) => io.err(curlOf(r)) } : {}),
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
  try {
    return await run(client, invocation, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`kvctl: ${err.message}`);
      return exitCodes.badInput;
    }
    if (!(err instanceof KvError)) throw err;
    const code = err.code === 'bad_request' ? exitCodes.badInput : err.code === 'unavailable' ? exitCodes.unavailable : err.code === 'unknown' ? exitCodes.unknown : exitCodes.error;
    io.err(global.output === 'json' ? json({ ok: false, error: err.error || err.code, outcome: err.outcome, message: err.message }) : `kvctl: ${err.message}`);
    return code;
  }
}

async function run(client: KvClient, inv: Invocation, io: KvctlIo): Promise<number> {
  const asJson = inv.global.output === 'json';
  const show = (tableText: string, jsonValue: unknown) => io.out(asJson ? json(jsonValue) : tableText);
  const [key = '', second, third] = inv.args;
  switch (inv.command.join(' ')) {
    case 'get': {
      const value = await client.get(key, { consistency: consistencyOf(inv) });
      if (value === null) {
        io.err(asJson ? json({ ok: false, error: 'not_found', key }) : `kvctl: ${key}: not found`);
        return exitCodes.notFound;
      }
      show(table(['KEY', 'VALUE'], [[key, value]]), { key, value });
      return exitCodes.ok;
    }
    case 'put':
      await client.put(key, second!);
      show(`stored ${key}`, { ok: true, key });
      return exitCodes.ok;
    case 'del':
      await client.delete(key);
      show(`deleted ${key}`, { ok: true, key });
      return exitCodes.ok;
    case 'cas': {
      const absent = inv.flags.has('absent');
      if (absent ? inv.args.length !== 2 : inv.args.length !== 3) throw new UsageError('usage: kvctl cas <key> <expected> <value> | cas <key> --absent <value>');
      const result = await client.cas(key, absent ? null : second!, absent ? second! : third!);
      show(table(['KEY', 'SWAPPED', 'VALUE'], [[key, String(result.swapped), result.value ?? '(absent)']]), { key, ...result });
      return result.swapped ? exitCodes.ok : exitCodes.notSwapped;
    }
    case 'range': {
      const limit = inv.flags.has('limit') ? wholeNumber(inv, 'limit') : undefined;
      const result = await client.range(stringFlag(inv, 'prefix') ?? '', { consistency: consistencyOf(inv), ...(limit === undefined ? {} : { limit }) });
      const footer = `${result.kvs.length} keys at index ${result.index}${result.more ? ' (more keys have the prefix: raise --limit)' : ''}`;
      show(`${table(['KEY', 'VALUE'], result.kvs.map((kv) => [kv.key, kv.value]))}\n${footer}`, result);
      return exitCodes.ok;
    }
    case 'watch':
      return watch(client, inv, io);
    case 'status': {
      const statuses = await client.status();
      show(statusTable(statuses), statuses);
      return statuses.every((s) => s.ok) ? exitCodes.ok : exitCodes.unavailable;
    }
    case 'members list': {
      const { leaderId, members } = await client.members();
      show(membersTable(leaderId, members), { leaderId, members });
      return exitCodes.ok;
    }
    case 'members add': {
      const raftUrl = stringFlag(inv, 'raft-url');
      const kvUrl = stringFlag(inv, 'kv-url');
      if (!raftUrl || !kvUrl) throw new UsageError('usage: kvctl members add <id> --raft-url <url> --kv-url <url>');
      show(`added ${key} as a learner`, await client.addMember({ id: key, raftUrl, kvUrl }));
      return exitCodes.ok;
    }
    case 'members promote':
      show(`promoted ${key} to voter`, await client.promoteMember(key));
      return exitCodes.ok;
    case 'members remove':
      show(`removed ${key}`, await client.removeMember(key));
      return exitCodes.ok;
    case 'leader transfer':
      show(`${key} leads`, await client.transferLeader(key));
      return exitCodes.ok;
  }
  throw new UsageError(`unknown command ${inv.command.join(' ')}`);
}

/** Prints changes as they come, until --count of them, or SIGINT. */
async function watch(client: KvClient, inv: Invocation, io: KvctlIo): Promise<number> {
  const count = inv.flags.has('count') ? wholeNumber(inv, 'count') : Number.POSITIVE_INFINITY;
  const fromIndex = inv.flags.has('from-index') ? wholeNumber(inv, 'from-index') : undefined;
  const asJson = inv.global.output === 'json';
  if (!asJson) io.out('INDEX  OP  KEY  VALUE');
  let changes = 0;
  const events = client.watch({ prefix: stringFlag(inv, 'prefix') ?? '', ...(fromIndex === undefined ? {} : { fromIndex }), ...(io.signal ? { signal: io.signal } : {}) });
  for await (const event of events) {
    if (asJson) io.out(json(event));
    else for (const line of watchLines(event)) io.out(line);
    if (event.type === 'change' && ++changes >= count) break;
  }
  return exitCodes.ok;
}

function stringFlag(inv: Invocation, name: string): string | undefined {
  const value = inv.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

function wholeNumber(inv: Invocation, name: string): number {
  const text = stringFlag(inv, name) ?? '';
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number from 1, got ${JSON.stringify(text)}`);
  return n;
}

function consistencyOf(inv: Invocation): 'linearizable' | 'stale' {
  const c = stringFlag(inv, 'consistency') ?? 'linearizable';
  if (c !== 'linearizable' && c !== 'stale') throw new UsageError(`--consistency must be linearizable or stale, got ${c}`);
  return c;
}
