/**
 * The supervisor's HTTP app (core/src/live.ts): the built playground as static files, and
 *   GET  /api/cluster                 -> LiveCluster
 *   POST /api/nodes/:id/kill          -> { ok: true }   (SIGKILL; answered once the process is gone)
 *   POST /api/nodes/:id/restart       -> { ok: true }   (answered once spawned: the node is `starting`)
 *   POST /api/faults  LiveFaultCommand -> { ok: true, faults }
 * It can kill processes, so it listens on 127.0.0.1 only, answers only requests addressed to its
 * own host name (a DNS-rebinding page cannot reach it), and refuses a POST from a page of any other
 * origin (a page can send a simple POST cross-origin even though it cannot read the answer).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LiveFaultCommand } from '@raft-kv/core';
import type { Express, RequestHandler } from 'express';
import express from 'express';
import { z } from 'zod';
import { errorBody, errorHandler, jsonBody, methodNotAllowed, notFound, sendJson } from '../http/common';
import { corsFor, originAllowed } from '../http/cors';
import type { Logger } from '../logger';
import type { ClusterControl } from './control';
import { FaultPushError } from './control';

export interface SupervisorAppDeps {
  control: ClusterControl;
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
