/**
 * The KV port's routes beyond the reference's three (docs/api.md, docs/clients.md):
 * POST /session opens a client session, PUT /cas swaps a value only if the key holds what the
 * client expects, GET /range reads the keys with a prefix. They are hot routes (routes.ts) like
 * /set and /get: both doors run these same handlers.
 */
import type { Express } from 'express';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import { jsonBody, methodNotAllowed } from './common';
import { badRequest, checkConsistency, checkKey, checkPrefix, positiveInteger, queryParam, send, sessionOf, tooLarge } from './kv-input';
import type { HotRoutes } from './routes';

export interface ClientRoutesDeps {
  config: Pick<NodeConfig, 'keyBytesMax' | 'valueBytesMax' | 'kvBodyBytesMax' | 'sessionTimeoutMs'>;
  host: NodeHost;
}

/** The most pairs one GET /range returns, and how many when the client does not say. */
export const rangeLimitMax = 10_000;
export const rangeLimitDefault = 1_000;

export function addClientRoutes(app: Express, routes: HotRoutes, deps: ClientRoutesDeps): void {
  const { config, host } = deps;

  // No fields: the session's timeout is this leader's setting, written into the entry.
  routes.add('POST', '/session', jsonBody(1024), async (req, res) => {
    const body = req.body as unknown;
    const empty = body === undefined || (typeof body === 'object' && body !== null && !Array.isArray(body) && Object.keys(body).length === 0);
    if (!empty) return send(res, badRequest('POST /session takes no fields: send no body, or {}'));
    send(res, await host.write({ op: 'register', timeoutMs: config.sessionTimeoutMs }));
  });
  app.all('/session', methodNotAllowed(['POST']));

  routes.add('PUT', '/cas', jsonBody(config.kvBodyBytesMax), async (req, res) => {
    const session = sessionOf(req);
    if (!session.ok) return send(res, session.response);
    const body = req.body as { key?: unknown; expected?: unknown; value?: unknown } | null;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return send(res, badRequest('invalid JSON body'));
    if (typeof body.value !== 'string') return send(res, badRequest('value must be a string'));
    if (!('expected' in body) || (body.expected !== null && typeof body.expected !== 'string')) {
      return send(res, badRequest('expected must be a string, or null for "the key must not exist"'));
    }
    const key = checkKey(body.key, config.keyBytesMax);
    if (!key.ok) return send(res, key.response);
    for (const [name, text] of [['value', body.value], ['expected', body.expected ?? '']] as const) {
      if (Buffer.byteLength(text) > config.valueBytesMax) return send(res, tooLarge(`${name} larger than ${config.valueBytesMax} bytes`));
    }
    const command = { op: 'cas' as const, key: key.value, expected: body.expected, value: body.value };
    send(res, await host.write(session.value ? { ...command, session: session.value } : command));
  });
  app.all('/cas', methodNotAllowed(['PUT']));

  routes.add('GET', '/range', async (req, res) => {
    const prefixText = queryParam(req, 'prefix');
    const limitText = queryParam(req, 'limit');
    if (prefixText === null || limitText === null) return send(res, badRequest('prefix and limit must be given at most once'));
    const prefix = checkPrefix(prefixText, config.keyBytesMax);
    if (!prefix.ok) return send(res, prefix.response);
    const limit = limitText === undefined ? rangeLimitDefault : positiveInteger(limitText);
    if (limit === null || limit > rangeLimitMax) return send(res, badRequest(`limit must be a whole number from 1 to ${rangeLimitMax}`));
    const stale = checkConsistency(req);
    if (!stale.ok) return send(res, stale.response);
    send(res, await host.readRange(prefix.value, limit, stale.value));
  });
  app.all('/range', methodNotAllowed(['GET', 'HEAD']));
}
