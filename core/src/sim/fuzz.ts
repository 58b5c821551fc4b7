/**
 * One randomized run: clients work while a seeded schedule of faults hits the cluster (crashes,
 * leader kills, restarts, isolation, majority/minority and one-way partitions, loss, duplication,
 * long reordering, torn writes); then everything heals and a write must commit within a bound.
 * Most runs' clients use sessions (resending unanswered writes, some sessions expiring) and
 * compare-and-swap. The run fails on any invariant violation, a non-linearizable history, a
 * value applied at two indexes (a write applied twice), no progress after healing, or nodes that
 * disagree at the end. Everything derives from the seed, so a failure replays exactly.
 */
import { checkLinearizability } from '../check/linearizability';
import type { UnsafeOptions } from '../config';
import { Prng } from '../prng';
import { changedState } from '../kv';
import type { NodeId } from '../types';
import type { SimAction } from './simulation';
import { Simulation } from './simulation';
import { ClientWorkload, defaultWorkload } from './workload';

export const faultTypes = [
  'crash', 'crashLeader', 'restart', 'isolate', 'partition', 'oneWay', 'cutLink', 'heal',
  'loss', 'duplicate', 'reorder', 'calm',
] as const;
export type FaultType = (typeof faultTypes)[number];

/** How often each fault is picked, relative to the others; heals and restarts keep the cluster alive. */
const faultWeights: Record<FaultType, number> = {
  crash: 2, crashLeader: 2, restart: 4, isolate: 2, partition: 2, oneWay: 2, cutLink: 1, heal: 4,
  loss: 1, duplicate: 1, reorder: 1, calm: 2,
};

export interface FuzzOptions {
  seed: number;
  nodes: number;
  /** Length of the faulty phase in simulated ms. */
  faultPhaseMs: number;
  /** Mean time between faults. */
  faultIntervalMs: number;
  /** After healing, a write must commit within this. */
  progressBoundMs: number;
  faults: readonly FaultType[];
  /** Remove a safety rule, to show that the checks catch what it prevents. */
  unsafe?: UnsafeOptions;
  /** Clients read without ReadIndex (stale reads recorded as if linearizable), to show the checker fails. */
  staleReads?: boolean;
  /** Clients use sessions (default: three runs in four, by the seed). */
  sessions?: boolean;
  /** Clients resend unanswered writes without a session, to show that a write applied twice is caught. */
  blindRetries?: boolean;
}

export const defaultFuzzOptions: Omit<FuzzOptions, 'seed' | 'nodes'> = {
  faultPhaseMs: 20_000,
  faultIntervalMs: 700,
  progressBoundMs: 10_000,
  faults: faultTypes,
};

export interface FuzzResult {
  seed: number;
  nodes: number;
  ok: boolean;
  failures: string[];
  ops: number;
  faultsInjected: Record<string, number>;
  simulatedMs: number;
  linearizability: 'linearizable' | 'not_linearizable' | 'unknown';
  /** Snapshots installed by followers in the run, and snapshot chunks they received. */
  snapshotsInstalled: number;
  snapshotChunks: number;
  /** Whether the clients used sessions (or resent blindly); writes they resent; sessions that expired under them. */
  sessions: boolean;
  blindRetries: boolean;
  resent: number;
  sessionsExpired: number;
  /** Writes applied at more than one index (each a failure). */
  appliedTwice: number;
}

export function runFuzz(input: Pick<FuzzOptions, 'seed' | 'nodes'> & Partial<FuzzOptions>): FuzzResult {
  const options: FuzzOptions = { ...defaultFuzzOptions, ...input };
  const prng = new Prng(options.seed * 7919 + options.nodes);
  const sim = new Simulation({
    seed: options.seed,
    nodeCount: options.nodes,
    tornWriteRate: 0.5,
    diskLatencyMinMs: 0.5,
    diskLatencyMaxMs: 4,
    snapshotThreshold: prng.pick([10, 50, 200]),
    // Snapshots travel in chunks: one pair per chunk (1 byte), a few pairs, or all in one.
    snapshotChunkBytes: prng.pick([1, 24, 4096]),
    raft: { unsafe: options.unsafe ?? {}, snapshotChunksInflightMax: prng.pick([1, 4]) },
    // Usually longer than any fault; sometimes short enough that sessions expire during one.
    sessionTimeoutMs: prng.pick([60_000, 60_000, 1_500]),
  });
  const snapshots = { installed: 0, chunks: 0 };
  sim.subscribe(({ event }) => {
    if (event.type === 'snapshotInstalled') snapshots.installed++;
    else if (event.type === 'snapshotChunkReceived') snapshots.chunks++;
  });
  const appliedAt = exactlyOnceCheck(sim);
  const drawn = prng.chance(0.75);
  const sessions = options.blindRetries !== true && (options.sessions ?? drawn);
  const workload = new ClientWorkload(sim, prng.fork(), {
    ...defaultWorkload, clients: 3 + prng.int(0, 3), staleReads: options.staleReads === true, sessions, blindRetries: options.blindRetries === true,
  });
  const faultsInjected: Record<string, number> = {};
  let nextFaultAt = prng.int(200, 2 * options.faultIntervalMs);
  while (sim.now < options.faultPhaseMs) {
    sim.runFor(5);
    workload.pump();
    if (sim.now >= nextFaultAt) {
      const fault = pickFault(prng, options.faults);
      const action = faultAction(sim, prng, fault);
      if (action) {
        sim.act(action);
        faultsInjected[fault] = (faultsInjected[fault] ?? 0) + 1;
      }
      nextFaultAt = sim.now + prng.int(options.faultIntervalMs / 4, options.faultIntervalMs * 2);
    }
  }
  const failures = healAndCheck(sim, workload, options);
  workload.stop();
  const history = [...sim.history, ...workload.history];
  const lin = checkLinearizability(history);
  if (lin.verdict === 'not_linearizable') failures.push(`history not linearizable: ${lin.failure?.explanation}`);
  for (const v of sim.violations.slice(0, 5)) failures.push(`${v.property} at ${v.at.toFixed(1)} ms on ${v.node}: ${v.message}`);
  for (const twice of appliedAt.twice.slice(0, 3)) failures.push(`exactly-once: a write applied twice: ${twice}`);
  return {
    seed: options.seed, nodes: options.nodes, ok: failures.length === 0, failures, ops: history.length,
    faultsInjected, simulatedMs: sim.now, linearizability: lin.verdict, snapshotsInstalled: snapshots.installed, snapshotChunks: snapshots.chunks,
    sessions, blindRetries: options.blindRetries === true, resent: workload.counts.resent, sessionsExpired: workload.counts.sessionsExpired, appliedTwice: appliedAt.twice.length,
  };
}

/**
 * Every written value is unique, so a value that changes the map at two different indexes is a
 * write applied twice (a resent request that was not recognized). Every node applies the same
 * entries, so one map serves them all.
 */
function exactlyOnceCheck(sim: Simulation): { twice: string[] } {
  const indexOf = new Map<string, number>();
  const reported = new Set<string>();
  const twice: string[] = [];
  sim.subscribeApplied((node, entry, applied) => {
    const c = entry.command;
    if ((c.op !== 'set' && c.op !== 'cas') || !changedState(applied)) return;
    const first = indexOf.get(c.value);
    if (first === undefined) return void indexOf.set(c.value, entry.index);
    if (first === entry.index || reported.has(`${c.value}@${entry.index}`)) return;
    reported.add(`${c.value}@${entry.index}`);
    twice.push(`${JSON.stringify(c.value)} at ${first} and again at ${entry.index} (first seen on ${node})`);
  });
  return { twice };
}

/** Ends the faults, lets in-flight requests finish, then requires progress and agreement. */
function healAndCheck(sim: Simulation, workload: ClientWorkload, options: FuzzOptions): string[] {
  const failures: string[] = [];
  sim.act({ type: 'healAll' });
  sim.act({ type: 'setNetwork', network: { lossRate: 0, duplicateRate: 0, reorderRate: 0 } });
  for (const id of sim.nodeIds) sim.act({ type: 'restart', node: id });
  const healedAt = sim.now;
  // Requests already sent get their answers (or time out) while the cluster settles.
  for (let t = 0; t < 3_000; t += 5) {
    sim.runFor(5);
    workload.pump();
  }
  if (!commitsWithin(sim, healedAt + options.progressBoundMs)) {
    failures.push(`no write committed within ${options.progressBoundMs} ms after healing`);
    return failures;
  }
  const agreed = sim.runUntil(() => nodesAgree(sim), 10_000);
  if (!agreed) failures.push(`nodes disagree after healing: ${describeNodes(sim)}`);
  return failures;
}

function commitsWithin(sim: Simulation, deadline: number): boolean {
  while (sim.now < deadline) {
    const leader = sim.leader();
    if (leader) {
      const id = sim.act({ type: 'client', request: { clientId: 'final', node: leader, op: 'put', key: 'final', value: `v${sim.now}` } })!;
      sim.runUntil(() => sim.request(id)!.repliedAt !== null, deadline - sim.now);
      if (sim.request(id)!.response?.status === 200) return true;
    } else {
      sim.runFor(50);
    }
  }
  return false;
}

function nodesAgree(sim: Simulation): boolean {
  const views = sim.nodeIds.map((id) => sim.view(id));
  const first = views[0]!;
  if (!views.every((v) => v.up && v.lastApplied === first.lastApplied && v.commitIndex === first.commitIndex && v.lastApplied === v.commitIndex)) return false;
  const state = JSON.stringify(sim.node(first.id).kv.entries());
  return sim.nodeIds.every((id) => JSON.stringify(sim.node(id).kv.entries()) === state);
}

function describeNodes(sim: Simulation): string {
  return sim.nodeIds.map((id) => {
    const v = sim.view(id);
    return `${id}(${v.role} t${v.term} commit ${v.commitIndex} applied ${v.lastApplied})`;
  }).join(' ');
}

function pickFault(prng: Prng, allowed: readonly FaultType[]): FaultType {
  const total = allowed.reduce((sum, f) => sum + faultWeights[f], 0);
  let r = prng.next() * total;
  for (const f of allowed) {
    r -= faultWeights[f];
    if (r < 0) return f;
  }
  return allowed[allowed.length - 1]!;
}

function faultAction(sim: Simulation, prng: Prng, fault: FaultType): SimAction | null {
  const ids = sim.nodeIds;
  const up = ids.filter((id) => sim.node(id).up);
  const down = ids.filter((id) => !sim.node(id).up);
  switch (fault) {
    case 'crash': return up.length ? { type: 'crash', node: prng.pick(up) } : null;
    case 'crashLeader': {
      const leader = sim.leader();
      return leader ? { type: 'crash', node: leader } : null;
    }
    case 'restart': return down.length ? { type: 'restart', node: prng.pick(down) } : null;
    case 'isolate': return { type: 'isolate', node: prng.pick(ids) };
    case 'partition': return { type: 'partition', groups: randomSplit(prng, ids) };
    case 'oneWay': {
      const [from, to] = twoDistinct(prng, ids);
      return from ? { type: 'cut', from, to: to!, bothWays: false } : null;
    }
    case 'cutLink': {
      const [from, to] = twoDistinct(prng, ids);
      return from ? { type: 'cut', from, to: to!, bothWays: true } : null;
    }
    case 'heal': return { type: 'healAll' };
    case 'loss': return { type: 'setNetwork', network: { lossRate: prng.next() * 0.3 } };
    case 'duplicate': return { type: 'setNetwork', network: { duplicateRate: prng.next() * 0.2 } };
    case 'reorder': return { type: 'setNetwork', network: { reorderRate: prng.next() * 0.3, reorderDelayMaxMs: prng.int(100, 3_000) } };
    case 'calm': return { type: 'setNetwork', network: { lossRate: 0, duplicateRate: 0, reorderRate: 0 } };
  }
}

function randomSplit(prng: Prng, ids: readonly NodeId[]): NodeId[][] {
  const shuffled = [...ids];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  const cut = prng.int(1, ids.length - 1);
  return [shuffled.slice(0, cut), shuffled.slice(cut)];
}

function twoDistinct(prng: Prng, ids: readonly NodeId[]): [NodeId | undefined, NodeId | undefined] {
  if (ids.length < 2) return [undefined, undefined];
  const from = prng.pick(ids);
  return [from, prng.pick(ids.filter((id) => id !== from))];
}
