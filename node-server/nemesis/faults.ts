/**
 * The nemesis: on a seeded schedule it breaks the cluster for a while, then heals it, and checks
 * that a write commits within a bound after each heal. Faults: kill a node (SIGKILL, restarted at
 * the heal), kill the leader, isolate a node or the leader, a one-way cut, a majority/minority
 * partition, pause a node or the leader (SIGSTOP for a random while, then SIGCONT), squeeze a
 * node's bandwidth, membership changes and leadership transfers (membership.ts), and (sometimes)
 * two at once.
 *
 * How a cut is made depends on the cluster (Target.setFaults): through each node's fault endpoint
 * (core/src/live.ts: dropTo/dropFrom) on local processes, or as nftables rules in the nodes'
 * network namespaces (--net netns), where squeezes (tc tbf) exist too. Each applied fault records
 * the mechanism used (the request, the kernel rule, the signal), for the report.
 */
import type { LiveFaults, NodeId, Prng } from '@raft-kv/core';
import type { MembershipFaultKind, MembershipPlan, MembershipTarget } from './membership';
import { healMembership, injectMembershipFault, isMembershipFault, membershipFaultKinds } from './membership';

type NetworkFaultKind = 'kill' | 'killLeader' | 'isolate' | 'isolateLeader' | 'oneWay' | 'partition' | 'pause' | 'pauseLeader' | 'squeeze';
export type FaultKind = NetworkFaultKind | MembershipFaultKind;
const networkFaultKinds: readonly NetworkFaultKind[] = ['kill', 'killLeader', 'isolate', 'isolateLeader', 'oneWay', 'partition', 'pause', 'pauseLeader', 'squeeze'];
export const faultKinds: readonly FaultKind[] = [...networkFaultKinds, ...membershipFaultKinds];
/** The default schedule on local processes (pauses and squeezes need a namespaced cluster). */
export const localFaultKinds: readonly FaultKind[] = ['kill', 'killLeader', 'isolate', 'isolateLeader', 'oneWay', 'partition', ...membershipFaultKinds];
/** The default schedule on a namespaced cluster: every network fault (membership faults need local processes). */
export const netnsFaultKinds: readonly FaultKind[] = networkFaultKinds;

/** Rates a squeeze picks from: from a trickle that starves heartbeats to one that only slows writes. */
const squeezeRatesKbit = [32, 128, 512];
/** A pause lasts this long (ms), or less when the fault itself ends sooner: around and well past an election timeout. */
const pauseMs: [number, number] = [300, 6_000];

/** What the nemesis needs from the cluster it attacks. Each action returns how it was done. */
export interface Target {
  nodeIds: readonly NodeId[];
  leader(): Promise<NodeId | null>;
  kill(id: NodeId): Promise<string>;
  restart(id: NodeId): Promise<string>;
  isRunning(id: NodeId): boolean;
  setFaults(id: NodeId, faults: LiveFaults): Promise<string[]>;
  /**
   * Kernel-level faults, present on a namespaced cluster only. (On local processes a paused node
   * could not take its fault endpoint's heal, and there is no link to squeeze.)
   */
  kernel?: {
    pause(id: NodeId): string;
    resume(id: NodeId): string;
    isPaused(id: NodeId): boolean;
    squeeze(id: NodeId, rateKbit: number): Promise<string[]>;
    unsqueeze(id: NodeId): Promise<string[]>;
  };
  /** Membership changes (membership.ts), on local processes only. */
  membership?: MembershipTarget;
}

export interface AppliedFault {
  kind: FaultKind;
  description: string;
  killed: NodeId[];
  cutNodes: NodeId[];
  paused: NodeId[];
  squeezed: NodeId[];
  /** How it was done: requests, kernel rules and signals, in order, healing included. */
  mechanisms: string[];
  /** Ends a pause before the heal (a pause's own length). */
  resumeTimer?: NodeJS.Timeout;
  /** A membership fault's nodes and what its heal must still do. */
  membership?: MembershipPlan;
}

/** The nodes a fault touched (a second fault at the same time picks others where it can). */
export function touched(fault: AppliedFault): NodeId[] {
  return [...fault.killed, ...fault.cutNodes, ...fault.paused, ...fault.squeezed, ...(fault.membership?.nodes ?? [])];
}

/**
 * Applies one fault of `kind`. Nodes in `spare` (those a fault applied together with this one
 * already hit) are not chosen while another node is left, so two faults at once hit two nodes.
 */
export async function injectFault(target: Target, prng: Prng, kind: FaultKind, spare: readonly NodeId[] = []): Promise<AppliedFault> {
  const fresh = target.nodeIds.filter((id) => !spare.includes(id));
  const ids = fresh.length > 0 ? fresh : target.nodeIds;
  const found = await target.leader();
  const leader = found && ids.includes(found) ? found : null;
  const applied: AppliedFault = { kind, description: '', killed: [], cutNodes: [], paused: [], squeezed: [], mechanisms: [] };
  const theLeader = (id: NodeId) => (id === leader ? ' (the leader)' : '');
  const cut = async (id: NodeId, faults: LiveFaults) => {
    applied.mechanisms.push(...(await target.setFaults(id, faults)));
    applied.cutNodes.push(id);
  };
  if (isMembershipFault(kind)) {
    if (!target.membership) throw new Error(`fault ${kind} needs local processes (--net local)`);
    await injectMembershipFault(target.membership, prng, kind, spare, applied);
    return applied;
  }
  switch (kind) {
    case 'kill':
    case 'killLeader': {
      const victim = kind === 'killLeader' && leader ? leader : prng.pick(ids);
      applied.mechanisms.push(await target.kill(victim));
      applied.killed.push(victim);
      applied.description = `SIGKILL ${victim}${theLeader(victim)}`;
      break;
    }
    case 'isolate':
    case 'isolateLeader': {
      const victim = kind === 'isolateLeader' && leader ? leader : prng.pick(ids);
      const others = target.nodeIds.filter((id) => id !== victim);
      await cut(victim, { dropTo: others, dropFrom: others });
      applied.description = `isolate ${victim}${theLeader(victim)}`;
      break;
    }
    case 'oneWay': {
      const from = leader ?? prng.pick(ids);
      const to = prng.pick(target.nodeIds.filter((id) => id !== from));
      await cut(from, { dropTo: [to] });
      applied.description = `cut ${from} -> ${to} (one way)`;
      break;
    }
    case 'partition': {
      const shuffled = shuffle(prng, target.nodeIds);
      const minority = shuffled.slice(0, Math.floor((target.nodeIds.length - 1) / 2) || 1);
      const majority = shuffled.filter((id) => !minority.includes(id));
      for (const id of minority) await cut(id, { dropTo: majority, dropFrom: majority });
      for (const id of majority) await cut(id, { dropTo: minority, dropFrom: minority });
      applied.description = `partition {${minority.join(',')}} | {${majority.join(',')}}`;
      break;
    }
    case 'pause':
    case 'pauseLeader': {
      const kernel = kernelOf(target, kind);
      const victim = kind === 'pauseLeader' && leader ? leader : prng.pick(ids);
      const lengthMs = prng.int(...pauseMs);
      applied.mechanisms.push(`${kernel.pause(victim)} for ${lengthMs} ms (or until the heal)`);
      applied.paused.push(victim);
      applied.resumeTimer = setTimeout(() => resume(target, applied), lengthMs);
      applied.description = `pause ${victim}${theLeader(victim)} for ${lengthMs} ms`;
      break;
    }
    case 'squeeze': {
      const kernel = kernelOf(target, kind);
      const victim = prng.pick(ids);
      const rateKbit = prng.pick(squeezeRatesKbit);
      applied.mechanisms.push(...(await kernel.squeeze(victim, rateKbit)));
      applied.squeezed.push(victim);
      applied.description = `squeeze ${victim}${theLeader(victim)} to ${rateKbit} kbit/s`;
      break;
    }
  }
  return applied;
}

function kernelOf(target: Target, kind: FaultKind): NonNullable<Target['kernel']> {
  if (!target.kernel) throw new Error(`fault ${kind} needs a namespaced cluster (--net netns)`);
  return target.kernel;
}

function resume(target: Target, fault: AppliedFault): void {
  for (const id of fault.paused) if (target.kernel!.isPaused(id)) fault.mechanisms.push(target.kernel!.resume(id));
}

/**
 * Undoes a fault: resumes, heals every cut and squeeze, restarts every killed node; a membership
 * fault finishes what it left (call it after the others' heals: it may need their nodes back).
 */
export async function heal(target: Target, fault: AppliedFault): Promise<void> {
  clearTimeout(fault.resumeTimer);
  if (fault.paused.length > 0) resume(target, fault);
  for (const id of new Set(fault.cutNodes)) if (target.isRunning(id)) fault.mechanisms.push(...(await target.setFaults(id, {})));
  for (const id of fault.squeezed) fault.mechanisms.push(...(await target.kernel!.unsqueeze(id)));
  for (const id of fault.killed) if (!target.isRunning(id)) fault.mechanisms.push(await target.restart(id));
  if (fault.membership) await healMembership(target.membership!, fault);
}

function shuffle<T>(prng: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
