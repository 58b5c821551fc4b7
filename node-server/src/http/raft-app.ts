/**
 * The Raft port: GET /raft/status for people and scripts, and the RPC routes peers POST to
 * (/raft/requestvote, /raft/appendentries, /raft/installsnapshot, /raft/readindex). A request is
 * validated, checked against the cluster token, stepped into the core in arrival order, and
 * answered with the core's response as the HTTP body. Malformed bodies get 400 and change nothing.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Express, Request, RequestHandler } from 'express';
import express from 'express';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import { RpcRejected } from '../host/node-host';
import type { Logger } from '../logger';
import type { RpcRoute } from '../wire';
import { leaderAddrOf, parseRequest, responseBody, rpcRoutes } from '../wire';
import { arrivalTicket, inOrder } from './arrival-order';
import { errorBody, errorHandler, jsonBody, methodNotAllowed, notFound, sendJson } from './common';
import { raftStatus } from './status';

export interface RaftAppDeps {
  config: Pick<NodeConfig, 'nodeId' | 'peers' | 'clusterToken' | 'raftBodyBytesMax' | 'raftUrl' | 'kvUrl'>;
  host: NodeHost;
  logger: Logger;
}

function tokenCheck(token: string | null, logger: Logger): RequestHandler {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return (req, res, next) => {
    if (!expected) return next();
    const given = Buffer.from(req.get('authorization') ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    logger.warn(`[raft] rejected ${req.method} ${req.path} from ${req.socket.remoteAddress ?? '?'}: missing or wrong cluster token`);
    sendJson(res, 401, errorBody('unauthorized', 'cluster token required'));
  };
}

export function createRaftApp(deps: RaftAppDeps): Express {
  const { config, host, logger } = deps;
  const peerIds = new Set(config.peers.map((p) => p.id));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/raft/status', (_req, res) => sendJson(res, 200, raftStatus(host, config)));
  app.all('/raft/status', methodNotAllowed(['GET', 'HEAD']));

  for (const route of Object.keys(rpcRoutes) as RpcRoute[]) {
    const path = `/raft/${route}`;
    app.post(path, arrivalTicket(), tokenCheck(config.clusterToken, logger), jsonBody(config.raftBodyBytesMax), (req, res, next) => {
      const parsed = parseRequest(route, req.body, config.nodeId);
      if (!parsed.ok) return void sendJson(res, 400, errorBody('bad_request', parsed.error));
      if (!peerIds.has(parsed.value.from)) return void sendJson(res, 400, errorBody('bad_request', `${parsed.value.from} is not a peer of ${config.nodeId}`));
      inOrder(req as Request, () => {
        host.handleRpc(parsed.value, leaderAddrOf(route, req.body)).then(
          (answer) => sendJson(res, 200, responseBody(answer)),
          (err: unknown) => {
            if (!(err instanceof RpcRejected)) return next(err);
            logger.warn(`[raft] refused ${parsed.value.type}: ${err.message}`);
            sendJson(res, 409, errorBody('conflict', err.message));
          },
        );
      });
    });
    app.all(path, methodNotAllowed(['POST']));
  }

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
