/**
 * npm run fuzz -- --seeds 1-1000 [--nodes 3,5,7] [--faults crash,partition,...] [--phase-ms 20000] [--blind-retries on]
 * Runs randomized fault schedules on the simulator, on both cores, and prints every failing seed
 * with the one command that replays it.
 */
import os from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import { faultTypes, runFuzz } from '../src/sim/fuzz';
import type { FaultType, FuzzResult } from '../src/sim/fuzz';

interface Job { seed: number; nodes: number; faults: FaultType[]; faultPhaseMs?: number; blindRetries: boolean }

function parseList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad number list: ${text} (use 1-1000 or 3,5,7)`);
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

function parseArgs(argv: string[]) {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]!;
    if (!key.startsWith('--') || argv[i + 1] === undefined) throw new Error(`usage: npm run fuzz -- --seeds 1-1000 [--nodes 3,5,7] [--faults ${faultTypes.join(',')}] [--phase-ms N] [--blind-retries on] [--workers N]`);
    args.set(key.slice(2), argv[i + 1]!);
  }
  const faults = (args.get('faults')?.split(',') ?? [...faultTypes]) as FaultType[];
  for (const f of faults) if (!faultTypes.includes(f)) throw new Error(`unknown fault ${f}; known: ${faultTypes.join(', ')}`);
  return {
    seeds: parseList(args.get('seeds') ?? '1-100'),
    nodes: parseList(args.get('nodes') ?? '3'),
    faults,
    faultPhaseMs: args.has('phase-ms') ? Number(args.get('phase-ms')) : undefined,
    // UNSAFE clients that resend unanswered writes without a session: shows the exactly-once check failing.
    blindRetries: args.get('blind-retries') === 'on',
    workers: Number(args.get('workers') ?? Math.max(1, os.availableParallelism())),
  };
}

function runJob(job: Job): FuzzResult {
  return runFuzz({ seed: job.seed, nodes: job.nodes, faults: job.faults, blindRetries: job.blindRetries, ...(job.faultPhaseMs ? { faultPhaseMs: job.faultPhaseMs } : {}) });
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const jobs: Job[] = [];
  for (const nodes of opts.nodes) for (const seed of opts.seeds) jobs.push({ seed, nodes, faults: opts.faults, faultPhaseMs: opts.faultPhaseMs, blindRetries: opts.blindRetries });
  const started = Date.now();
  const results: FuzzResult[] = [];
  let next = 0;
  // Workers cannot start from a .ts file directly; a tiny bootstrap registers tsx first.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = Array.from({ length: Math.min(opts.workers, jobs.length) }, () => new Worker(bootstrap, { eval: true }));
  await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
    const feed = () => (next < jobs.length ? worker.postMessage(jobs[next++]) : (worker.terminate(), resolve()));
    worker.on('message', (result: FuzzResult) => {
      results.push(result);
      if (!result.ok) printFailure(result);
      if (results.length % 100 === 0) process.stderr.write(`  ${results.length}/${jobs.length} runs\n`);
      feed();
    });
    worker.on('error', reject);
    feed();
  })));
  printSummary(results, opts.faults, (Date.now() - started) / 1000);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

function printFailure(r: FuzzResult): void {
  console.log(`FAIL seed ${r.seed} nodes ${r.nodes}: ${r.failures.join(' | ')}`);
  console.log(`  replay: npm run fuzz -- --seeds ${r.seed} --nodes ${r.nodes}${r.blindRetries ? ' --blind-retries on' : ''}`);
}

function printSummary(results: FuzzResult[], faults: readonly string[], seconds: number): void {
  const rows = [...new Set(results.map((r) => r.nodes))].sort().map((nodes) => {
    const rs = results.filter((r) => r.nodes === nodes);
    const violations = rs.filter((r) => r.failures.some((f) => /^(election|log|leader|state|commit|apply)/.test(f))).length;
    return {
      nodes,
      runs: rs.length,
      passed: rs.filter((r) => r.ok).length,
      'invariant violations': violations,
      'not linearizable': rs.filter((r) => r.linearizability === 'not_linearizable').length,
      'applied twice': rs.filter((r) => r.appliedTwice > 0).length,
      'lin. unknown': rs.filter((r) => r.linearizability === 'unknown').length,
      'no progress': rs.filter((r) => r.failures.some((f) => f.startsWith('no write'))).length,
      'client ops': rs.reduce((s, r) => s + r.ops, 0),
      'session runs': rs.filter((r) => r.sessions).length,
      'writes resent': rs.reduce((s, r) => s + r.resent, 0),
      'sessions expired': rs.reduce((s, r) => s + r.sessionsExpired, 0),
      faults: rs.reduce((s, r) => s + Object.values(r.faultsInjected).reduce((a, b) => a + b, 0), 0),
      'snapshots installed': rs.reduce((s, r) => s + r.snapshotsInstalled, 0),
      'snapshot chunks': rs.reduce((s, r) => s + r.snapshotChunks, 0),
    };
  });
  console.log(`\nfuzz summary (${results.length} runs in ${seconds.toFixed(0)} s; faults: ${faults.join(', ')})`);
  console.table(rows);
  const failing = results.filter((r) => !r.ok);
  console.log(failing.length === 0 ? 'all runs passed' : `${failing.length} failing: ${failing.map((r) => `${r.seed}/${r.nodes}`).join(' ')}`);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
} else {
  parentPort!.on('message', (job: Job) => parentPort!.postMessage(runJob(job)));
}
