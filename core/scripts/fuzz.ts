/**
 * npm run fuzz -- --seeds 1-1000 [--nodes 3,5,7] [--faults crash,partition,...] [--phase-ms 20000] [--blind-retries on]
 * Runs randomized fault schedules on the simulator, on both cores, and prints every failing seed
 * with the one command that replays it.
 *
 * npm run fuzz -- --unsafe <option> [--seeds 1-1000] [--nodes N]
 * Turns one unsafe option of the bug zoo on and runs its fault mix (core/src/sim/bug-zoo.ts) seed
 * after seed until a run fails: prints how many seeds it took, the failure and the replay command.
 * `--unsafe all` does that for every option and prints a table.
 */
import os from 'node:os';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import type { ZooBug } from '../src/sim/bug-zoo';
import { bugNames, bugZoo, zooBug, zooFuzzOptions } from '../src/sim/bug-zoo';
import { failureKind, faultTypes, runFuzz } from '../src/sim/fuzz';
import type { FaultType, FuzzOptions, FuzzResult } from '../src/sim/fuzz';

/** One run: runFuzz's input, as plain data for a worker. */
type Job = Pick<FuzzOptions, 'seed' | 'nodes'> & Partial<FuzzOptions>;

const usage = `usage: npm run fuzz -- --seeds 1-1000 [--nodes 3,5,7] [--faults ${faultTypes.join(',')}] [--phase-ms N] [--blind-retries on] [--workers N]
       npm run fuzz -- --unsafe <option|all> [--seeds 1-1000] [--nodes N]   (options: ${bugNames.join(', ')})`;

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
    if (!key.startsWith('--') || argv[i + 1] === undefined) throw new Error(usage);
    args.set(key.slice(2), argv[i + 1]!);
  }
  const faults = (args.get('faults')?.split(',') ?? [...faultTypes]) as FaultType[];
  for (const f of faults) if (!faultTypes.includes(f)) throw new Error(`unknown fault ${f}; known: ${faultTypes.join(', ')}`);
  const unsafe = args.get('unsafe');
  if (unsafe !== undefined && unsafe !== 'all' && !zooBug(unsafe)) {
    throw new Error(`unknown unsafe option ${unsafe}; known: ${bugNames.join(', ')} (or all)`);
  }
  return {
    seeds: parseList(args.get('seeds') ?? (unsafe ? '1-1000' : '1-100')),
    nodes: args.has('nodes') ? parseList(args.get('nodes')!) : null,
    faults,
    faultPhaseMs: args.has('phase-ms') ? Number(args.get('phase-ms')) : undefined,
    // UNSAFE clients that resend unanswered writes without a session: shows the exactly-once check failing.
    blindRetries: args.get('blind-retries') === 'on',
    workers: Number(args.get('workers') ?? Math.max(1, os.availableParallelism())),
    unsafe,
  };
}

type Options = ReturnType<typeof parseArgs>;

function runJob(job: Job): FuzzResult {
  try {
    return runFuzz(job);
  } catch (err) {
    // A node's broken invariant ends its run inside runFuzz; anything else thrown (a simulator
    // bug) is still a failure of this seed, not of the sweep.
    const where = err instanceof Error ? (err.stack ?? '').split('\n').slice(1, 3).map((l) => l.trim()).join(' < ') : '';
    return {
      seed: job.seed, nodes: job.nodes, ok: false, failures: [`crashed: ${err instanceof Error ? err.message : String(err)} (${where})`],
      ops: 0, faultsInjected: {}, simulatedMs: 0, linearizability: 'unknown', snapshotsInstalled: 0, snapshotChunks: 0, configChanges: 0, transfers: 0,
      sessions: false, blindRetries: job.blindRetries === true, resent: 0, sessionsExpired: 0, appliedTwice: 0,
    };
  }
}

/**
 * Runs jobs on worker threads, in order. `stopAfter` may end the search early: once it returns
 * true for a result, no job after that one starts (those before it still finish).
 */
async function runJobs(jobs: readonly Job[], workerCount: number, onResult: (r: FuzzResult, index: number) => boolean): Promise<void> {
  let next = 0;
  let stopAt = jobs.length;
  // Workers cannot start from a .ts file directly; a tiny bootstrap registers tsx first.
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const workers = Array.from({ length: Math.min(workerCount, jobs.length) }, () => new Worker(bootstrap, { eval: true }));
  await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
    let running = -1;
    const feed = () => {
      if (next < Math.min(jobs.length, stopAt)) worker.postMessage(jobs[(running = next++)]);
      else void worker.terminate().then(() => resolve());
    };
    worker.on('message', (result: FuzzResult) => {
      if (onResult(result, running)) stopAt = Math.min(stopAt, running + 1);
      feed();
    });
    worker.on('error', reject);
    feed();
  })));
}

async function sweep(opts: Options): Promise<void> {
  const jobs: Job[] = [];
  for (const nodes of opts.nodes ?? [3]) {
    for (const seed of opts.seeds) jobs.push({ seed, nodes, faults: opts.faults, blindRetries: opts.blindRetries, ...(opts.faultPhaseMs ? { faultPhaseMs: opts.faultPhaseMs } : {}) });
  }
  const started = Date.now();
  const results: FuzzResult[] = [];
  await runJobs(jobs, opts.workers, (result) => {
    results.push(result);
    if (!result.ok) printFailure(result, `npm run fuzz -- --seeds ${result.seed} --nodes ${result.nodes}${result.blindRetries ? ' --blind-retries on' : ''}`);
    if (results.length % 100 === 0) process.stderr.write(`  ${results.length}/${jobs.length} runs\n`);
    return false;
  });
  printSummary(results, opts.faults, (Date.now() - started) / 1000);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

interface Catch { bug: ZooBug; result: FuzzResult | null; searched: number; seconds: number }

/** Runs one bug's mix seed after seed until a run fails. */
async function hunt(bug: ZooBug, opts: Options): Promise<Catch> {
  const started = Date.now();
  const jobs = opts.seeds.map((seed) => {
    const job = zooFuzzOptions(bug, seed, true);
    return opts.nodes ? { ...job, nodes: opts.nodes[0]! } : job;
  });
  const results = new Map<number, FuzzResult>();
  await runJobs(jobs, opts.workers, (result, index) => {
    results.set(index, result);
    return !result.ok;
  });
  const ordered = [...results.entries()].sort(([a], [b]) => a - b);
  const firstFailing = ordered.find(([, r]) => !r.ok);
  return {
    bug,
    result: firstFailing?.[1] ?? null,
    searched: firstFailing ? firstFailing[0] + 1 : ordered.length,
    seconds: (Date.now() - started) / 1000,
  };
}

function replayCommand(bug: ZooBug, r: FuzzResult): string {
  const nodes = r.nodes === bug.fuzz.nodes ? '' : ` --nodes ${r.nodes}`;
  return `npm run fuzz -- --unsafe ${bug.name} --seeds ${r.seed}${nodes}`;
}

async function huntBugs(opts: Options): Promise<void> {
  const bugs = opts.unsafe === 'all' ? bugZoo : [zooBug(opts.unsafe!)!];
  const catches: Catch[] = [];
  for (const bug of bugs) {
    console.log(`${bug.name}: breaks "${bug.rule}"; searching seeds ${opts.seeds[0]}-${opts.seeds[opts.seeds.length - 1]}${bug.mixNote ? ` (mix: ${bug.mixNote})` : ''}`);
    const c = await hunt(bug, opts);
    catches.push(c);
    if (c.result) {
      const failures = c.result.failures.map((f) => f.split('\n')[0]).join(' | ');
      console.log(`  caught after ${c.searched} seed(s), at seed ${c.result.seed} (${c.result.nodes} nodes, ${c.seconds.toFixed(0)} s): ${failures}`);
      console.log(`  replay: ${replayCommand(bug, c.result)}`);
    } else {
      console.log(`  NOT caught in ${c.searched} seeds (${c.seconds.toFixed(0)} s)`);
    }
  }
  if (catches.length > 1) {
    console.table(catches.map((c) => ({ option: c.bug.name, 'seeds to catch': c.result ? c.searched : `> ${c.searched}`, 'failing seed': c.result?.seed ?? '-', nodes: c.bug.fuzz.nodes })));
  }
  process.exitCode = catches.every((c) => c.result) ? 0 : 1;
}

function printFailure(r: FuzzResult, replay: string): void {
  console.log(`FAIL seed ${r.seed} nodes ${r.nodes}: ${r.failures.join(' | ')}`);
  console.log(`  replay: ${replay}`);
}

function printSummary(results: FuzzResult[], faults: readonly string[], seconds: number): void {
  const rows = [...new Set(results.map((r) => r.nodes))].sort().map((nodes) => {
    const rs = results.filter((r) => r.nodes === nodes);
    const violations = rs.filter((r) => r.failures.some((f) => failureKind(f) === 'safety')).length;
    return {
      nodes,
      runs: rs.length,
      passed: rs.filter((r) => r.ok).length,
      'invariant violations': violations,
      'not linearizable': rs.filter((r) => r.linearizability === 'not_linearizable').length,
      'applied twice': rs.filter((r) => r.appliedTwice > 0).length,
      'lin. unknown': rs.filter((r) => r.linearizability === 'unknown').length,
      'no progress': rs.filter((r) => r.failures.some((f) => f.startsWith('no '))).length,
      'client ops': rs.reduce((s, r) => s + r.ops, 0),
      'session runs': rs.filter((r) => r.sessions).length,
      'writes resent': rs.reduce((s, r) => s + r.resent, 0),
      'sessions expired': rs.reduce((s, r) => s + r.sessionsExpired, 0),
      faults: rs.reduce((s, r) => s + Object.values(r.faultsInjected).reduce((a, b) => a + b, 0), 0),
      'snapshots installed': rs.reduce((s, r) => s + r.snapshotsInstalled, 0),
      'snapshot chunks': rs.reduce((s, r) => s + r.snapshotChunks, 0),
      'config changes': rs.reduce((s, r) => s + r.configChanges, 0),
      transfers: rs.reduce((s, r) => s + r.transfers, 0),
    };
  });
  console.log(`\nfuzz summary (${results.length} runs in ${seconds.toFixed(0)} s; faults: ${faults.join(', ')})`);
  console.table(rows);
  const failing = results.filter((r) => !r.ok);
  console.log(failing.length === 0 ? 'all runs passed' : `${failing.length} failing: ${failing.map((r) => `${r.seed}/${r.nodes}`).join(' ')}`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.unsafe) await huntBugs(opts);
  else await sweep(opts);
}

if (isMainThread) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  });
} else {
  parentPort!.on('message', (job: Job) => parentPort!.postMessage(runJob(job)));
}
