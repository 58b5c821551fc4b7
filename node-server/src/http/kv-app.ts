/**
 * The client (KV) API of docs/api.md: PUT /set, GET /get, DELETE /delete, GET /health, and the
 * membership API (membership-routes.ts).
 * Input is validated here; routes hand work to the node host and answer with core's api builders,
 * so the simulator and the real node answer identically.
 */
import type { ApiResponse } from '@raft-kv/core';
import { api, isEmptyKey } from '@raft-kv/core';
import type { RequestListener } from 'node:http';
import type { Request, Response } from 'express';
import express from 'express';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import type { Logger } from '../logger';
import { errorBody, errorHandler, jsonBody, methodNotAllowed, notFound, requestIdAndLog, sendJson } from './common';
import { corsFor } from './cors';
import { addMembershipRoutes } from './membership-routes';
import { HotRoutes } from './routes';

export interface KvAppDeps {
  config: Pick<NodeConfig, 'nodeId' | 'kvUrl' | 'keyBytesMax' | 'valueBytesMax' | 'kvBodyBytesMax' | 'accessLog' | 'corsOrigins' | 'clusterToken' | 'raftTls'>;
  host: NodeHost;
  logger: Logger;
}

const send = (res: Response, response: ApiResponse): void => sendJson(res, response.status, response.body);

type KeyCheck = { ok: true; key: string } | { ok: false; response: ApiResponse };

function checkKey(key: unknown, keyBytesMax: number): KeyCheck {
  if (isEmptyKey(key)) return { ok: false, response: api.emptyKey() };
  if (Buffer.byteLength(key as string) > keyBytesMax) return { ok: false, response: tooLarge(`key larger than ${keyBytesMax} bytes`) };
  return { ok: true, key: key as string };
}

const tooLarge = (message: string): ApiResponse => ({ status: 413, body: errorBody('too_large', message) });

/** `?key=` given more than once arrives as an array: that is a bad request, not an empty key. */
function queryKey(req: Request): unknown {
  const key = req.query.key;
  return Array.isArray(key) ? null : key;
}

/** The KV port's request listener: an Express app whose write and read routes are also hot routes (routes.ts). */
export function kvRequestListener(deps: KvAppDeps): RequestListener {
  const { config, host, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const requestLog = requestIdAndLog(logger, config.accessLog);
  app.use(requestLog);
  const cors = corsFor(config.corsOrigins);
  if (cors) app.use(cors);
  const routes = new HotRoutes(app, [requestLog], errorHandler(logger));

  routes.add('PUT', '/set', jsonBody(config.kvBodyBytesMax), async (req, res) => {
    const body = req.body as { key?: unknown; value?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, api.badRequest());
    if (typeof body.key !== 'string' || typeof body.value !== 'string') return send(res, api.badRequest());
    const key = checkKey(body.key, config.keyBytesMax);
    if (!key.ok) return send(res, key.response);
    if (Buffer.byteLength(body.value) > config.valueBytesMax) return send(res, tooLarge(`value larger than ${config.valueBytesMax} bytes`));
    send(res, await host.write({ op: 'set', key: key.key, value: body.value }));
  });
  app.all('/set', methodNotAllowed(['PUT']));

  routes.add('GET', '/get', async (req, res) => {
    const raw = queryKey(req);
    if (raw === null) return send(res, { status: 400, body: errorBody('bad_request', 'key must be given once') });
    const key = checkKey(raw, config.keyBytesMax);
    if (!key.ok) return send(res, key.response);
    const consistency = req.query.consistency ?? 'linearizable';
    if (consistency !== 'linearizable' && consistency !== 'stale') {
      return send(res, { status: 400, body: errorBody('bad_request', 'consistency must be linearizable or stale') });
    }
    send(res, await host.read(key.key, consistency === 'stale'));
  });
  app.all('/get', methodNotAllowed(['GET', 'HEAD']));

  routes.add('DELETE', '/delete', async (req, res) => {
    const raw = queryKey(req);
    if (raw === null) return send(res, { status: 400, body: errorBody('bad_request', 'key must be given once') });
    const key = checkKey(raw, config.keyBytesMax);
    if (!key.ok) return send(res, key.response);
    send(res, await host.write({ op: 'delete', key: key.key }));
  });
  app.all('/delete', methodNotAllowed(['DELETE']));

  app.get('/health', (_req, res) => {
    const raft = host.raft;
    const leaderId = raft.leaderId;
    const peers = host.peers();
    sendJson(res, 200, {
      id: config.nodeId,
      addr: config.kvUrl,
      peers: peers.map((p) => p.raftUrl),
      peersCount: peers.length,
      state: raft.role === 'preCandidate' ? 'follower' : raft.role,
      term: raft.term,
      leaderId,
      leader: host.leaderUrl(leaderId),
      lastHeartbeatAgoMs: host.lastHeartbeatAgoMs(),
    });
  });
  app.all('/health', methodNotAllowed(['GET', 'HEAD']));

  addMembershipRoutes(app, { config, host, logger });

  app.use(notFound);
  app.use(errorHandler(logger));
  return routes.listener();
}
