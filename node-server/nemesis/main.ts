/**
 * npm run nemesis -- --duration 300 --clients 8 --seed N [--nodes 5] [--out dir]
 * A Jepsen-style fault test of the real cluster: see run.ts. Writes history.jsonl and
 * report.{json,md} under --out (default nemesis-results/seed-N-<time>/), prints the report,
 * exits 0 when the run is linearizable, nothing was lost and every heal made progress.
 */
import path from 'node:path';
import { closeClients } from './http-client';
import type { FaultKind } from './faults';
import { faultKinds } from './faults';
import { defaultNemesisOptions, renderReport, runNemesis } from './run';

const usage = `usage: npm run nemesis -- [--duration 300] [--clients 8] [--seed N] [--nodes 3|5] [--keys 5] [--faults ${faultKinds.join(',')}] [--out dir]`;

function parse(argv: string[]) {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    if (!key.startsWith('--') || argv[i + 1] === undefined) throw new Error(usage);
    args.set(key.slice(2), argv[i + 1]!);
  }
  for (const key of args.keys()) if (!['duration', 'clients', 'seed', 'nodes', 'keys', 'faults', 'out'].includes(key)) throw new Error(`unknown option --${key}\n${usage}`);
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = args.get(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got ${raw}`);
    return value;
  };
  const nodes = int('nodes', 3, 3, 5);
  if (nodes !== 3 && nodes !== 5) throw new Error('--nodes must be 3 or 5');
  const faults = (args.get('faults')?.split(',') ?? [...faultKinds]) as FaultKind[];
  for (const f of faults) if (!faultKinds.includes(f)) throw new Error(`unknown fault ${f}; known: ${faultKinds.join(', ')}`);
  const seed = int('seed', Date.now() % 100_000, 0, 2 ** 31 - 1);
  return {
    seed,
    durationSec: int('duration', 300, 5, 86_400),
    clients: int('clients', defaultNemesisOptions.clients, 1, 256),
    nodes: nodes as 3 | 5,
    keys: int('keys', defaultNemesisOptions.keys, 1, 1000),
    faults,
    outDir: path.resolve(args.get('out') ?? path.join('nemesis-results', `seed-${seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
  };
}

async function main(): Promise<void> {
  const options = parse(process.argv.slice(2));
  console.log(`nemesis: seed ${options.seed}, ${options.nodes} nodes, ${options.clients} clients, ${options.durationSec} s -> ${options.outDir}`);
  const report = await runNemesis({ ...defaultNemesisOptions, ...options, log: (line) => console.log(line) });
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
