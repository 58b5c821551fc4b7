/**
 * HotRoutes (src/http/routes.ts): a request for a hot route's exact method and path, without an
 * Origin header, skips Express and runs the same handlers, with the Express fields they read; every
 * other request goes through Express. Errors reach the app's error handler by either door.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, jsonBody, notFound, sendJson } from '../src/http/common';
import { HotRoutes } from '../src/http/routes';
import { captureLogger } from './support/capture-logger';
import { call } from './support/in-process-node';

describe('HotRoutes', () => {
  const { logger, lines } = captureLogger();
  let server: http.Server;
  let base = '';
  const order: string[] = [];

  beforeAll(async () => {
    const app = express();
    const before: express.RequestHandler = (_req, res, next) => {
      res.locals.tag = 'before';
      next();
    };
    app.use(before);
    const routes = new HotRoutes(app, [before], errorHandler(logger));
    // req.app exists only on a request Express has handled: it tells the two doors apart.
    routes.add('GET', '/echo', (req, res) => sendJson(res, 200, { viaExpress: req.app !== undefined, query: req.query, path: req.path, url: req.originalUrl, tag: res.locals.tag }));
    routes.add('PUT', '/body', jsonBody(100), (req, res, next) => {
      order.push('first');
      next();
    }, (req, res) => sendJson(res, 200, { body: req.body as unknown }));
    routes.add('GET', '/throws', () => {
      throw new Error('thrown secret');
    });
    routes.add('GET', '/rejects', async () => {
      await Promise.resolve();
      throw new Error('rejected secret');
    });
    routes.add('GET', '/no-answer', (_req, _res, next) => next());
    app.use(notFound);
    app.use(errorHandler(logger));
    server = http.createServer(routes.listener()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('serves the exact method and path without Express, with the query, path and locals handlers read', async () => {
    const r = await call(`${base}/echo?key=a&key=b&x=%20y`);
    expect(r.body).toEqual({ viaExpress: false, query: { key: ['a', 'b'], x: ' y' }, path: '/echo', url: '/echo?key=a&key=b&x=%20y', tag: 'before' });
  });

  it('leaves to Express a request with an Origin header, another spelling of the path, or another method', async () => {
    const viaOrigin = await call(`${base}/echo?key=a&key=b&x=%20y`, { headers: { origin: 'http://page.test' } });
    expect(viaOrigin.body).toEqual({ viaExpress: true, query: { key: ['a', 'b'], x: ' y' }, path: '/echo', url: '/echo?key=a&key=b&x=%20y', tag: 'before' });
    expect((await call(`${base}/ECHO`)).body.viaExpress).toBe(true);
    expect((await call(`${base}/echo/`)).body.viaExpress).toBe(true);
    expect(await call(`${base}/echo`, { method: 'POST' })).toMatchObject({ status: 404, body: { error: 'not_found' } });
  });

  it('runs a chain of handlers in order and the body middleware before them', async () => {
    expect((await call(`${base}/body`, { method: 'PUT', body: '{"a":1}' })).body).toEqual({ body: { a: 1 } });
    expect(order).toEqual(['first']);
    expect(await call(`${base}/body`, { method: 'PUT', body: '{"a":' })).toMatchObject({ status: 400, body: { error: 'bad_request' } });
    expect(await call(`${base}/body`, { method: 'PUT', body: 'x'.repeat(200) })).toMatchObject({ status: 413, body: { error: 'too_large' } });
  });

  it('hands a thrown error and a rejected promise to the error handler by either door', async () => {
    for (const headers of [{}, { origin: 'http://page.test' }] as Record<string, string>[]) {
      for (const path of ['/throws', '/rejects']) {
        const r = await call(`${base}${path}`, { headers });
        expect(r).toMatchObject({ status: 500, body: { ok: false, error: 'internal', message: 'internal error' } });
        expect(JSON.stringify(r.body)).not.toContain('secret');
      }
    }
    expect(lines.filter((l) => /GET \/(throws|rejects) failed/.test(l))).toHaveLength(4);
  });

  it('answers 500 when a hot route ends without answering (there is no later route to fall through to)', async () => {
    expect(await call(`${base}/no-answer`)).toMatchObject({ status: 500, body: { error: 'internal' } });
    expect(lines.some((l) => l.includes('GET /no-answer failed'))).toBe(true);
  });
});
