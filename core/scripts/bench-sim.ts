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
}

const cases: Row[] = [
  { case: 'acceptance: 5 nodes, 100 writes/s', nodes: 5, writesPerSec: 100, invariants: true },
  { case: '5 nodes, 100 writes/s, no invariant checks', nodes: 5, writesPerSec: 100, invariants: false },
  { case: '3 nodes, 100 writes/s', nodes: 3, writesPerSec: 100, invariants: true },
  { case: '5 nodes, 1000 writes/s', nodes: 5, writesPerSec: 1000, invariants: true },
  { case: '7 nodes, 100 writes/s', nodes: 7, writesPerSec: 100, invariants: true },
];

const simulatedSeconds = Number(process.env.BENCH_SIM_SECONDS ?? 120);

function run(row: Row) {
  const sim = new Simulation({
    seed: 1,
    nodeCount: row.nodes,
    checkInvariants: row.invariants,
    network: { latencyMinMs: 8, latencyMaxMs: 12 },
  });
  sim.runFor(3_000); // elect a leader before timing
  const interval = 1000 / row.writesPerSec;
  const startSim = sim.now;
  const startSteps = sim.steps;
  const started = process.hrtime.bigint();
  let sent = 0;
  const ids: number[] = [];
  while (sim.now - startSim < simulatedSeconds * 1000) {
    const leader = sim.leader() ?? sim.nodeIds[0]!;
    ids.push(sim.submit({ clientId: 'bench', node: leader, op: 'put', key: `k${sent % 100}`, value: `v${sent}`, record: false }));
    sent++;
    sim.runFor(interval);
  }
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const ok = ids.filter((id) => sim.request(id)?.response?.status === 200).length;
  const simSeconds = (sim.now - startSim) / 1000;
  return {
    case: row.case,
    'simulated s': simSeconds.toFixed(0),
    'wall s': wallSeconds.toFixed(2),
    'x real time': Math.round(simSeconds / wallSeconds),
    'events/s': Math.round((sim.steps - startSteps) / wallSeconds),
    'writes ok': `${ok}/${sent}`,
    violations: sim.violations.length,
  };
}

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
    `Each case: ${simulatedSeconds} simulated seconds of open-loop writes to the leader, ~10 ms message latency.\n\n${table}\n`,
);
console.log('written to core/bench/sim-results.md');
