/**
 * The nemesis's membership faults (docs/membership.md): the cluster changes its members while the
 * clients work, as an operator would do it over the membership API, and while other faults may
 * hit at the same time.
 *
 *   transfer       the leader hands leadership to another voter (POST /cluster/leader)
 *   replace        SIGKILL a voter; a new empty node joins as a learner, is promoted once caught
 *   replaceLeader  up, and the dead one is removed (the leader, for replaceLeader)
 *   remove         remove a voter, which keeps running as a removed server (it must not disrupt
 *   removeLeader   anyone); at the heal it is stopped and a new node takes its place
 *   grow           a new node joins and is promoted (one voter more); at the heal a voter (maybe
 *                  the leader) is removed and stopped, back to the cluster's size
 *
 * Each step retries what a leader refuses "not now" (not leader, not ready, a change in progress,
 * a transfer, a learner still behind) within a bound; a step that cannot finish during the fault
 * (another fault took the majority away) is finished by the heal, which the report then says.
 */
import type { NodeId, Prng } from '@raft-kv/core';
import type { AppliedFault } from './faults';

export type MembershipFaultKind = 'transfer' | 'replace' | 'replaceLeader' | 'remove' | 'removeLeader' | 'grow';
export const membershipFaultKinds: readonly MembershipFaultKind[] = ['transfer', 'replace', 'replaceLeader', 'remove', 'removeLeader', 'grow'];

export const isMembershipFault = (kind: string): kind is MembershipFaultKind => (membershipFaultKinds as readonly string[]).includes(kind);

/** A membership request's answer, as the node gave it (status 0: no answer). */
export interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** What the membership faults need from the cluster (NemesisCluster provides it on local processes). */
export interface MembershipTarget {
  /** The members now, by the leader's configuration; null when no leader answers (then nothing is changed). */
  members(): Promise<{ voters: NodeId[]; learners: NodeId[] } | null>;
  leader(): Promise<NodeId | null>;
  /** Starts a new empty node with RAFT_JOIN (not a member yet); resolves once it serves. */
  startNode(): Promise<NodeId>;
  /** Stops a node for good (it is no longer a member): SIGKILL, and it is left out from now on. */
  retire(id: NodeId): Promise<string>;
  kill(id: NodeId): Promise<string>;
  isRunning(id: NodeId): boolean;
  /** The URLs a leader is given when it adds `id`. */
  urls(id: NodeId): { raftUrl: string; kvUrl: string };
  /** A membership request to one node's KV port, with the cluster token. */
  admin(node: NodeId, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<AdminAnswer>;
  /** The clients and the checks follow the members: called after every change. */
  membersChanged(): Promise<void>;
}

/** What a membership fault touched, and what it left for its heal. */
export interface MembershipPlan {
  /** The nodes it changed (another fault at the same time picks others). */
  nodes: NodeId[];
  /** Steps not done yet, in order. */
  pending: Step[];
  /** The heal's own choices (which voter to remove) come from here. */
  prng: Prng;
}

/**
 * `uncertain`: an earlier try of this change got no answer it could trust (a timeout, a lost
 * leadership), so it may have happened; a later try then takes the refusal that says "already
 * done" (already_member, not_learner, not_member) as done.
 */
type ChangeStep = { do: 'add' | 'promote' | 'remove'; node: NodeId; uncertain?: boolean };

type Step =
  | ChangeStep
  | { do: 'retire'; node: NodeId }
  | { do: 'addFresh' }
  | { do: 'removeOne'; except: NodeId[] };

/** The voters a membership fault keeps the cluster between (replace and remove need 3 to start from). */
const votersMin = 3;
const votersMax = 7;
/** How long one step may take during the fault, and at the heal. */
const stepDuringFaultMs = 6_000;
const stepAtHealMs = 30_000;
/** Refusals that mean "ask again in a moment". */
const notNow = new Set(['not_leader', 'leader_not_ready', 'change_in_progress', 'transferring', 'leadership_transfer', 'learner_behind', 'no_leader', 'timeout', 'unavailable', 'leadership_lost', 'transfer_failed']);

/** Applies a membership fault: its first steps now; what remains is in `fault.membership` for the heal. */
export async function injectMembershipFault(target: MembershipTarget, prng: Prng, asked: MembershipFaultKind, spare: readonly NodeId[], fault: AppliedFault): Promise<void> {
  const plan: MembershipPlan = { nodes: [], pending: [], prng: prng.fork() };
  fault.membership = plan;
  const members = await target.members();
  if (!members) {
    // Without a leader's word on who the members are, a change could take away a majority for good.
    fault.description = `${asked} (skipped: no leader said who the members are)`;
    return;
  }
  const { voters } = members;
  const leader = await target.leader();
  const fresh = voters.filter((id) => !spare.includes(id));
  const pickVoter = (wantLeader: boolean) => (wantLeader && leader && voters.includes(leader) ? leader : prng.pick(fresh.length > 0 ? fresh : voters));
  const theLeader = (id: NodeId) => (id === leader ? ' (the leader)' : '');
  const kind = safeKind(asked, members, target);
  const steps: Step[] = [];
  switch (kind) {
    case 'transfer': {
      const others = voters.filter((id) => id !== leader);
      if (!leader || others.length === 0) {
        fault.description = 'transfer (no leader to move)';
        return;
      }
      const to = prng.pick(others);
      plan.nodes.push(leader, to);
      fault.description = `transfer leadership ${leader} -> ${to}${kind === asked ? '' : ` (instead of ${asked}: ${describeMembers(members, target)})`}`;
      fault.mechanisms.push(describeAnswer(`POST ${leader} /cluster/leader {"id":"${to}"}`, await target.admin(leader, 'POST', '/cluster/leader', { id: to })));
      return;
    }
    case 'replace':
    case 'replaceLeader': {
      const victim = pickVoter(kind === 'replaceLeader');
      fault.mechanisms.push(await target.kill(victim));
      const node = await target.startNode();
      plan.nodes.push(victim, node);
      fault.description = `replace ${victim}${theLeader(victim)} (SIGKILL) with ${node}`;
      steps.push({ do: 'add', node }, { do: 'promote', node }, { do: 'remove', node: victim }, { do: 'retire', node: victim });
      break;
    }
    case 'remove':
    case 'removeLeader': {
      const victim = pickVoter(kind === 'removeLeader');
      fault.description = `remove ${victim}${theLeader(victim)} (it keeps running until the heal)`;
      plan.nodes.push(victim);
      steps.push({ do: 'remove', node: victim });
      plan.pending = [{ do: 'retire', node: victim }, { do: 'addFresh' }];
      break;
    }
    case 'grow': {
      const node = await target.startNode();
      fault.description = `grow: add ${node}, promote it; at the heal remove another voter`;
      plan.nodes.push(node);
      steps.push({ do: 'add', node }, { do: 'promote', node });
      plan.pending = [{ do: 'removeOne', except: [node] }];
      break;
    }
  }
  const left = await runSteps(target, steps, fault, stepDuringFaultMs);
  plan.pending = [...left, ...plan.pending];
}

/**
 * The fault to make instead of `asked` when it could take a majority away for good: a voter is
 * killed or removed only while the cluster has at least votersMin voters, all of them running, and
 * no learner (a learner means another change is still under way); it grows up to votersMax.
 * Otherwise a transfer, which changes no member.
 */
function safeKind(asked: MembershipFaultKind, members: { voters: NodeId[]; learners: NodeId[] }, target: MembershipTarget): MembershipFaultKind {
  if (asked === 'transfer') return asked;
  if (asked === 'grow') return members.voters.length < votersMax ? asked : 'transfer';
  const settled = members.voters.length >= votersMin && members.learners.length === 0 && members.voters.every((id) => target.isRunning(id));
  return settled ? asked : 'transfer';
}

function describeMembers(members: { voters: NodeId[]; learners: NodeId[] }, target: MembershipTarget): string {
  const down = members.voters.filter((id) => !target.isRunning(id));
  return `voters ${members.voters.join(',')}${down.length > 0 ? ` (${down.join(',')} down)` : ''}${members.learners.length > 0 ? `, learners ${members.learners.join(',')}` : ''}`;
}

/** The heal of a membership fault: whatever steps remain, in order, with more time each. */
export async function healMembership(target: MembershipTarget, fault: AppliedFault): Promise<void> {
  const plan = fault.membership;
  if (!plan) return;
  while (plan.pending.length > 0) {
    const step = plan.pending[0]!;
    const expanded = await expand(target, plan.prng, step, fault);
    const left = await runSteps(target, expanded, fault, stepAtHealMs);
    if (left.length > 0) {
      plan.pending = [...left, ...plan.pending.slice(1)];
      fault.mechanisms.push(`heal could not finish: ${plan.pending.map(describeStep).join(', ')} left`);
      return;
    }
    plan.pending = plan.pending.slice(1);
  }
}

/** The concrete steps of a step the heal decides only when it gets to it (which node to start or remove). */
async function expand(target: MembershipTarget, prng: Prng, step: Step, fault: AppliedFault): Promise<Step[]> {
  if (step.do === 'addFresh') {
    const node = await target.startNode();
    fault.membership!.nodes.push(node);
    return [{ do: 'add', node }, { do: 'promote', node }];
  }
  if (step.do !== 'removeOne') return [step];
  const members = await target.members();
  if (members === null || members.voters.length <= votersMin) {
    fault.mechanisms.push(`heal: no voter removed (${members === null ? 'no leader said who the members are' : `${members.voters.length} voters`})`);
    return [];
  }
  const victim = prng.pick(members.voters.filter((id) => !step.except.includes(id)));
  const leader = await target.leader();
  fault.mechanisms.push(`heal: remove ${victim}${victim === leader ? ' (the leader)' : ''}`);
  return [{ do: 'remove', node: victim }, { do: 'retire', node: victim }];
}

/** Runs steps in order until one cannot be done within `boundMs`; returns those not done. */
async function runSteps(target: MembershipTarget, steps: Step[], fault: AppliedFault, boundMs: number): Promise<Step[]> {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const done = await runStep(target, step, fault, boundMs);
    if (!done) return steps.slice(i);
    await target.membersChanged();
  }
  return [];
}

async function runStep(target: MembershipTarget, step: Step, fault: AppliedFault, boundMs: number): Promise<boolean> {
  switch (step.do) {
    case 'retire':
      fault.mechanisms.push(await target.retire(step.node));
      return true;
    case 'add':
      return change(target, fault, step, 'POST', '/cluster/members', { id: step.node, ...target.urls(step.node) }, 'already_member', boundMs);
    case 'promote':
      return change(target, fault, step, 'POST', `/cluster/members/${step.node}/promote`, undefined, 'not_learner', boundMs);
    case 'remove':
      return change(target, fault, step, 'DELETE', `/cluster/members/${step.node}`, undefined, 'not_member', boundMs);
    default:
      throw new Error(`step ${step.do} is expanded by the heal`);
  }
}

/**
 * Sends a change to the leader until it is answered 200, or it is certainly done already (after
 * an attempt whose outcome was unknown, in this call or an earlier one, the refusal `done` says
 * so), or the bound passes.
 */
async function change(
  target: MembershipTarget, fault: AppliedFault, step: ChangeStep, method: 'POST' | 'DELETE', path: string, body: unknown, done: string, boundMs: number,
): Promise<boolean> {
  const deadline = Date.now() + boundMs;
  let refusals = 0;
  while (Date.now() < deadline) {
    const leader = await target.leader();
    if (leader !== null) {
      const answer = await target.admin(leader, method, path, body);
      const error = String(answer.body.error ?? '');
      if (answer.status === 200 || (step.uncertain === true && error === done)) {
        fault.mechanisms.push(describeAnswer(`${method} ${leader} ${path}${body === undefined ? '' : ` ${JSON.stringify(body)}`}`, answer) + (refusals > 0 ? ` (after ${refusals} refusals)` : ''));
        return true;
      }
      if (answer.status === 0 || answer.status === 504 || error === 'leadership_lost') step.uncertain = true;
      else if (!notNow.has(error)) {
        fault.mechanisms.push(describeAnswer(`${method} ${leader} ${path}`, answer));
        return false;
      }
      refusals++;
    }
    await sleep(150);
  }
  fault.mechanisms.push(`${method} ${path}: not done within ${boundMs} ms (left for later)`);
  return false;
}

function describeAnswer(request: string, answer: AdminAnswer): string {
  return `${request} -> ${answer.status}${answer.status === 200 ? '' : ` ${String(answer.body.error ?? '')}`}`;
}

function describeStep(step: Step): string {
  return 'node' in step ? `${step.do} ${step.node}` : step.do;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
