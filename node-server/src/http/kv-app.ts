/**
 * The client (KV) API of docs/api.md: PUT /set, GET /get, DELETE /delete, GET /health, and the
 * client routes of docs/clients.md (sessions, /cas, /range: client-routes.ts; /watch: watch.ts), and the
 * membership API (membership-routes.ts).
 * Input is validated here; routes hand work to the node host and answer with core's api builders,
 * so the simulator and the real node answer identically. A write may carry a client session in
 * the Client-Id, Client-Seq and Client-Ack headers.
 */
import { api } from '@raft-kv/core';
import type { Request } from 'express';
import express from 'express';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import type { Logger } from '../logger';
import { addClientRoutes } from './client-routes';
import { errorBody, errorHandler, jsonBody, methodNotAllowed, notFound, requestIdAndLog, sendJson } from './common';
import { corsFor } from './cors';
import { checkConsistency, checkKey, send, sessionOf, tooLarge } from './kv-input';
import { addMembershipRoutes } from './membership-routes';
import { HotRoutes } from './routes';
import { addWatchRoute } from './watch';

export interface KvAppDeps {
  config: Pick<NodeConfig, 'nodeId' | 'kvUrl' | 'keyBytesMax' | 'valueBytesMax' | 'kvBodyBytesMax' | 'accessLog' | 'corsOrigins' | 'sessionTimeoutMs' | 'clusterToken' | 'raftTls'>;
  host: NodeHost;
  logger: Logger;
}

/** `?key=` given more than once arrives as an array: that is a bad request, not an empty key. */
function queryKey(req: Request): unknown {
  const key = req.query.key;
  return Array.isArray(key) ? null : key;
}

/**
 * The KV port's routes: an Express app whose write and read routes are also hot routes, for the
 * two faster doors: `listener()` for node:http (routes.ts) and `direct()` for direct-http.ts.
 */
export function kvRoutes(deps: KvAppDeps): HotRoutes {
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
    const session = sessionOf(req);
    if (!session.ok) return send(res, session.response);
    const command = { op: 'set' as const, key: key.value, value: body.value };
    send(res, await host.write(session.value ? { ...command, session: session.value } : command));
  });
  app.all('/set', methodNotAllowed(['PUT']));

  routes.add('GET', '/get', async (req, res) => {
    const raw = queryKey(req);
    if (raw === null) return send(res, { status: 400, body: errorBody('bad_request', 'key must be given once') });
    const key = checkKey(raw, config.keyBytesMax);
    if (!key.ok) return send(res, key.response);
    const stale = checkConsistency(req);
    if (!stale.ok) return send(res, stale.response);
    send(res, await host.read(key.value, stale.value));
  });
  app.all('/get', methodNotAllowed(['GET', 'HEAD']));

  routes.add('DELETE', '/delete', async (req, res) => {
    const raw = queryKey(req);
    if (raw === null) return send(res, { status: 400, body: errorBody('bad_request', 'key must be given once') });
    const key = checkKey(raw, config.keyBytesMax);
    if (!key.ok) return send(res, key.response);
    const session = sessionOf(req);
    if (!session.ok) return send(res, session.response);
    const command = { op: 'delete' as const, key: key.value };
    send(res, await host.write(session.value ? { ...command, session: session.value } : command));
  });
  app.all('/delete', methodNotAllowed(['DELETE']));

  addClientRoutes(app, routes, { config, host });
  addWatchRoute(app, { config, host });

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
      // Additions (clients such as kvctl status show how far each node is without the Raft port).
      commitIndex: raft.commitIndex,
      lastApplied: host.replica.kv.appliedIndex,
    });
  });
  app.all('/health', methodNotAllowed(['GET', 'HEAD']));

  addMembershipRoutes(app, { config, host, logger });

  app.use(notFound);
  app.use(errorHandler(logger));
  return routes;
}
