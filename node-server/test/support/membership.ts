/**
 * Membership on a ProcessCluster, as an operator would do it over HTTP: find the leader, send the
 * change, follow a 409 not_leader hint, ask again when the leader is not ready or another change
 * is still committing. And a load of writers whose acknowledged writes are checked on every member.
 */
import type { ApiResponse, NodeId } from '@raft-kv/core';
import { ScenarioFailure, describe, waitFor } from '@raft-kv/core/scenarios';
import type { ProcessCluster } from './process-cluster';

export interface Member {
  id: NodeId;
  role: 'voter' | 'learner';
  raftUrl: string | null;
  kvUrl: string | null;
  matchIndex: number | null;
  caughtUp: boolean | null;
  reachable: boolean | null;
}

export interface MembersView {
  ok: true;
  id: NodeId;
  leaderId: NodeId | null;
  term: number;
  commitIndex: number;
  configIndex: number;
  configCommitted: boolean;
  members: Member[];
}

/** An admin request to one node's KV port (the token, when given, as the nodes expect it). */
export async function admin(d: ProcessCluster, node: NodeId, method: string, pathname: string, body?: unknown, token?: string): Promise<ApiResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    const res = await fetch(`${d.kvUrl(node)}${pathname}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  } catch (err) {
    return { status: 0, body: { ok: false, error: 'no_answer', message: String(err) } };
  }
}

export async function membersOn(d: ProcessCluster, node: NodeId, token?: string): Promise<MembersView> {
  const r = await admin(d, node, 'GET', '/cluster/members', undefined, token);
  if (r.status !== 200) throw new ScenarioFailure(`GET /cluster/members on ${node}: ${describe(r)}`);
  return r.body as unknown as MembersView;
}

/** The running node that says it leads, in the highest term, among `among`. */
export async function leaderAmong(d: ProcessCluster, among: readonly NodeId[]): Promise<NodeId | undefined> {
  const all = await Promise.all(among.map((id) => d.status(id)));
  return all.filter((s) => s.role === 'leader').sort((a, b) => b.term - a.term)[0]?.id;
}

/** Refusals that mean "not now": ask again a moment later. */
const notNow = new Set(['not_leader', 'leader_not_ready', 'change_in_progress', 'leadership_transfer', 'transferring', 'timeout', 'unavailable', 'leadership_lost', 'no_answer']);

/**
 * Sends one membership request to the leader among `among` until it is answered 200, following
 * hints and waiting out the refusals that mean "not now" (and `learner_behind` for a promotion).
 * After an attempt whose outcome is unknown, the refusal that says it is already done counts as done.
 */
export async function changeOk(
  d: ProcessCluster, among: () => readonly NodeId[], method: string, pathname: string, body?: unknown, timeoutMs = 30_000,
): Promise<ApiResponse> {
  const deadline = Date.now() + timeoutMs;
  const alreadyDone = method === 'DELETE' ? 'not_member' : pathname.endsWith('/promote') ? 'not_learner' : 'already_member';
  let uncertain = false;
  let last: ApiResponse | null = null;
  while (Date.now() < deadline) {
    const leader = await leaderAmong(d, among());
    if (leader !== undefined) {
      const r = await admin(d, leader, method, pathname, body);
      last = r;
      if (r.status === 200) return r;
      const error = String(r.body.error);
      if (uncertain && error === alreadyDone) return r;
      if (r.status === 0 || r.status === 504 || error === 'leadership_lost') uncertain = true;
      if (!notNow.has(error) && error !== 'learner_behind') throw new ScenarioFailure(`${method} ${pathname} on ${leader}: ${describe(r)}`);
    }
    await d.sleep(100);
  }
  throw new ScenarioFailure(`${method} ${pathname} not done in ${timeoutMs} ms; last answer ${last ? describe(last) : 'none (no leader)'}`);
}

/** Adds `id` (started by addNode) as a learner, then promotes it once the leader says it caught up. */
export async function addVoter(d: ProcessCluster, among: () => readonly NodeId[], id: NodeId): Promise<void> {
  await changeOk(d, among, 'POST', '/cluster/members', { id, raftUrl: d.raftUrl(id), kvUrl: d.kvUrl(id) });
  await changeOk(d, among, 'POST', `/cluster/members/${id}/promote`);
}

/**
 * Clients that keep writing fresh keys (`w<client>_<n>`) to the node they believe leads, following
 * 409 hints, among the members `among()` names at each request. Every acknowledged write is kept.
 */
export class Writers {
  readonly acked = new Map<string, string>();
  private stopped = false;
  private readonly loops: Promise<void>[];

  constructor(private readonly d: ProcessCluster, private readonly among: () => readonly NodeId[], clients = 4) {
    this.loops = Array.from({ length: clients }, (_, c) => this.loop(c + 1));
  }

  private async loop(client: number): Promise<void> {
    let target: NodeId | undefined;
    for (let n = 0; !this.stopped; n++) {
      const members = this.among();
      if (target === undefined || !members.includes(target)) target = members[Math.floor(Math.random() * members.length)]!;
      const key = `w${client}_${n}`;
      const r = await this.d.put(target, key, String(n));
      if (r.status === 200) {
        this.acked.set(key, String(n));
        continue;
      }
      const hint = r.body.leaderId;
      target = r.status === 409 && typeof hint === 'string' && members.includes(hint) ? hint : undefined;
      await this.d.sleep(target === undefined ? 50 : 0);
    }
  }

  /** Resolves once at least `count` more writes were acknowledged. */
  async progress(count: number, timeoutMs = 20_000): Promise<void> {
    const goal = this.acked.size + count;
    await waitFor(this.d, `${count} more acknowledged writes`, timeoutMs, async () => (this.acked.size >= goal ? true : undefined), 50);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}

/**
 * Every acknowledged write is on every member: each has applied at least the leader's commit index
 * (taken after the writers stopped), then holds each value in its own state (a local read), and
 * answers a linearizable read of the last one.
 */
export async function checkEveryWriteEverywhere(d: ProcessCluster, members: readonly NodeId[], acked: ReadonlyMap<string, string>, timeoutMs = 30_000): Promise<void> {
  const leader = await waitFor(d, 'a leader among the members', timeoutMs, () => leaderAmong(d, members));
  const commit = (await d.status(leader)).commitIndex;
  for (const id of members) {
    await waitFor(d, `${id} to apply ${commit}`, timeoutMs, async () => ((await d.status(id)).lastApplied >= commit ? true : undefined), 100);
    for (const [key, value] of acked) {
      const r = await d.get(id, key, { stale: true });
      if (r.status !== 200 || r.body.value !== value) throw new ScenarioFailure(`${id} lost the acknowledged write ${key}=${value}: ${describe(r)}`);
    }
    const [lastKey, lastValue] = [...acked].at(-1)!;
    const r = await d.get(id, lastKey);
    if (r.status !== 200 || r.body.value !== lastValue) throw new ScenarioFailure(`linearizable read of ${lastKey} on ${id}: ${describe(r)}`);
  }
}
