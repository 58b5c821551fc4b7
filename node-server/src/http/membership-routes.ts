/**
 * The membership API on the KV port (docs/membership.md):
 *   GET    /cluster/members              any node: the members it knows, and the leader's view of each
 *   POST   /cluster/members              {"id","raftUrl","kvUrl"}: adds a learner (200 once committed)
 *   POST   /cluster/members/:id/promote  learner to voter (409 learner_behind while it lags)
 *   DELETE /cluster/members/:id          removes a voter or a learner, the leader included
 *   POST   /cluster/leader               {"id"}: hands leadership over (200 once the target leads)
 * Changes are the leader's (409 not_leader with the hint otherwise, as for writes). The cluster
 * token is required on all of them when one is set, and a browser page of a foreign origin may not
 * change anything. Input is checked here, so a bad request changes nothing; what the cluster's state
 * allows is the core's to decide (its 409 reasons).
 */
import type { ConfigChange, NodeId } from '@raft-kv/core';
import type { Express, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { NodeConfig } from '../config';
import { idPattern } from '../config';
import type { NodeHost } from '../host/node-host';
import type { Logger } from '../logger';
import { jsonBody, methodNotAllowed, sendJson } from './common';
import { ownOriginsOnly, tokenCheck } from './guards';
import { badRequest, send } from './kv-input';

export interface MembershipRoutesDeps {
  config: Pick<NodeConfig, 'nodeId' | 'clusterToken' | 'corsOrigins' | 'raftTls'>;
  host: NodeHost;
  logger: Logger;
}

const bodyBytesMax = 4096;
const httpUrl = z.url({ protocol: /^https?$/ }).max(512).transform((u) => u.replace(/\/+$/, ''));
const newMember = z.strictObject({ id: idPattern, raftUrl: httpUrl, kvUrl: httpUrl });
const transferTarget = z.strictObject({ id: idPattern });

export function addMembershipRoutes(app: Express, deps: MembershipRoutesDeps): void {
  const { config, host, logger } = deps;
  const read: RequestHandler[] = [tokenCheck(config.clusterToken, logger, 'membership')];
  const change: RequestHandler[] = [ownOriginsOnly(config.corsOrigins, logger, 'membership'), ...read];
  const raftScheme = config.raftTls ? 'https' : 'http';

  /** The :id of the path, or a 400 answered. */
  const pathId = (req: Request, res: Response): NodeId | null => {
    const id = String(req.params.id);
    if (idPattern.safeParse(id).success) return id;
    send(res, badRequest(`${JSON.stringify(id)} is not a node id (1-64 letters, digits, dots, dashes or underscores)`));
    return null;
  };
  const propose = async (res: Response, proposed: ConfigChange) => {
    const answer = await host.changeMembership(proposed);
    if (answer.status === 200) logger.info(`[membership] ${config.nodeId}: ${describeChange(proposed)} committed`);
    send(res, answer);
  };

  app.get('/cluster/members', ...read, (_req, res) => sendJson(res, 200, membersView(host)));
  app.post('/cluster/members', ...change, jsonBody(bodyBytesMax), async (req, res) => {
    const parsed = newMember.safeParse(req.body);
    if (!parsed.success) return send(res, badRequest('body must be {"id": "<node id>", "raftUrl": "http(s)://host:port", "kvUrl": "http(s)://host:port"}'));
    const { id, raftUrl, kvUrl } = parsed.data;
    if (!raftUrl.startsWith(`${raftScheme}://`)) {
      return send(res, badRequest(`raftUrl must be ${raftScheme}:// (${raftScheme === 'https' ? 'this cluster\'s peers speak TLS' : 'this cluster\'s peers speak plain HTTP'})`));
    }
    await propose(res, { type: 'addLearner', node: id, address: { raftUrl, kvUrl } });
  });
  app.all('/cluster/members', methodNotAllowed(['GET', 'HEAD', 'POST']));

  app.post('/cluster/members/:id/promote', ...change, async (req, res) => {
    const id = pathId(req, res);
    if (id !== null) await propose(res, { type: 'promote', node: id });
  });
  app.all('/cluster/members/:id/promote', methodNotAllowed(['POST']));

  app.delete('/cluster/members/:id', ...change, async (req, res) => {
    const id = pathId(req, res);
    if (id !== null) await propose(res, { type: 'remove', node: id });
  });
  app.all('/cluster/members/:id', methodNotAllowed(['DELETE']));

  app.post('/cluster/leader', ...change, jsonBody(bodyBytesMax), async (req, res) => {
    const parsed = transferTarget.safeParse(req.body);
    if (!parsed.success) return send(res, badRequest('body must be {"id": "<node id>"}'));
    const answer = await host.transferLeadership(parsed.data.id);
    if (answer.status === 200) logger.info(`[membership] ${config.nodeId}: leadership handed to ${parsed.data.id}`);
    send(res, answer);
  });
  app.all('/cluster/leader', methodNotAllowed(['POST']));
}

function describeChange(change: ConfigChange): string {
  switch (change.type) {
    case 'addLearner': return `adding ${change.node} as a learner (${change.address?.raftUrl ?? 'no address'})`;
    case 'promote': return `promoting ${change.node} to voter`;
    case 'remove': return `removing ${change.node}`;
  }
}

/** GET /cluster/members: this node's configuration; match index and catch-up only where it leads, reachability as this node sees it. */
export function membersView(host: NodeHost): Record<string, unknown> {
  const raft = host.raft;
  const config = raft.configuration;
  const status = raft.status();
  const member = (id: NodeId, role: 'voter' | 'learner') => ({
    id,
    role,
    raftUrl: host.raftUrlOf(id) || null,
    kvUrl: host.kvUrlOf(id) || null,
    matchIndex: raft.matchIndexOf(id),
    caughtUp: raft.isCaughtUp(id),
    // This node's own view: whether its last message to that member was answered.
    reachable: id === host.id ? true : host.reachable(id),
  });
  return {
    ok: true,
    id: host.id,
    leaderId: raft.leaderId,
    term: raft.term,
    commitIndex: raft.commitIndex,
    configIndex: status.configIndex,
    configCommitted: status.configIndex <= raft.commitIndex,
    members: [...config.voters.map((id) => member(id, 'voter')), ...config.learners.map((id) => member(id, 'learner'))],
  };
}
