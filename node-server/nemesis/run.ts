/**
 * One nemesis run: a real cluster, concurrent clients, a seeded fault schedule, then a final heal
 * and the checks: the whole history is linearizable, no write was applied twice (the nodes'
 * `[apply]` lines), every node holds the same state, and the cluster committed a write within a
 * bound after every heal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { NodeId } from '@raft-kv/core';
import { Prng } from '@raft-kv/core';
import type { LinearizabilityResult } from '@raft-kv/core/check';
import { checkLinearizability } from '@raft-kv/core/check';
import type { ClientTarget } from './clients';
import type { NemesisNet } from './cluster';
import { NemesisCluster } from './cluster';
import { call, runClients, sleep } from './clients';
import type { ExactlyOnceReport } from './exactly-once';
import { checkExactlyOnce } from './exactly-once';
import type { AppliedFault, FaultKind, Target } from './faults';
import { heal, injectFault, localFaultKinds, touched } from './faults';
import { HistoryRecorder, nowNs } from './history';

export interface NemesisOptions {
  seed: number;
  durationSec: number;
  clients: number;
  nodes: 3 | 5;
  keys: number;
  /** How long a fault lasts, and the calm between faults, in ms ranges. */
  faultMs: [number, number];
  calmMs: [number, number];
  /** After each heal a write must commit within this. */
  progressBoundMs: number;
  faults: readonly FaultKind[];
  /** Local processes with the fault endpoint, or a namespaced cluster with kernel-level faults. */
  net: NemesisNet;
  /** netns only: TLS on both ports of every node. */
  tls?: boolean;
  /** Where history.jsonl and report.{json,md} go. */
  outDir: string;
  /** Extra environment for the nodes (an unsafe flag, for the test that shows the check can fail). */
  nodeEnv?: Record<string, string>;
  /** Ends the fault schedule early (Ctrl-C): the final heal, checks and report still run. */
  stopEarly?: () => boolean;
  log?: (line: string) => void;
}

export interface NemesisReport {
  seed: number;
  nodes: number;
  clients: number;
  durationSec: number;
  net: NemesisNet;
  tls: boolean;
  operations: Record<string, Record<string, number>>;
  /** Each fault with how it was made and undone (requests, nftables rules, tc qdiscs, signals). */
  faults: { at: number; description: string; mechanisms: string[]; healedAfterMs: number; progressAfterMs: number | null }[];
  faultCounts: Record<string, number>;
  linearizability: Pick<LinearizabilityResult, 'verdict' | 'keysChecked' | 'unknownKeys'> & { explanation?: string };
  /** Writes applied (distinct indexes), resends the sessions recognized, values applied twice. */
  exactlyOnce: Omit<ExactlyOnceReport, 'appliedTwice'> & { appliedTwice: number; examples: string[] };
  nodesAgree: boolean;
  /** The members at the end (membership faults change them), and whether each one's configuration says so. */
  members: NodeId[];
  membersAgree: boolean;
  finalState: Record<string, string | null>;
  progressOk: boolean;
  maxProgressAfterHealMs: number | null;
  ok: boolean;
  problems: string[];
}

const token = 'nemesis-token';

export async function runNemesis(options: NemesisOptions): Promise<NemesisReport> {
  const log = options.log ?? (() => {});
  fs.mkdirSync(options.outDir, { recursive: true });
  const cluster = await NemesisCluster.start({
    nodes: options.nodes, outDir: options.outDir, token, net: options.net, tls: options.tls, ...(options.nodeEnv ? { env: options.nodeEnv } : {}), log,
  });
  try {
    return await attack(cluster, options, log);
  } finally {
    await cluster.destroy();
  }
}

async function attack(cluster: NemesisCluster, options: NemesisOptions, log: (line: string) => void): Promise<NemesisReport> {
  const prng = new Prng(options.seed);
  const history = new HistoryRecorder();
  // The clients' list of nodes follows the membership (the cluster changes it in place).
  const nodes: ClientTarget[] = cluster.clientTargets;
  const target = cluster.target();
  await cluster.waitForLeader(25_000);
  const started = nowNs();
  const endAt = Date.now() + options.durationSec * 1000;
  let stop = false;
  const clientOptions = { clients: options.clients, keys: options.keys, requestTimeoutMs: 5_000, thinkMsMax: 20, ...(cluster.agents ? { agents: cluster.agents } : {}) };
  const clients = runClients(nodes, clientOptions, prng.fork(), history, () => stop);
  const faults: NemesisReport['faults'] = [];
  const faultCounts: Record<string, number> = {};
  const over = () => Date.now() >= endAt || (options.stopEarly?.() ?? false);
  while (!over()) {
    await sleep(prng.int(...options.calmMs));
    if (over()) break;
    const applied = await injectFaults(target, prng, options.faults);
    const madeWith = applied.map((f) => f.mechanisms.length);
    const at = (nowNs() - started) / 1e6;
    for (const f of applied) faultCounts[f.kind] = (faultCounts[f.kind] ?? 0) + 1;
    log(`${(at / 1000).toFixed(1)}s  ${applied.map((f) => f.description).join(' + ')}`);
    const lasting = prng.int(...options.faultMs);
    await sleep(lasting);
    // Membership faults heal last: they may need the nodes the other faults took away.
    for (const f of [...applied.filter((f) => !f.membership), ...applied.filter((f) => f.membership)]) await heal(target, f);
    const healedAt = nowNs();
    const progress = await progressAfter(clients.stats.ackTimes, healedAt, options.progressBoundMs);
    log(`         healed after ${lasting} ms; ${progress === null ? 'NO write committed' : `a write committed ${progress.toFixed(0)} ms later`}`);
    // How each fault was made, then how it was undone (a pause's SIGCONT may come before the heal).
    const mechanisms = [...applied.flatMap((f, i) => f.mechanisms.slice(0, madeWith[i])), ...applied.flatMap((f, i) => f.mechanisms.slice(madeWith[i]))];
    for (const m of mechanisms) log(`           ${m}`);
    faults.push({ at, description: applied.map((f) => f.description).join(' + '), mechanisms, healedAfterMs: lasting, progressAfterMs: progress });
  }
  stop = true;
  await clients.done;
  return finish(cluster, options, history, faults, faultCounts, log);
}

/** Usually one fault, sometimes two at once, on different nodes where the kinds allow it. */
async function injectFaults(target: Target, prng: Prng, kinds: readonly FaultKind[]): Promise<AppliedFault[]> {
  const count = prng.chance(0.2) ? 2 : 1;
  const applied: AppliedFault[] = [];
  for (let i = 0; i < count; i++) {
    const hit = applied.flatMap(touched);
    applied.push(await injectFault(target, prng, prng.pick(kinds), hit));
  }
  return applied;
}

/** Milliseconds from the heal until the next acknowledged write, or null if none came in time. */
async function progressAfter(ackTimes: number[], healedAt: number, boundMs: number): Promise<number | null> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    const first = ackTimes.find((t) => t >= healedAt);
    if (first !== undefined) return (first - healedAt) / 1e6;
    await sleep(50);
  }
  return null;
}

async function finish(
  cluster: NemesisCluster, options: NemesisOptions, history: HistoryRecorder,
  faults: NemesisReport['faults'], faultCounts: Record<string, number>, log: (line: string) => void,
): Promise<NemesisReport> {
  const problems: string[] = [];
  // Heal everything: restart whatever member is down, clear every cut, pause and squeeze, wait for
  // a leader, and take the members from it (removed nodes are not held to agree).
  for (const id of cluster.nodeIds) if (!cluster.isRunning(id)) await cluster.restart(id);
  await cluster.healAll();
  await cluster.waitForLeader(25_000);
  await cluster.refreshMembers();
  const unfinished = faults.filter((f) => f.mechanisms.some((m) => m.startsWith('heal could not finish')));
  if (unfinished.length > 0) problems.push(`${unfinished.length} membership heal(s) could not finish`);
  const membersAgree = await agreedMembership(cluster);
  if (!membersAgree) problems.push('the members do not agree on the membership');
  // Final linearizable reads of every key on every node go into the history too.
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i + 1}`);
  for (const id of cluster.nodeIds) {
    for (const key of keys) await call({ id, kvUrl: cluster.kvUrl(id) }, 'get', key, undefined, 10_000, `final-${id}`, history, cluster.agents);
  }
  const finalState = await agreedState(cluster, keys);
  if (!finalState) problems.push('nodes do not hold the same state after healing');
  history.writeJsonLines(path.join(options.outDir, 'history.jsonl'));
  const lin = checkLinearizability(history.ops);
  if (lin.verdict === 'not_linearizable') problems.push(`history is not linearizable: ${lin.failure?.explanation ?? ''}`);
  if (lin.verdict === 'unknown') problems.push(`linearizability undecided for keys ${lin.unknownKeys.join(', ')}`);
  const once = checkExactlyOnce(path.join(options.outDir, 'logs'));
  if (once.appliedTwice.length > 0) problems.push(`${once.appliedTwice.length} write(s) applied twice: ${once.appliedTwice.slice(0, 3).join('; ')}`);
  const stalled = faults.filter((f) => f.progressAfterMs === null);
  if (stalled.length > 0) problems.push(`no write committed within ${options.progressBoundMs} ms after ${stalled.length} heal(s)`);
  const progress = faults.map((f) => f.progressAfterMs).filter((p): p is number => p !== null);
  const report: NemesisReport = {
    seed: options.seed, nodes: options.nodes, clients: options.clients, durationSec: options.durationSec, net: options.net, tls: options.tls ?? false,
    operations: countOperations(history), faults, faultCounts,
    linearizability: { verdict: lin.verdict, keysChecked: lin.keysChecked, unknownKeys: lin.unknownKeys, ...(lin.failure ? { explanation: lin.failure.explanation } : {}) },
    exactlyOnce: { applied: once.applied, resendsRecognized: once.resendsRecognized, appliedTwice: once.appliedTwice.length, examples: once.appliedTwice.slice(0, 10) },
    nodesAgree: finalState !== null, members: [...cluster.nodeIds], membersAgree, finalState: finalState ?? {},
    progressOk: stalled.length === 0, maxProgressAfterHealMs: progress.length ? Math.max(...progress) : null,
    ok: problems.length === 0, problems,
  };
  fs.writeFileSync(path.join(options.outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(options.outDir, 'report.md'), renderReport(report));
  log(report.ok ? 'linearizable, nothing lost, nothing applied twice, every heal made progress' : `PROBLEMS: ${problems.join(' | ')}`);
  return report;
}

/**
 * Every member's own configuration (its /cluster/members) names the same voters and learners, and
 * they are the members the leader named (cluster.nodeIds): removed nodes are not asked.
 */
async function agreedMembership(cluster: NemesisCluster): Promise<boolean> {
  const describe = (members: { id: string; role: string }[]) => members.map((m) => `${m.role} ${m.id}`).sort().join(', ');
  const expected = [...cluster.nodeIds].sort().join(',');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const views = await Promise.all(cluster.nodeIds.map((id) => cluster.admin(id, 'GET', '/cluster/members')));
    const members = views.map((v) => (v.status === 200 ? (v.body.members as { id: string; role: string }[]) : null));
    const first = members[0];
    const same = first !== null && first !== undefined && members.every((m) => m !== null && describe(m) === describe(first));
    if (same && first.map((m) => m.id).sort().join(',') === expected) return true;
    await sleep(200);
  }
  return false;
}

/** Once every member applied the same index, each one's local state must be the same. */
async function agreedState(cluster: NemesisCluster, keys: string[]): Promise<Record<string, string | null> | null> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const statuses = await Promise.all(cluster.nodeIds.map((id) => cluster.progress(id)));
    const applied = new Set(statuses.map((s) => s?.lastApplied));
    if (applied.size === 1 && statuses.every((s) => s !== null && s.lastApplied === s.commitIndex)) {
      const states = await Promise.all(cluster.nodeIds.map((id) => localState(cluster, id, keys)));
      const first = JSON.stringify(states[0]);
      if (states.every((s) => JSON.stringify(s) === first)) return states[0]!;
    }
    await sleep(200);
  }
  return null;
}

async function localState(cluster: NemesisCluster, id: NodeId, keys: string[]): Promise<Record<string, string | null>> {
  const state: Record<string, string | null> = {};
  for (const key of keys) state[key] = await cluster.localValue(id, key);
  return state;
}

/** Outcomes per operation, put, get, delete, cas in that order (reports of different runs line up). */
function countOperations(history: HistoryRecorder): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const op of ['put', 'get', 'delete', 'cas']) out[op] = { ok: 0, fail: 0, unknown: 0 };
  for (const op of history.ops) {
    const row = (out[op.op] ??= { ok: 0, fail: 0, unknown: 0 });
    row[op.status] = (row[op.status] ?? 0) + 1;
  }
  return out;
}

export function renderReport(r: NemesisReport): string {
  const ops = Object.entries(r.operations).map(([op, c]) => `| ${op} | ${c.ok} | ${c.fail} | ${c.unknown} |`).join('\n');
  const faults = Object.entries(r.faultCounts).map(([k, n]) => `${k} ${n}`).join(', ');
  const where = r.net === 'netns' ? `network namespaces${r.tls ? ', TLS' : ''}: cuts are nftables rules, pauses SIGSTOP/SIGCONT, squeezes tc tbf` : 'local processes: cuts through each node\'s fault endpoint';
  const cell = (text: string) => text.replace(/\|/g, '\\|');
  const faultRows = r.faults.map((f, i) => `| ${i + 1} | ${(f.at / 1000).toFixed(1)} s | ${cell(f.description)} | ${f.mechanisms.map((m) => `\`${cell(m)}\``).join('<br>')} | ${f.healedAfterMs} | ${f.progressAfterMs?.toFixed(0) ?? 'none'} |`);
  return [
    `# Nemesis run: seed ${r.seed}, ${r.nodes} nodes, ${r.clients} clients, ${r.durationSec} s`,
    '',
    `**Verdict:** ${r.ok ? 'linearizable, nothing lost, nothing applied twice, every heal made progress' : r.problems.join('; ')}`,
    '',
    `- cluster: ${where}`,
    `- linearizability: ${r.linearizability.verdict} (${r.linearizability.keysChecked} keys)`,
    `- exactly once: ${r.exactlyOnce.applied} writes applied, ${r.exactlyOnce.resendsRecognized} resends recognized by their session, ${r.exactlyOnce.appliedTwice} applied twice`,
    `- nodes agree after healing: ${r.nodesAgree ? 'yes' : 'no'}`,
    `- members at the end: ${r.members.join(', ')} (each one's configuration says so: ${r.membersAgree ? 'yes' : 'no'})`,
    `- faults: ${r.faults.length} (${faults}); slowest progress after a heal: ${r.maxProgressAfterHealMs?.toFixed(0) ?? '-'} ms`,
    '',
    '| op | ok | fail | unknown |',
    '|---|---:|---:|---:|',
    ops,
    '',
    '| # | at | fault | how (request, kernel rule, signal; then the heal) | lasted ms | write committed ms after the heal |',
    '|---:|---:|---|---|---:|---:|',
    ...faultRows,
    '',
  ].join('\n');
}

export const defaultNemesisOptions = {
  clients: 8,
  nodes: 3 as const,
  keys: 5,
  faultMs: [2_000, 8_000] as [number, number],
  calmMs: [1_000, 4_000] as [number, number],
  progressBoundMs: 15_000,
  faults: localFaultKinds,
  net: 'local' as NemesisNet,
};
