/**
 * npm run nemesis -- --duration 300 --clients 8 --seed N [--nodes 5] [--net local|netns] [--tls on] [--out dir]
 * A Jepsen-style fault test of the real cluster: see run.ts. Writes history.jsonl and
 * report.{json,md} under --out (default nemesis-results/seed-N-<time>/), prints the report,
 * exits 0 when the run is linearizable, nothing was lost and every heal made progress.
 * `--net netns` runs each node in a network namespace of its own (root; src/netns) and makes the
 * faults in the kernel: nftables rules, SIGSTOP/SIGCONT, tc tbf.
 */
import path from 'node:path';
import { closeClients } from './http-client';
import { netnsUnsupportedReason } from '../src/netns/commands';
import type { FaultKind } from './faults';
import { faultKinds, localFaultKinds, netnsFaultKinds } from './faults';
import { defaultNemesisOptions, renderReport, runNemesis } from './run';

const usage = `usage: npm run nemesis -- [--duration 300] [--clients 8] [--seed N] [--nodes 3|5] [--keys 5] [--net local|netns] [--tls on|off] [--faults ${faultKinds.join(',')}] [--out dir]`;

function parse(argv: string[]) {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    if (!key.startsWith('--') || argv[i + 1] === undefined) throw new Error(usage);
    args.set(key.slice(2), argv[i + 1]!);
  }
  for (const key of args.keys()) if (!['duration', 'clients', 'seed', 'nodes', 'keys', 'faults', 'out', 'net', 'tls'].includes(key)) throw new Error(`unknown option --${key}\n${usage}`);
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = args.get(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${raw}`);
    return value;
  };
  const nodes = int('nodes', 3, 3, 5);
  if (nodes !== 3 && nodes !== 5) throw new Error('--nodes must be 3 or 5');
  const net = args.get('net') ?? 'local';
  if (net !== 'local' && net !== 'netns') throw new Error(`--net must be local or netns, got ${net}`);
  const tls = args.get('tls') ?? 'off';
  if (tls !== 'on' && tls !== 'off') throw new Error(`--tls must be on or off, got ${tls}`);
  if (tls === 'on' && net !== 'netns') throw new Error('--tls on needs --net netns');
  const known = net === 'netns' ? netnsFaultKinds : localFaultKinds;
  const faults = (args.get('faults')?.split(',') ?? [...known]) as FaultKind[];
  for (const f of faults) if (!known.includes(f)) throw new Error(`unknown fault ${f} for --net ${net}; known: ${known.join(', ')}`);
  const seed = int('seed', Date.now() % 100_000, 0, 2 ** 31 - 1);
  return {
    seed,
    durationSec: int('duration', 300, 5, 86_400),
    clients: int('clients', defaultNemesisOptions.clients, 1, 256),
    nodes: nodes as 3 | 5,
    keys: int('keys', defaultNemesisOptions.keys, 1, 1000),
    faults,
    net: net as 'local' | 'netns',
    tls: tls === 'on',
    outDir: path.resolve(args.get('out') ?? path.join('nemesis-results', `seed-${seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
  };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  if (options.net === 'netns') {
    const reason = await netnsUnsupportedReason();
    if (reason) throw new Error(`--net netns: ${reason}`);
  }
  console.log(`nemesis: seed ${options.seed}, ${options.nodes} nodes, ${options.clients} clients, ${options.durationSec} s, ${options.net === 'netns' ? `network namespaces${options.tls ? ' with TLS' : ''}` : 'local processes'} -> ${options.outDir}`);
  // Ctrl-C ends the schedule early (the heal, the checks, the report and the cleanup still run);
  // a second one exits at once (a namespaced run's leftovers are then removed by the next run).
  let interrupted = false;
  const onSignal = (signal: string) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.log(`\n${signal}: ending the fault schedule; healing, checking and cleaning up (again to exit at once)`);
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const report = await runNemesis({ ...defaultNemesisOptions, ...options, log: (line) => console.log(line), stopEarly: () => interrupted });
  console.log('\n' + renderReport(report));
  console.log(`history: ${path.join(options.outDir, 'history.jsonl')}`);
  process.exitCode = report.ok ? 0 : 1;
}

main()
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  })
  .finally(closeClients);
