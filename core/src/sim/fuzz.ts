/**
 * One randomized run: clients work while a seeded schedule of faults hits the cluster (crashes,
 * leader kills, restarts, isolation, majority/minority and one-way partitions, loss, duplication,
 * long reordering, slow links, torn writes, failpoints); then everything heals, a write must commit
 * within a bound and a crashed leader must be replaced by a stable one. Most runs' clients use
 * sessions (resending unanswered writes, some sessions expiring) and compare-and-swap. The run
 * fails on any invariant violation or failed assertion, a non-linearizable history, a value
 * applied at two indexes (a write applied twice), no progress after healing, or nodes that
 * disagree at the end. Everything derives from the seed, so a failure replays exactly.
 */
import { AssertionError } from '../assert';
import { checkLinearizability } from '../check/linearizability';
import type { UnsafeOptions } from '../config';
import { Prng } from '../prng';
import { changedState } from '../kv';
import type { ConfigChange, Configuration, NodeId } from '../types';
import type { SimConfigInput } from './config';
import type { Failpoint } from './failpoints';
import { Failpoints } from './failpoints';
import type { ClientRequestInput, SimAction } from './simulation';
import { Simulation } from './simulation';
import { ClientWorkload, defaultWorkload } from './workload';

export const faultTypes = [
  'crash', 'crashLeader', 'restart', 'isolate', 'partition', 'oneWay', 'cutLink', 'heal',
  'loss', 'duplicate', 'reorder', 'calm', 'slowLink', 'pause', 'crashAfterVote', 'crashAfterAppend', 'isolateNewLeader',
  'reconfigureOnElection',
  // Membership: a new server in (as a learner), a learner promoted, a member out (the leader too),
  // leadership handed to another voter. Together they replace servers, grow and shrink the cluster.
  'addServer', 'promote', 'removeServer', 'transfer',
] as const;
export type FaultType = (typeof faultTypes)[number];

/** How often each fault is picked, relative to the others; heals and restarts keep the cluster alive. */
const faultWeights: Record<FaultType, number> = {
  crash: 2, crashLeader: 2, restart: 4, isolate: 2, partition: 2, oneWay: 2, cutLink: 1, heal: 4,
  loss: 1, duplicate: 1, reorder: 1, calm: 2, slowLink: 1, pause: 1, crashAfterVote: 1, crashAfterAppend: 1, isolateNewLeader: 1,
  reconfigureOnElection: 1, addServer: 1, promote: 1, removeServer: 1, transfer: 1,
};

/** Faults that arm a failpoint (see failpoints.ts) rather than act at once: on a random live node, or on any node. */
const failpointFaults: Partial<Record<FaultType, Omit<Failpoint, 'node'> & { anyNode: boolean }>> = {
  crashAfterVote: { on: 'voteGranted', then: 'crash', anyNode: false },
  crashAfterAppend: { on: 'appendAccepted', then: 'crash', anyNode: false },
  isolateNewLeader: { on: 'electionWon', then: 'isolate', anyNode: true },
  reconfigureOnElection: { on: 'electionWon', then: 'reconfigure', anyNode: true },
};

export interface FuzzOptions {
  seed: number;
  nodes: number;
  /** Length of the faulty phase in simulated ms. */
  faultPhaseMs: number;
  /** Mean time between faults. */
  faultIntervalMs: number;
  /** After healing, a write must commit within this (and a new leader be elected within it after a crash). */
  progressBoundMs: number;
  /** After healing: how many times the leader is crashed, each time to be replaced by a leader that keeps its term. */
  failovers: number;
  faults: readonly FaultType[];
  /** How often each fault is picked, over the default weights (a bug may need more of one fault). */
  faultWeights?: Partial<Record<FaultType, number>>;
  /** Cluster settings over the run's own (a bug may need small batches, classic elections or a slow disk). */
  cluster?: FuzzCluster;
  /** Remove a safety rule, to show that the checks catch what it prevents. */
  unsafe?: UnsafeOptions;
  /** Clients read without ReadIndex (stale reads recorded as if linearizable), to show the checker fails. */
  staleReads?: boolean;
  /** Clients use sessions (default: three runs in four, by the seed). */
  sessions?: boolean;
  /** Clients resend unanswered writes without a session, to show that a write applied twice is caught. */
  blindRetries?: boolean;
}

export type FuzzCluster = Pick<SimConfigInput, 'diskLatencyMinMs' | 'diskLatencyMaxMs' | 'snapshotThreshold'> & {
  raft?: Omit<NonNullable<SimConfigInput['raft']>, 'unsafe'>;
};

export const defaultFuzzOptions: Omit<FuzzOptions, 'seed' | 'nodes'> = {
  faultPhaseMs: 20_000,
  faultIntervalMs: 700,
  progressBoundMs: 10_000,
  failovers: 1,
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
  /** Membership changes that committed, and leadership transfers that completed. */
  configChanges: number;
  transfers: number;
  /** Whether the clients used sessions (or resent blindly); writes they resent; sessions that expired under them. */
  sessions: boolean;
  blindRetries: boolean;
  resent: number;
  sessionsExpired: number;
  /** Writes applied at more than one index (each a failure). */
  appliedTwice: number;
}

/**
 * What a failure broke: a safety invariant (invariants.ts, or a node's own assertion), linearizability
 * of the client history (or exactly-once), or progress (no write after healing, no stable leader after a leader crash, nodes that never agree).
 */
export type FailureKind = 'safety' | 'linearizability' | 'progress';

export function failureKind(failure: string): FailureKind {
  if (/^(election_safety|log_matching|leader_completeness|state_machine_safety|commit_regressed|apply_order|match_index|assertion_failed)\b/.test(failure)) return 'safety';
  if (failure.startsWith('history not linearizable') || failure.startsWith('exactly-once')) return 'linearizability';
  return 'progress';
}

export function runFuzz(input: Pick<FuzzOptions, 'seed' | 'nodes'> & Partial<FuzzOptions>): FuzzResult {
  const options: FuzzOptions = { ...defaultFuzzOptions, ...input };
  const prng = new Prng(options.seed * 7919 + options.nodes);
  const { raft, ...cluster } = options.cluster ?? {};
  const sim = new Simulation({
    seed: options.seed,
    nodeCount: options.nodes,
    tornWriteRate: 0.5,
    diskLatencyMinMs: 0.5,
    diskLatencyMaxMs: 4,
    snapshotThreshold: prng.pick([10, 50, 200]),
    // Snapshots travel in chunks: one pair per chunk (1 byte), a few pairs, or all in one.
    snapshotChunkBytes: prng.pick([1, 24, 4096]),
    raft: { snapshotChunksInflightMax: prng.pick([1, 4]), ...raft, unsafe: options.unsafe ?? {} },
    // Usually longer than any fault; sometimes short enough that sessions expire during one.
    sessionTimeoutMs: prng.pick([60_000, 60_000, 1_500]),
    ...cluster,
  });
  const snapshots = { installed: 0, chunks: 0 };
  const admin = { configChanges: 0, transfers: 0 };
  sim.subscribe(({ event }) => {
    if (event.type === 'snapshotInstalled') snapshots.installed++;
    else if (event.type === 'snapshotChunkReceived') snapshots.chunks++;
    else if (event.type === 'clientReplied' && event.status === 200 && event.op === 'config') admin.configChanges++;
    else if (event.type === 'clientReplied' && event.status === 200 && event.op === 'transfer') admin.transfers++;
  });
  const appliedAt = exactlyOnceCheck(sim);
  const drawn = prng.chance(0.75);
  const sessions = options.blindRetries !== true && (options.sessions ?? drawn);
  const workload = new ClientWorkload(sim, prng.fork(), {
    ...defaultWorkload, clients: 3 + prng.int(0, 3), staleReads: options.staleReads === true, sessions, blindRetries: options.blindRetries === true,
  });
  const faultsInjected: Record<string, number> = {};
  let failures: string[];
  try {
    runFaultPhase(sim, workload, prng, options, faultsInjected);
    failures = healAndCheck(sim, workload, options);
  } catch (error) {
    // A node's own assertion failed: what it received contradicts what it holds (as when a bug lets
    // a follower acknowledge entries its leader never had). The run stops there, and fails.
    if (!(error instanceof AssertionError)) throw error;
    failures = [`assertion_failed at ${sim.now.toFixed(1)} ms: ${error.message}`];
  }
  workload.stop();
  const history = [...sim.history, ...workload.history];
  const lin = checkLinearizability(history);
  if (lin.verdict === 'not_linearizable') failures.push(`history not linearizable: ${lin.failure?.explanation}`);
  for (const v of sim.violations.slice(0, 5)) failures.push(`${v.property} at ${v.at.toFixed(1)} ms on ${v.node}: ${v.message}`);
  for (const twice of appliedAt.twice.slice(0, 3)) failures.push(`exactly-once: a write applied twice: ${twice}`);
  return {
    seed: options.seed, nodes: options.nodes, ok: failures.length === 0, failures, ops: history.length,
    faultsInjected, simulatedMs: sim.now, linearizability: lin.verdict, snapshotsInstalled: snapshots.installed, snapshotChunks: snapshots.chunks,
    configChanges: admin.configChanges, transfers: admin.transfers,
    sessions, blindRetries: options.blindRetries === true, resent: workload.counts.resent, sessionsExpired: workload.counts.sessionsExpired, appliedTwice: appliedAt.twice.length,
  };
}

/** Clients work while faults hit the cluster, until the end of the fault phase. */
function runFaultPhase(sim: Simulation, workload: ClientWorkload, prng: Prng, options: FuzzOptions, injected: Record<string, number>): void {
  const failpoints = new Failpoints(sim);
  let nextFaultAt = prng.int(200, 2 * options.faultIntervalMs);
  while (sim.now < options.faultPhaseMs) {
    failpoints.runFor(5);
    workload.pump();
    if (sim.now >= nextFaultAt) {
      const fault = pickFault(prng, options.faults, options.faultWeights);
      if (injectFault(sim, prng, failpoints, fault)) injected[fault] = (injected[fault] ?? 0) + 1;
      nextFaultAt = sim.now + prng.int(options.faultIntervalMs / 4, options.faultIntervalMs * 2);
    }
  }
  failpoints.disarmAll();
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
  // Agreement before the failovers too: a new leader probes every follower afresh, which would
  // hide a follower that the current leader wrongly believes up to date.
  if (!sim.runUntil(() => nodesAgree(sim), 10_000)) return [`nodes disagree after healing: ${describeNodes(sim)}`];
  for (let i = 0; i < options.failovers; i++) {
    const failure = checkFailover(sim, options.progressBoundMs);
    if (failure) return [...failures, failure];
  }
  if (!sim.runUntil(() => nodesAgree(sim), 10_000)) failures.push(`nodes disagree after the failovers: ${describeNodes(sim)}`);
  return failures;
}

/** How long a new leader must keep its term in a calm network: several election timeouts. */
const stableLeadershipMs = 3_000;

/**
 * Liveness beyond one write: in a calm network, losing the leader costs one election, and the
 * leader it elects keeps its term (no node disrupts it) while the old one restarts and follows.
 * Returns what went wrong, or null.
 */
function checkFailover(sim: Simulation, boundMs: number): string | null {
  const old = sim.leader();
  if (old === null) return 'no leader before the failover check';
  sim.act({ type: 'crash', node: old });
  if (!sim.runUntil(() => sim.leader() !== null, boundMs)) return `no leader within ${boundMs} ms after the leader ${old} crashed (calm network)`;
  const leader = sim.leader()!;
  const term = sim.node(leader).raft!.term;
  const electedAt = sim.now;
  const disrupted = () => members(sim).some((id) => (sim.node(id).raft?.term ?? 0) > term) || sim.node(leader).raft?.role !== 'leader';
  sim.act({ type: 'restart', node: old });
  if (sim.runUntil(disrupted, stableLeadershipMs)) {
    return `no stable leader after the leader ${old} crashed (calm network): ${leader} led term ${term} for only ${(sim.now - electedAt).toFixed(0)} ms (${describeNodes(sim)})`;
  }
  return null;
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

/** The members of the leader's configuration (servers removed or never added are not held to agree). */
function members(sim: Simulation): readonly NodeId[] {
  const leader = sim.leader();
  if (!leader) return sim.nodeIds;
  const config = sim.node(leader).raft!.configuration;
  return [...config.voters, ...config.learners];
}

function nodesAgree(sim: Simulation): boolean {
  const ids = members(sim);
  const views = ids.map((id) => sim.view(id));
  const first = views[0]!;
  if (!views.every((v) => v.up && v.lastApplied === first.lastApplied && v.commitIndex === first.commitIndex && v.lastApplied === v.commitIndex)) return false;
  const state = JSON.stringify(sim.node(first.id).kv.entries());
  return ids.every((id) => JSON.stringify(sim.node(id).kv.entries()) === state);
}

function describeNodes(sim: Simulation): string {
  return members(sim).map((id) => {
    const v = sim.view(id);
    const voters = sim.node(id).raft?.configuration.voters.join(',') ?? '?';
    return `${id}(${v.role} t${v.term} commit ${v.commitIndex} applied ${v.lastApplied} voters ${voters})`;
  }).join(' ');
}

function pickFault(prng: Prng, allowed: readonly FaultType[], weights: Partial<Record<FaultType, number>> = {}): FaultType {
  const weight = (f: FaultType) => weights[f] ?? faultWeights[f];
  const total = allowed.reduce((sum, f) => sum + weight(f), 0);
  let r = prng.next() * total;
  for (const f of allowed) {
    r -= weight(f);
    if (r < 0) return f;
  }
  return allowed[allowed.length - 1]!;
}

/** Acts out one fault now (or arms its failpoint); false when it had nothing to act on. */
function injectFault(sim: Simulation, prng: Prng, failpoints: Failpoints, fault: FaultType): boolean {
  const failpoint = failpointFaults[fault];
  if (failpoint) {
    const up = sim.nodeIds.filter((id) => sim.node(id).up);
    if (up.length === 0) return false;
    failpoints.arm({ node: failpoint.anyNode ? null : prng.pick(up), on: failpoint.on, then: failpoint.then });
    return true;
  }
  const action = faultAction(sim, prng, fault);
  if (action) sim.act(action);
  return action !== null;
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
    case 'addServer': return addServer(sim);
    case 'promote': return membershipRequest(sim, prng, (config) => config.learners, (node) => ({ type: 'promote', node }));
    // Keep three voters, so the cluster can still lose one to a crash.
    case 'removeServer': return membershipRequest(sim, prng, (config) => (config.voters.length > 3 ? [...config.voters, ...config.learners] : config.learners), (node) => ({ type: 'remove', node }));
    case 'transfer': {
      const leader = sim.leader();
      const voters = leader ? sim.node(leader).raft!.configuration.voters.filter((id) => id !== leader) : [];
      return leader && voters.length > 0 ? adminRequest(leader, { op: 'transfer', target: prng.pick(voters) }) : null;
    }
    case 'pause': return up.length ? { type: 'pause', node: prng.pick(up), ms: prng.int(200, 2_000) } : null;
    case 'slowLink': {
      const [from, to] = twoDistinct(prng, ids);
      return from ? { type: 'slowLink', from, to: to!, ms: prng.int(200, 1_500) } : null;
    }
    default: return null;
  }
}

/** A new, empty server, and a request to the leader to add it as a learner (which may be refused). */
function addServer(sim: Simulation): SimAction | null {
  const leader = sim.leader();
  if (!leader || sim.nodeIds.length >= 9) return null;
  sim.act({ type: 'addNode' });
  return adminRequest(leader, { op: 'config', change: { type: 'addLearner', node: sim.nodeIds[sim.nodeIds.length - 1]! } });
}

function membershipRequest(
  sim: Simulation, prng: Prng, candidates: (config: Configuration) => readonly NodeId[], change: (node: NodeId) => ConfigChange,
): SimAction | null {
  const leader = sim.leader();
  if (!leader) return null;
  const ids = candidates(sim.node(leader).raft!.configuration);
  return ids.length > 0 ? adminRequest(leader, { op: 'config', change: change(prng.pick(ids)) }) : null;
}

function adminRequest(node: NodeId, request: Pick<ClientRequestInput, 'op' | 'change' | 'target'>): SimAction {
  return { type: 'client', request: { clientId: 'admin', node, key: '', record: false, ...request } };
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
