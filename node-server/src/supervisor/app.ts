/**
 * The supervisor's HTTP app (core/src/live.ts): the built playground as static files, and
 *   GET  /api/cluster                 -> LiveCluster
 *   POST /api/nodes                   -> { ok: true, node }  (a new node process that joins; `starting`)
 *   POST /api/nodes/:id/kill          -> { ok: true }   (SIGKILL; answered once the process is gone)
 *   POST /api/nodes/:id/restart       -> { ok: true }   (answered once spawned: the node is `starting`)
 *   POST /api/faults  LiveFaultCommand -> { ok: true, faults }
 *   GET  /api/members, POST /api/members {id}, POST /api/members/:id/promote, DELETE /api/members/:id,
 *   POST /api/leader {id}             -> the leader's answer to the same membership request (with the token)
 * It can kill processes, so it listens on 127.0.0.1 only, answers only requests addressed to its
 * own host name (a DNS-rebinding page cannot reach it), and refuses a POST from a page of any other
 * origin (a page can send a simple POST cross-origin even though it cannot read the answer).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ApiResponse, LiveFaultCommand } from '@raft-kv/core';
import type { Express, Request, RequestHandler, Response } from 'express';
import express from 'express';
import { z } from 'zod';
import { errorBody, errorHandler, jsonBody, methodNotAllowed, notFound, sendJson } from '../http/common';
import { corsFor, originAllowed } from '../http/cors';
import type { Logger } from '../logger';
import type { ClusterControl } from './control';
import { AddNodeError, FaultPushError } from './control';
import type { MembershipProxy } from './membership-proxy';

export interface SupervisorAppDeps {
  control: ClusterControl;
  membership: MembershipProxy;
  port: number;
  origins: readonly string[];
  playgroundDir: string;
  logger: Logger;
}

const commandBytesMax = 4096;
const id = z.string().min(1).max(64);
const faultCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('isolate'), node: id }),
  z.object({ type: z.literal('cut'), from: id, to: id, bothWays: z.boolean() }),
  z.object({ type: z.literal('heal'), from: id, to: id, bothWays: z.boolean() }),
  z.object({ type: z.literal('healAll') }),
]);

function ownHostOnly(port: number): RequestHandler {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return (req, res, next) => {
    if (hosts.has(req.headers.host ?? '')) return next();
    sendJson(res, 403, errorBody('forbidden', `use http://127.0.0.1:${port}/`));
  };
}

function ownOriginsOnly(origins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS' || originAllowed(req.headers.origin, origins)) return next();
    sendJson(res, 403, errorBody('forbidden', 'origin not allowed'));
  };
}

export function createSupervisorApp(deps: SupervisorAppDeps): Express {
  const { control, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(ownHostOnly(deps.port));
  const cors = corsFor(deps.origins);
  if (cors) app.use(cors);
  app.use('/api', ownOriginsOnly(deps.origins));
  app.use('/api', (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.get('/api/cluster', (_req, res) => sendJson(res, 200, control.cluster()));
  app.all('/api/cluster', methodNotAllowed(['GET', 'HEAD']));

  const knownNode: RequestHandler = (req, res, next) => {
    if (control.has(String(req.params.id))) return next();
    sendJson(res, 404, errorBody('not_found', `no node ${String(req.params.id)}`));
  };
  app.post('/api/nodes/:id/kill', knownNode, async (req, res) => {
    await control.kill(String(req.params.id));
    sendJson(res, 200, { ok: true });
  });
  app.post('/api/nodes/:id/restart', knownNode, (req, res) => {
    control.restart(String(req.params.id));
    sendJson(res, 200, { ok: true });
  });
  app.all(['/api/nodes/:id/kill', '/api/nodes/:id/restart'], methodNotAllowed(['POST']));
  app.post('/api/nodes', async (_req, res) => {
    try {
      sendJson(res, 200, { ok: true, node: await control.addNode() });
    } catch (err) {
      if (!(err instanceof AddNodeError)) throw err;
      sendJson(res, err.code === 'too_many_nodes' ? 409 : 503, errorBody(err.code, err.message));
    }
  });
  app.all('/api/nodes', methodNotAllowed(['POST']));
  addMembershipRoutes(app, deps.membership, control);

  app.post('/api/faults', jsonBody(commandBytesMax), async (req, res) => {
    const parsed = faultCommand.safeParse(req.body);
    if (!parsed.success) return sendJson(res, 400, errorBody('bad_request', 'body must be a LiveFaultCommand (isolate, cut, heal, healAll)'));
    try {
      const faults = await control.applyFaults(parsed.data as LiveFaultCommand);
      sendJson(res, 200, { ok: true, faults });
    } catch (err) {
      if (err instanceof RangeError) return sendJson(res, 400, errorBody('bad_request', err.message));
      if (err instanceof FaultPushError) return sendJson(res, 502, { ...errorBody('node_unreachable', err.message), faults: control.faults() });
      throw err;
    }
  });
  app.all('/api/faults', methodNotAllowed(['POST']));
  app.use('/api', notFound);

  app.use(express.static(deps.playgroundDir, { index: 'index.html' }));
  app.get('/', (_req, res) => {
    const built = fs.existsSync(path.join(deps.playgroundDir, 'index.html'));
    sendJson(res, 503, errorBody('not_built', built ? 'index.html unreadable' : `no playground in ${deps.playgroundDir}: run npm run build`));
  });
  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}

const memberBody = z.strictObject({ id });

/** The membership API, through the supervisor (it holds the token): each request goes to the leader. */
function addMembershipRoutes(app: Express, proxy: MembershipProxy, control: ClusterControl): void {
  const pass = (res: Response, answer: ApiResponse) => sendJson(res, answer.status, answer.body);
  /** The node a request names (in the body or the path), or null once it was answered 400 or 404. */
  const nodeOf = (res: Response, raw: unknown): string | null => {
    if (typeof raw !== 'string' || !id.safeParse(raw).success) {
      sendJson(res, 400, errorBody('bad_request', 'body must be {"id": "<node id>"}'));
      return null;
    }
    if (control.has(raw)) return raw;
    sendJson(res, 404, errorBody('not_found', `no node ${raw}`));
    return null;
  };
  const bodyId = (req: Request) => (memberBody.safeParse(req.body).success ? (req.body as { id: string }).id : null);

  app.get('/api/members', async (_req, res) => pass(res, await proxy.members()));
  app.post('/api/members', jsonBody(commandBytesMax), async (req, res) => {
    const node = nodeOf(res, bodyId(req));
    if (node !== null) pass(res, await proxy.toLeader('POST', '/cluster/members', { id: node, ...proxy.urls(node) }));
  });
  app.all('/api/members', methodNotAllowed(['GET', 'HEAD', 'POST']));
  app.post('/api/members/:id/promote', async (req, res) => {
    const node = nodeOf(res, req.params.id);
    if (node !== null) pass(res, await proxy.toLeader('POST', `/cluster/members/${node}/promote`));
  });
  app.all('/api/members/:id/promote', methodNotAllowed(['POST']));
  app.delete('/api/members/:id', async (req, res) => {
    const node = nodeOf(res, req.params.id);
    if (node !== null) pass(res, await proxy.toLeader('DELETE', `/cluster/members/${node}`));
  });
  app.all('/api/members/:id', methodNotAllowed(['DELETE']));
  app.post('/api/leader', jsonBody(commandBytesMax), async (req, res) => {
    const node = nodeOf(res, bodyId(req));
    if (node !== null) pass(res, await proxy.toLeader('POST', '/cluster/leader', { id: node }));
  });
  app.all('/api/leader', methodNotAllowed(['POST']));
}
