/**
 * The Raft port: GET /raft/status for people and scripts, and the RPC routes peers POST to
 * (/raft/requestvote, /raft/appendentries, /raft/installsnapshot, /raft/readindex). A request is
 * validated, checked against the cluster token, stepped into the core in arrival order, and
 * answered with the core's response as the HTTP body. Malformed bodies get 400 and change nothing.
 * Injected faults: a request from a peer in dropFrom is refused before stepping, and the answer to
 * a peer in dropTo is replaced by an error (503 `dropped`): either way the peer gets nothing.
 * Also here: /admin/faults (admin-faults.ts) and, attached to the same server, socket.io (observe/).
 */
import type { RequestListener } from 'node:http';
import type { Request } from 'express';
import express from 'express';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import { RpcRejected } from '../host/node-host';
import type { Logger } from '../logger';
import type { PeerFaults } from '../transport/faults';
import type { RpcRoute } from '../wire';
import { leaderAddrOf, parseRequest, responseBody, rpcRoutes } from '../wire';
import { arrivalTicket, inOrder } from './arrival-order';
import { addFaultRoutes } from './admin-faults';
import { errorBody, errorHandler, jsonBody, methodNotAllowed, notFound, sendJson } from './common';
import { corsFor } from './cors';
import { tokenCheck } from './guards';
import { HotRoutes } from './routes';
import { raftStatus } from './status';

export interface RaftAppDeps {
  config: Pick<NodeConfig, 'nodeId' | 'peers' | 'clusterToken' | 'raftBodyBytesMax' | 'raftUrl' | 'kvUrl' | 'corsOrigins' | 'faultInjection'>;
  host: NodeHost;
  faults: PeerFaults;
  logger: Logger;
}

const dropped = (self: string, peer: string) => errorBody('dropped', `${self} drops traffic with ${peer} (fault injection)`);

/** The Raft port's request listener: an Express app whose RPC routes are also hot routes (routes.ts). */
export function raftRequestListener(deps: RaftAppDeps): RequestListener {
  const { config, host, faults, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const cors = corsFor(config.corsOrigins);
  if (cors) app.use(cors);
  const onError = errorHandler(logger);
  const routes = new HotRoutes(app, [], onError);

  app.get('/raft/status', (_req, res) => sendJson(res, 200, raftStatus(host, config)));
  app.all('/raft/status', methodNotAllowed(['GET', 'HEAD']));

  for (const route of Object.keys(rpcRoutes) as RpcRoute[]) {
    const path = `/raft/${route}`;
    routes.add('POST', path, arrivalTicket(), tokenCheck(config.clusterToken, logger), jsonBody(config.raftBodyBytesMax), (req, res, next) => {
      const parsed = parseRequest(route, req.body, config.nodeId);
      if (!parsed.ok) return void sendJson(res, 400, errorBody('bad_request', parsed.error));
      // Any sender is heard, members or not (Raft thesis 4.1: the caller's configuration governs,
      // and the core's rules never depend on the sender being a member). A node refusing senders it
      // has not heard of could never follow a leader that joined while it was away, nor vote for a
      // new voter it has no entry for yet, and a cluster can deadlock on that.
      const from = parsed.value.from;
      if (from === config.nodeId) return void sendJson(res, 400, errorBody('bad_request', `a message from ${from} to itself`));
      if (faults.dropsFrom(from)) return void sendJson(res, 503, dropped(config.nodeId, from));
      inOrder(req as Request, () => {
        host.handleRpc(parsed.value, leaderAddrOf(route, req.body)).then(
          (answer) => (faults.dropsTo(from) ? sendJson(res, 503, dropped(config.nodeId, from)) : sendJson(res, 200, responseBody(answer))),
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
  addFaultRoutes(app, { config, faults, logger });

  app.use(notFound);
  app.use(onError);
  return routes.listener();
}
