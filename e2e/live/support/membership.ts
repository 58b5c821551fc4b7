/**
 * Puts the shared cluster's membership back after a spec changed it: the first nodes voters again
 * (added back and promoted if they were removed: each kept its data directory), the leadership
 * with one of them, every other member removed, and the nodes the spec added killed (by the
 * supervisor, by pid). One step at a time, each the supervisor's membership request, until the
 * leader's own list is exactly the first nodes; a refusal that means "not yet" (a change in
 * flight, a learner catching up, no leader) is asked again on the next round.
 */
import { getCluster, getMembers, supervisorMembership, supervisorPost } from './cluster';

const restoreTimeoutMs = 120_000;
const roundMs = 250;

/** One step towards `voters`; 'done' once the leader's list is exactly them, with one of them leading. */
async function nextStep(voters: readonly string[]): Promise<string> {
  const list = await getMembers().catch((error: unknown) => (error as Error).message);
  if (typeof list === 'string') return list;
  for (const id of voters) {
    const member = list.members.find((m) => m.id === id);
    if (!member) return describe(`add ${id}`, await supervisorMembership('POST', '/api/members', { id }));
    if (member.role === 'learner') return describe(`promote ${id}`, await supervisorMembership('POST', `/api/members/${id}/promote`));
  }
  if (list.leaderId === null) return 'no leader';
  if (!voters.includes(list.leaderId)) {
    const running = new Set((await getCluster()).filter((n) => n.state === 'running').map((n) => n.id));
    const target = voters.find((id) => running.has(id));
    if (!target) return 'none of the first nodes runs';
    return describe(`hand leadership to ${target}`, await supervisorMembership('POST', '/api/leader', { id: target }));
  }
  const extra = list.members.find((m) => !voters.includes(m.id));
  if (extra) return describe(`remove ${extra.id}`, await supervisorMembership('DELETE', `/api/members/${extra.id}`));
  return 'done';
}

const describe = (what: string, answer: { status: number; body: Record<string, unknown> }) => `${what}: ${answer.status} ${String(answer.body.error ?? answer.body.message ?? '')}`;

export async function restoreMembership(voters: readonly string[], added: readonly string[]): Promise<void> {
  const deadline = Date.now() + restoreTimeoutMs;
  const steps: string[] = [];
  for (;;) {
    const step = await nextStep(voters);
    if (step === 'done') break;
    steps.push(step);
    if (Date.now() > deadline) throw new Error(`the membership did not come back to ${voters.join(', ')} within ${restoreTimeoutMs / 1000} s; last steps: ${steps.slice(-8).join('; ')}`);
    // The next round asks the leader again: a refusal such as change_in_progress clears by itself.
    await new Promise((resolve) => setTimeout(resolve, roundMs));
  }
  for (const id of added) await supervisorPost(`/api/nodes/${id}/kill`);
}
