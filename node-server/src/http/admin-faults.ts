/**
 * GET/POST /admin/faults on the Raft port (core/src/live.ts): read or replace this node's injected
 * network faults. Only when the node starts with RAFT_FAULT_INJECTION (otherwise the path is 404),
 * only from loopback (403 otherwise, with a log line), only with the cluster token when one is set
 * (401), and never for a browser page of a foreign origin (403).
 */
import type { LiveFaults } from '@raft-kv/core';
import type { Express } from 'express';
import { z } from 'zod';
import type { NodeConfig } from '../config';
import type { Logger } from '../logger';
import type { PeerFaults } from '../transport/faults';
import { errorBody, jsonBody, methodNotAllowed, sendJson } from './common';
import { loopbackOnly, ownOriginsOnly, tokenCheck } from './guards';

const faultsBodyBytesMax = 16 * 1024;
const ids = z.array(z.string()).max(1024).optional();
const faultsSchema = z.strictObject({ dropTo: ids, dropFrom: ids });

export interface AdminFaultsDeps {
  config: Pick<NodeConfig, 'nodeId' | 'clusterToken' | 'corsOrigins' | 'faultInjection'>;
  faults: PeerFaults;
  logger: Logger;
}

export function addFaultRoutes(app: Express, deps: AdminFaultsDeps): void {
  const { config, faults, logger } = deps;
  if (!config.faultInjection) return;
  const guards = [loopbackOnly(logger), ownOriginsOnly(config.corsOrigins, logger), tokenCheck(config.clusterToken, logger)];
  app.get('/admin/faults', ...guards, (_req, res) => sendJson(res, 200, faults.get()));
  app.post('/admin/faults', ...guards, jsonBody(faultsBodyBytesMax), (req, res) => {
    const parsed = faultsSchema.safeParse(req.body ?? {});
    if (!parsed.success) return sendJson(res, 400, errorBody('bad_request', 'body must be {"dropTo"?: [ids], "dropFrom"?: [ids]}'));
    try {
      faults.set(parsed.data as LiveFaults);
    } catch (err) {
      return sendJson(res, 400, errorBody('bad_request', (err as Error).message));
    }
    logger.info(`[faults] ${config.nodeId} now ${faults.describe()}`);
    sendJson(res, 200, faults.get());
  });
  app.all('/admin/faults', methodNotAllowed(['GET', 'HEAD', 'POST']));
}
