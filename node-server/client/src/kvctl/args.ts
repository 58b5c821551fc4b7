/**
 * kvctl's command line: global options anywhere (before or after the command), the command and
 * its arguments, its own flags; `--` ends the flags (for a value that starts with a dash).
 * Anything it does not know is a usage error (exit code 2), never a guess.
 */

export type OutputFormat = 'table' | 'json';

export interface GlobalOptions {
  endpoints: string[];
  output: OutputFormat;
  debug: boolean;
  timeoutMs: number;
  sessions: boolean;
  token: string | null;
}

export interface Invocation {
  global: GlobalOptions;
  /** The command words: ['get'], ['members', 'add'], ['leader', 'transfer']. */
  command: string[];
  args: string[];
  flags: Map<string, string | true>;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export const defaultEndpoints = ['http://127.0.0.1:8081', 'http://127.0.0.1:8082', 'http://127.0.0.1:8083'];

interface CommandSpec {
  /** Positional arguments, in order; a trailing '?' marks an optional one. */
  args: string[];
  /** Flags and whether each takes a value. */
  flags: Record<string, 'value' | 'switch'>;
  summary: string;
}

export const commandSpecs: Record<string, CommandSpec> = {
  get: { args: ['key'], flags: { consistency: 'value' }, summary: 'get <key> [--consistency linearizable|stale]' },
  put: { args: ['key', 'value'], flags: {}, summary: 'put <key> <value>' },
  del: { args: ['key'], flags: {}, summary: 'del <key>' },
  cas: { args: ['key', 'expected?', 'value?'], flags: { absent: 'switch' }, summary: 'cas <key> <expected> <value> | cas <key> --absent <value>' },
  range: { args: [], flags: { prefix: 'value', limit: 'value', consistency: 'value' }, summary: 'range [--prefix <p>] [--limit <n>] [--consistency linearizable|stale]' },
  watch: { args: [], flags: { prefix: 'value', 'from-index': 'value', count: 'value' }, summary: 'watch [--prefix <p>] [--from-index <n>] [--count <n>]' },
  status: { args: [], flags: {}, summary: 'status' },
  'members list': { args: [], flags: {}, summary: 'members [list]' },
  'members add': { args: ['id'], flags: { 'raft-url': 'value', 'kv-url': 'value' }, summary: 'members add <id> --raft-url <url> --kv-url <url>' },
  'members promote': { args: ['id'], flags: {}, summary: 'members promote <id>' },
  'members remove': { args: ['id'], flags: {}, summary: 'members remove <id>' },
  'leader transfer': { args: ['id'], flags: {}, summary: 'leader transfer <id>' },
};

const globalFlags: Record<string, 'value' | 'switch'> = {
  endpoints: 'value', output: 'value', o: 'value', debug: 'switch', timeout: 'value', 'no-session': 'switch', token: 'value', help: 'switch', h: 'switch',
};

export const usage = [
  'usage: kvctl [--endpoints <url,url,...>] [-o table|json] [--timeout <ms>] [--no-session] [--token <t>] [--debug] <command>',
  '',
  'commands:',
  ...Object.values(commandSpecs).map((c) => `  ${c.summary}`),
  '',
  'endpoints: --endpoints, else KVCTL_ENDPOINTS, else the three nodes of npm run cluster',
  'exit codes: 0 ok, 1 error, 2 bad input, 3 not found, 4 unavailable, 5 outcome unknown, 6 cas did not swap',
].join('\n');

export function parseArgs(argv: readonly string[], env: Record<string, string | undefined>): Invocation {
  const words: string[] = [];
  const flags = new Map<string, string | true>();
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (flagsEnded || !token.startsWith('-') || token === '-') {
      words.push(token);
      continue;
    }
    if (token === '--') {
      flagsEnded = true;
      continue;
    }
    const [rawName, inline] = splitFlag(token);
    const kind = globalFlags[rawName] ?? flagKind(rawName);
    if (kind === undefined) throw new UsageError(`unknown option ${token}`);
    if (kind === 'switch') {
      if (inline !== undefined) throw new UsageError(`${token}: --${rawName} takes no value`);
      flags.set(rawName, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${rawName} needs a value`);
    flags.set(rawName, value);
  }
  const help = flags.has('help') || flags.has('h');
  const global = globalOptions(flags, env);
  for (const name of Object.keys(globalFlags)) flags.delete(name);
  if (help) return { global, command: [], args: [], flags, help };
  const { command, args } = commandOf(words);
  const spec = commandSpecs[command.join(' ')]!;
  for (const name of flags.keys()) if (!(name in spec.flags)) throw new UsageError(`${command.join(' ')} takes no --${name}`);
  return { global, command, args, flags, help };
}

function splitFlag(token: string): [string, string | undefined] {
  const name = token.replace(/^--?/, '');
  const eq = name.indexOf('=');
  return eq < 0 ? [name, undefined] : [name.slice(0, eq), name.slice(eq + 1)];
}

function flagKind(name: string): 'value' | 'switch' | undefined {
  for (const spec of Object.values(commandSpecs)) if (name in spec.flags) return spec.flags[name];
  return undefined;
}

function globalOptions(flags: Map<string, string | true>, env: Record<string, string | undefined>): GlobalOptions {
  const output = (flags.get('output') ?? flags.get('o') ?? 'table') as string;
  if (output !== 'table' && output !== 'json') throw new UsageError(`-o must be table or json, got ${output}`);
  const list = (flags.get('endpoints') as string | undefined) ?? env.KVCTL_ENDPOINTS;
  const endpoints = list === undefined || list.trim() === '' ? defaultEndpoints : list.split(',').map((u) => u.trim()).filter((u) => u !== '');
  for (const url of endpoints) {
    if (!/^https?:\/\/[^/\s]+\/?$/.test(url)) throw new UsageError(`endpoint ${JSON.stringify(url)} is not a node's KV URL (http://host:port)`);
  }
  const timeout = flags.get('timeout');
  const timeoutMs = timeout === undefined ? 15_000 : Number(timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new UsageError(`--timeout must be a whole number of milliseconds, got ${String(timeout)}`);
  const token = (flags.get('token') as string | undefined) ?? env.KVCTL_TOKEN ?? null;
  return { endpoints, output, debug: flags.has('debug'), timeoutMs, sessions: !flags.has('no-session'), token };
}

/** Finds the command (one word, or two for members and leader) and checks its positional arguments. */
function commandOf(words: string[]): { command: string[]; args: string[] } {
  const [first, second] = words;
  if (first === undefined) throw new UsageError('no command given');
  let command: string[];
  if (first === 'members') command = second === undefined || !['list', 'add', 'promote', 'remove'].includes(second) ? ['members', 'list'] : ['members', second];
  else if (first === 'leader') {
    if (second !== 'transfer') throw new UsageError('leader takes one subcommand: leader transfer <id>');
    command = ['leader', 'transfer'];
  } else command = [first];
  const spec = commandSpecs[command.join(' ')];
  if (!spec) throw new UsageError(`unknown command ${first}`);
  const skip = first === 'members' && command[1] === second ? 2 : first === 'leader' ? 2 : 1;
  const args = words.slice(skip);
  const required = spec.args.filter((a) => !a.endsWith('?')).length;
  if (args.length < required || args.length > spec.args.length) throw new UsageError(`usage: kvctl ${spec.summary}`);
  return { command, args };
}
