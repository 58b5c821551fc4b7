/**
 * The KV API in-process (docs/api.md): every row of the tables, and bad input for every
 * endpoint: the documented status and body, the state unchanged, the node still serving.
 */
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/common';
import type { Reply, TestNode } from './support/in-process-node';
import { call, startTestNode, until } from './support/in-process-node';
import { captureLogger } from './support/capture-logger';

const put = (t: TestNode, body: string, headers: Record<string, string> = {}) => call(`${t.kv}/set`, { method: 'PUT', body, headers });
const badJson = { ok: false, error: 'bad_request', message: 'invalid JSON body' };
const emptyKey = { ok: false, error: 'bad_request', message: 'key cannot be empty' };

describe('KV API on a single-node leader', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ KV_KEY_BYTES_MAX: '64', KV_VALUE_BYTES_MAX: '1000', KV_BODY_BYTES_MAX: '4000' });
    await until('a leader', () => t.node.host.raft.role === 'leader');
  });
  afterAll(() => t.stop());

  it('stores, reads and deletes', async () => {
    expect(await put(t, '{"key":"name","value":"luffy"}')).toMatchObject({ status: 200, body: { ok: true, message: 'stored', key: 'name' } });
    expect(await call(`${t.kv}/get?key=name`)).toMatchObject({ status: 200, body: { ok: true, key: 'name', value: 'luffy' } });
    expect((await call(`${t.kv}/get?key=name&consistency=stale`)).body).toEqual({ ok: true, key: 'name', value: 'luffy', stale: true });
    expect(await call(`${t.kv}/delete?key=name`, { method: 'DELETE' })).toMatchObject({ status: 200, body: { ok: true, message: 'deleted', key: 'name' } });
    expect(await call(`${t.kv}/get?key=name`)).toMatchObject({ status: 404, body: { ok: false, error: 'not_found', message: 'key not found' } });
  });

  it('stores and returns an empty value', async () => {
    expect((await put(t, '{"key":"empty","value":""}')).status).toBe(200);
    expect((await call(`${t.kv}/get?key=empty`)).body).toEqual({ ok: true, key: 'empty', value: '' });
  });

  it('deletes a missing key as a committed no-op and keeps applying (reference bug: wedged apply loop)', async () => {
    expect(await call(`${t.kv}/delete?key=never-set`, { method: 'DELETE' })).toMatchObject({ status: 200, body: { ok: true, message: 'deleted', key: 'never-set' } });
    expect((await put(t, '{"key":"after","value":"1"}')).status).toBe(200);
    expect((await call(`${t.kv}/get?key=after`)).body.value).toBe('1');
  });

  it('accepts a body without a JSON content type (curl -d)', async () => {
    const r = await put(t, '{"key":"curl","value":"x"}', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(r.status).toBe(200);
  });

  it('echoes X-Request-ID, or makes one', async () => {
    expect((await call(`${t.kv}/health`, { headers: { 'x-request-id': 'abc-123' } })).headers.get('x-request-id')).toBe('abc-123');
    expect((await call(`${t.kv}/health`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(t.lines.some((l) => /\[http\] abc-123 GET \/health 200 [\d.]+ms/.test(l))).toBe(true);
  });

  it('reports health', async () => {
    const r = await call(`${t.kv}/health`);
    expect(r.body).toEqual({
      id: 'n1', addr: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), peers: [], peersCount: 0, state: 'leader',
      term: expect.any(Number), leaderId: 'n1', leader: expect.any(String), lastHeartbeatAgoMs: 0,
      commitIndex: t.node.host.raft.commitIndex, lastApplied: t.node.host.replica.kv.appliedIndex,
    });
    expect(r.body.lastApplied).toBeGreaterThan(0);
  });

  /** Extra headers on every request of the table: which door of the KV port it goes through. */
  let doorHeaders: Record<string, string> = {};
  const kv = (path: string, init: RequestInit = {}) => call(`${t.kv}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...doorHeaders } });
  const putVia = (body: string) => kv('/set', { method: 'PUT', body });

  const badRequests: [string, () => Promise<Reply>, number, Record<string, unknown>][] = [
    ['PUT /set with malformed JSON', () => putVia('{"key": "a", '), 400, badJson],
    ['PUT /set with no body', () => putVia(''), 400, badJson],
    ['PUT /set with a JSON array', () => putVia('["a","b"]'), 400, badJson],
    ['PUT /set with a JSON string', () => putVia('"a"'), 400, badJson],
    ['PUT /set with a numeric key', () => putVia('{"key":1,"value":"x"}'), 400, badJson],
    ['PUT /set with a numeric value', () => putVia('{"key":"a","value":5}'), 400, badJson],
    ['PUT /set without a value', () => putVia('{"key":"a"}'), 400, badJson],
    ['PUT /set with an empty key', () => putVia('{"key":"","value":"x"}'), 400, emptyKey],
    ['PUT /set with a whitespace key', () => putVia('{"key":"  \\t","value":"x"}'), 400, emptyKey],
    ['PUT /set with a key over the limit', () => putVia(JSON.stringify({ key: 'k'.repeat(65), value: 'x' })), 413, { ok: false, error: 'too_large', message: 'key larger than 64 bytes' }],
    ['PUT /set with a value over the limit', () => putVia(JSON.stringify({ key: 'a', value: 'v'.repeat(1001) })), 413, { ok: false, error: 'too_large', message: 'value larger than 1000 bytes' }],
    ['PUT /set with a body over the limit', () => putVia(JSON.stringify({ key: 'a', value: 'v'.repeat(5000) })), 413, { ok: false, error: 'too_large', message: 'request body too large' }],
    ['GET /get without a key', () => kv(`/get`), 400, emptyKey],
    ['GET /get with an empty key', () => kv(`/get?key=`), 400, emptyKey],
    ['GET /get with a whitespace key', () => kv(`/get?key=%20`), 400, emptyKey],
    ['GET /get with the key twice', () => kv(`/get?key=a&key=b`), 400, { ok: false, error: 'bad_request', message: 'key must be given once' }],
    ['GET /get with an unknown consistency', () => kv(`/get?key=a&consistency=eventual`), 400, { ok: false, error: 'bad_request', message: 'consistency must be linearizable or stale' }],
    ['GET /get with a key over the limit', () => kv(`/get?key=${'k'.repeat(65)}`), 413, { ok: false, error: 'too_large', message: 'key larger than 64 bytes' }],
    ['DELETE /delete without a key', () => kv(`/delete`, { method: 'DELETE' }), 400, emptyKey],
    ['DELETE /delete with an empty key', () => kv(`/delete?key=`, { method: 'DELETE' }), 400, emptyKey],
    ['GET /set', () => kv(`/set`), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['POST /set', () => kv(`/set`, { method: 'POST', body: '{"key":"a","value":"b"}' }), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['POST /get', () => kv(`/get?key=a`, { method: 'POST' }), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['GET /delete', () => kv(`/delete?key=a`), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['PUT /health', () => kv(`/health`, { method: 'PUT' }), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['GET on an unknown route', () => kv(`/nope`), 404, { ok: false, error: 'not_found', message: 'no route for GET /nope' }],
    ['PUT on an unknown route', () => kv(`/keys/a`, { method: 'PUT', body: '{}' }), 404, { ok: false, error: 'not_found', message: 'no route for PUT /keys/a' }],
  ];

  // Every request twice: by the hot routes, and (with an Origin header) through Express (routes.ts).
  it.each([['the hot routes', {}], ['Express', { origin: 'http://page.test' }]])('answers bad input with the documented status, changes nothing, and keeps serving (%s)', async (_door, headers) => {
    doorHeaders = headers;
    const before = t.node.host.raft.lastIndex;
    for (const [what, send, status, body] of badRequests) {
      const r = await send();
      expect({ what, status: r.status, body: r.body }).toEqual({ what, status, body });
      expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect(t.node.host.raft.lastIndex).toBe(before);
    expect((await kv(`/get?key=a`)).status).toBe(404);
    expect((await putVia('{"key":"still","value":"serving"}')).status).toBe(200);
    expect((await kv(`/get?key=still`)).body).toEqual({ ok: true, key: 'still', value: 'serving' });
    expect((await kv(`/delete?key=still`, { method: 'DELETE' })).body).toEqual({ ok: true, message: 'deleted', key: 'still' });
    expect(t.fatal).toEqual([]);
  });

  it('answers 413 to a streamed body (no Content-Length) over the limit, and keeps serving', async () => {
    const { port } = new URL(t.kv);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'PUT', path: '/set', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(500));
      req.end();
    });
    expect(status).toBe(413);
    expect((await call(`${t.kv}/health`)).status).toBe(200);
  });

  it('names the allowed methods on a 405', async () => {
    expect((await call(`${t.kv}/set`)).headers.get('allow')).toBe('PUT');
  });

  it('logs one [apply] line per applied index, in order', () => {
    const applied = t.lines.map((l) => /^\[apply\] index=(\d+)/.exec(l)?.[1]).filter(Boolean).map(Number);
    expect(applied.length).toBeGreaterThan(3);
    expect(applied).toEqual(applied.map((_, i) => applied[0]! + i));
    expect(t.lines).toContain(`[apply] index=${applied[1]} op=set key=name value=luffy`);
  });
});

describe('KV API on a node without a leader', () => {
  let t: TestNode;
  // Peers that do not exist: this node can never win an election.
  beforeAll(async () => {
    t = await startTestNode({ PEERS: 'http://127.0.0.1:1,http://127.0.0.1:2', PEER_IDS: 'n2,n3', PEER_KV_URLS: 'http://127.0.0.1:3,http://127.0.0.1:4' });
  });
  afterAll(() => t.stop());

  it('refuses writes with 409 not_leader and no hint while it knows no leader', async () => {
    expect(await put(t, '{"key":"a","value":"b"}')).toMatchObject({ status: 409, body: { ok: false, error: 'not_leader', message: 'not leader' } });
    expect((await put(t, '{"key":"a","value":"b"}')).body).not.toHaveProperty('leader');
    expect((await call(`${t.kv}/delete?key=a`, { method: 'DELETE' })).status).toBe(409);
  });

  it('checks the key before the leader', async () => {
    expect((await put(t, '{"key":" ","value":"b"}')).body).toEqual(emptyKey);
  });

  it('answers a linearizable read with 503 and a stale read locally', async () => {
    expect(await call(`${t.kv}/get?key=a`)).toMatchObject({ status: 503, body: { ok: false, error: 'unavailable' } });
    expect((await call(`${t.kv}/get?key=a&consistency=stale`)).status).toBe(404);
  });
});

describe('the error handler', () => {
  it('answers an unexpected error with 500 JSON, logs it, and never shows the stack', async () => {
    const { logger, lines } = captureLogger();
    const app = express();
    app.get('/boom', () => {
      throw new Error('secret internals');
    });
    app.use(errorHandler(logger));
    const server = http.createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const r = await call(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
      expect(r).toMatchObject({ status: 500, body: { ok: false, error: 'internal', message: 'internal error' } });
      expect(JSON.stringify(r.body)).not.toContain('secret');
      expect(lines.some((l) => l.includes('GET /boom failed'))).toBe(true);
    } finally {
      server.close();
    }
  });
});
