/**
 * The nemesis: on a seeded schedule it breaks the cluster for a while, then heals it, and checks
 * that a write commits within a bound after each heal. Faults: kill a node (SIGKILL, restarted at
 * the heal), kill the leader, isolate a node or the leader, a one-way cut, a majority/minority
 * partition, and (sometimes) two at once. Partitions go through each node's fault endpoint
 * (core/src/live.ts: dropTo/dropFrom), which the nodes enable for the run.
 */
import type { LiveFaults, NodeId, Prng } from '@raft-kv/core';

export type FaultKind = 'kill' | 'killLeader' | 'isolate' | 'isolateLeader' | 'oneWay' | 'partition';
export const faultKinds: readonly FaultKind[] = ['kill', 'killLeader', 'isolate', 'isolateLeader', 'oneWay', 'partition'];

/** What the nemesis needs from the cluster it attacks. */
export interface Target {
  nodeIds: readonly NodeId[];
  leader(): Promise<NodeId | null>;
  kill(id: NodeId): Promise<void>;
  restart(id: NodeId): Promise<void>;
  isRunning(id: NodeId): boolean;
  setFaults(id: NodeId, faults: LiveFaults): Promise<void>;
}

export interface AppliedFault {
  kind: FaultKind;
  description: string;
  killed: NodeId[];
  cutNodes: NodeId[];
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
  const applied: AppliedFault = { kind, description: '', killed: [], cutNodes: [] };
  const kill = async (id: NodeId) => {
    await target.kill(id);
    applied.killed.push(id);
  };
  const cut = async (id: NodeId, faults: LiveFaults) => {
    await target.setFaults(id, faults);
    applied.cutNodes.push(id);
  };
  switch (kind) {
    case 'kill':
    case 'killLeader': {
      const victim = kind === 'killLeader' && leader ? leader : prng.pick(ids);
      await kill(victim);
      applied.description = `SIGKILL ${victim}${victim === leader ? ' (the leader)' : ''}`;
      break;
    }
    case 'isolate':
    case 'isolateLeader': {
      const victim = kind === 'isolateLeader' && leader ? leader : prng.pick(ids);
      const others = target.nodeIds.filter((id) => id !== victim);
      await cut(victim, { dropTo: others, dropFrom: others });
      applied.description = `isolate ${victim}${victim === leader ? ' (the leader)' : ''}`;
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
  }
  return applied;
}

/** Undoes a fault: heals every cut and restarts every killed node. */
export async function heal(target: Target, fault: AppliedFault): Promise<void> {
  for (const id of new Set(fault.cutNodes)) if (target.isRunning(id)) await target.setFaults(id, {});
  for (const id of fault.killed) if (!target.isRunning(id)) await target.restart(id);
}

function shuffle<T>(prng: Prng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = prng.int(0, i);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
