/**
 * npm run bench:sim — how much faster than real time the simulator runs a cluster under steady
 * client load (invariant checks on unless the row says otherwise). Prints a table and writes it to
 * core/bench/sim-results.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { Simulation } from '../src/sim/index';

interface Row {
  case: string;
  nodes: number;
  writesPerSec: number;
  invariants: boolean;
  /** Decision traces on, with the playground's event log (600): what its simulation pays for the pseudocode view. */
  traced?: boolean;
}

const cases: Row[] = [
  { case: 'acceptance: 5 nodes, 100 writes/s', nodes: 5, writesPerSec: 100, invariants: true },
  { case: '5 nodes, 100 writes/s, no invariant checks', nodes: 5, writesPerSec: 100, invariants: false },
  { case: '3 nodes, 100 writes/s', nodes: 3, writesPerSec: 100, invariants: true },
  { case: '5 nodes, 1000 writes/s', nodes: 5, writesPerSec: 1000, invariants: true },
  { case: '7 nodes, 100 writes/s', nodes: 7, writesPerSec: 100, invariants: true },
  { case: '5 nodes, 100 writes/s, decision traces on (playground)', nodes: 5, writesPerSec: 100, invariants: true, traced: true },
];

const simulatedSeconds = Number(process.env.BENCH_SIM_SECONDS ?? 60);

interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  steps: number;
  ok: number;
  sent: number;
  violations: number;
}

function measure(row: Row, seconds: number): Measurement {
  const sim = new Simulation({
    seed: 1,
    nodeCount: row.nodes,
    checkInvariants: row.invariants,
    network: { latencyMinMs: 8, latencyMaxMs: 12 },
    ...(row.traced ? { eventLogMax: 600, raft: { traceDecisions: true } } : {}),
  });
  sim.runFor(3_000); // elect a leader before timing
  let ok = 0;
  sim.subscribe(({ event }) => {
    if (event.type === 'clientReplied' && event.status === 200) ok++;
  });
  const interval = 1000 / row.writesPerSec;
  const startSim = sim.now;
  const startSteps = sim.steps;
  const startCpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  let sent = 0;
  while (sim.now - startSim < seconds * 1000) {
    const leader = sim.leader() ?? sim.nodeIds[0]!;
    sim.submit({ clientId: 'bench', node: leader, op: 'put', key: `k${sent % 100}`, value: `v${sent}`, record: false });
    sent++;
    sim.runFor(interval);
  }
  sim.runFor(100); // let the last answers arrive
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(startCpu);
  return { wallSeconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, steps: sim.steps - startSteps, ok, sent, violations: sim.violations.length };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const runs = Number(process.env.BENCH_SIM_RUNS ?? 3);

/** Each case runs `runs` times; the table shows medians (other work on the machine only slows runs down). */
function run(row: Row) {
  const ms = Array.from({ length: runs }, () => measure(row, simulatedSeconds));
  const last = ms[ms.length - 1]!;
  return {
    case: row.case,
    'simulated s': simulatedSeconds,
    'x real time': Math.round(median(ms.map((m) => simulatedSeconds / m.wallSeconds))),
    'x real time (CPU)': Math.round(median(ms.map((m) => simulatedSeconds / m.cpuSeconds))),
    'events/s': Math.round(median(ms.map((m) => m.steps / m.wallSeconds))),
    'writes ok': `${last.ok}/${last.sent}`,
    violations: last.violations,
  };
}

// Warm the JIT up first, so that the first case is not charged for compiling the simulator.
measure(cases[0]!, 30);
const results = cases.map(run);
console.table(results);
const header = Object.keys(results[0]!);
const table = [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...results.map((r) => `| ${Object.values(r).join(' | ')} |`),
].join('\n');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
writeFileSync(
  new URL('../bench/sim-results.md', import.meta.url),
  `# Simulator benchmark\n\n\`npm run bench:sim\` on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${os.cpus().length} x ${cpu}.\n` +
    `Each case: ${simulatedSeconds} simulated seconds of open-loop writes to the leader, ~10 ms message latency, after a\n` +
    `30-simulated-second warm-up of the JIT; median of ${runs} runs. "x real time" is simulated seconds per wall-clock\n` +
    `second; "(CPU)" divides by the process's CPU time instead, which other load on the machine disturbs less.\n` +
    `Load average when the run ended: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}.\n\n${table}\n`,
);
console.log('written to core/bench/sim-results.md');
