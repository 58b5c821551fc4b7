/**
 * The supervisor's membership requests (live mode's page cannot hold the cluster token): each is
 * sent to the node that leads, with the token, and its answer is passed back as it is. A 409
 * not_leader (the cluster moved on meanwhile) is followed to the node its hint names, a few times.
 */
import type { ApiResponse, NodeId } from '@raft-kv/core';
import type { NodeProcesses } from './node-processes';

const requestTimeoutMs = 10_000;
const hintsFollowedMax = 3;

export class MembershipProxy {
  constructor(private readonly nodes: NodeProcesses, private readonly token: string) {}

  /** A node's URLs, as its leader is told them when it is added. */
  urls(id: NodeId): { kvUrl: string; raftUrl: string } {
    return { kvUrl: this.nodes.kvUrl(id), raftUrl: this.nodes.raftUrl(id) };
  }

  /** GET /cluster/members of the leader, or of any running node while none leads. */
  async members(): Promise<ApiResponse> {
    const leader = await this.nodes.leader();
    const ask = leader?.id ?? this.nodes.specs.find((n) => this.nodes.state(n.id) === 'running')?.id;
    if (ask === undefined) return { status: 503, body: { ok: false, error: 'no_node', message: 'no node is running' } };
    return this.send(ask, 'GET', '/cluster/members');
  }

  /** A change (or a transfer) sent to the leader. */
  async toLeader(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<ApiResponse> {
    const leader = await this.nodes.leader();
    if (!leader) return { status: 503, body: { ok: false, error: 'no_leader', message: 'no node leads right now; try again in a moment' } };
    let target: NodeId = leader.id;
    for (let hop = 0; ; hop++) {
      const answer = await this.send(target, method, path, body);
      const hint = answer.body.leaderId;
      if (answer.status !== 409 || answer.body.error !== 'not_leader' || typeof hint !== 'string' || !this.nodes.has(hint) || hop >= hintsFollowedMax) return answer;
      target = hint;
    }
  }

  private async send(id: NodeId, method: string, path: string, body?: unknown): Promise<ApiResponse> {
    try {
      const res = await fetch(`${this.nodes.kvUrl(id)}${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    } catch (err) {
      return { status: 502, body: { ok: false, error: 'node_unreachable', message: `${id} did not answer ${method} ${path} (${(err as Error).message})` } };
    }
  }
}
