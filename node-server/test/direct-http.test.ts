/**
 * The KV port's direct door (src/http/direct-http.ts): it reads the simplest requests for the hot
 * routes itself and gives a connection to node:http, with every byte not yet answered, at its
 * first request of any other form. Both readers run the same handlers, so the answers match.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler, jsonBody, notFound, requestIdAndLog, sendJson } from '../src/http/common';
import { parseDirect, putDirectDoor } from '../src/http/direct-http';
import { HotRoutes } from '../src/http/routes';
import { captureLogger } from './support/capture-logger';
import type { TestNode } from './support/in-process-node';
import { startTestNode, until } from './support/in-process-node';

const hot = { has: (method: string, path: string) => `${method} ${path}` === 'GET /get' || `${method} ${path}` === 'PUT /set' };
const head = (lines: string[]) => Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');

describe('parseDirect', () => {
  const get = ['GET /get?key=a HTTP/1.1', 'Host: x'];

  it('reads a request of the simplest form, and only its own bytes', () => {
    const body = '{"key":"a","value":"b"}';
    const one = Buffer.concat([head(['PUT /set HTTP/1.1', 'Host: x', `Content-Length: ${body.length}`, 'X-Request-ID:  r1 ']), Buffer.from(body)]);
    const parsed = parseDirect(Buffer.concat([one, head(get)]), hot, 100);
    expect(parsed.kind).toBe('request');
    if (parsed.kind !== 'request') return;
    expect(parsed.bytes).toBe(one.length);
    expect(parsed.request).toMatchObject({ method: 'PUT', url: '/set', headers: { host: 'x', 'content-length': String(body.length), 'x-request-id': 'r1' } });
    expect(parsed.request.body.toString()).toBe(body);
    expect(parseDirect(head(get), hot, 100)).toMatchObject({ kind: 'request', request: { url: '/get?key=a', body: Buffer.alloc(0) } });
  });

  it('waits for the rest of a head or a body', () => {
    expect(parseDirect(Buffer.from('GET /get?key=a HTTP/1.1\r\nHost: x\r\n'), hot, 100)).toEqual({ kind: 'incomplete' });
    expect(parseDirect(Buffer.concat([head(['PUT /set HTTP/1.1', 'Host: x', 'Content-Length: 10']), Buffer.from('12345')]), hot, 100)).toEqual({ kind: 'incomplete' });
  });

  const handedOff: [string, Buffer][] = [
    ['a route that is not hot', head(['GET /health HTTP/1.1', 'Host: x'])],
    ['another spelling of a hot path', head(['GET /GET?key=a HTTP/1.1', 'Host: x'])],
    ['HTTP/1.0', head(['GET /get?key=a HTTP/1.0', 'Host: x'])],
    ['a method in lower case', head(['get /get?key=a HTTP/1.1', 'Host: x'])],
    ['an Origin (a browser: CORS)', head([...get, 'Origin: http://page.test'])],
    ['Expect: 100-continue', head(['PUT /set HTTP/1.1', 'Host: x', 'Content-Length: 2', 'Expect: 100-continue'])],
    ['a chunked body', head(['PUT /set HTTP/1.1', 'Host: x', 'Transfer-Encoding: chunked'])],
    ['Upgrade', head([...get, 'Upgrade: websocket'])],
    ['Connection: close', head([...get, 'Connection: close'])],
    ['no Host', head(['GET /get?key=a HTTP/1.1'])],
    ['a header given twice', head([...get, 'Content-Length: 0', 'content-length: 0'])],
    ['a folded header line', head([...get, 'X-A: 1', ' 2'])],
    ['a header name with a space', head([...get, 'X A: 1'])],
    ['a control character in a value', head([...get, 'X-A: 1\u00012'])],
    ['a byte past ASCII in a value', head([...get, 'X-A: caf\u00e9'])],
    ['a Content-Length that is not a number', head(['PUT /set HTTP/1.1', 'Host: x', 'Content-Length: 1e2'])],
    ['a body over the limit', head(['PUT /set HTTP/1.1', 'Host: x', 'Content-Length: 101'])],
    ['a head over 16 KiB', head([...get, `X-A: ${'a'.repeat(16 * 1024)}`])],
    ['16 KiB without the end of a head', Buffer.from(`GET /get?key=a HTTP/1.1\r\nX-A: ${'a'.repeat(16 * 1024)}`)],
    ['lines ended by a bare LF', Buffer.from('GET /get?key=a HTTP/1.1\nHost: x\n\n')],
    ['a bare LF in a head not yet whole', Buffer.from('GET /get?key=a HTTP/1.1\r\nHost: x\n')],
  ];
  it.each(handedOff)('gives node:http %s', (_what, buf) => {
    expect(parseDirect(buf, hot, 100)).toEqual({ kind: 'handOff' });
  });
});

/** A connection that collects whole answers (status, headers, Content-Length body) as they arrive. */
class RawClient {
  readonly socket: net.Socket;
  readonly answers: { status: number; headers: Record<string, string>; body: string }[] = [];
  closed = false;
  private buffered = Buffer.alloc(0);

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      for (;;) {
        const end = this.buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [statusLine, ...lines] = this.buffered.toString('latin1', 0, end).split('\r\n');
        const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
        const status = Number(statusLine!.split(' ')[1]);
        // 100 Continue has no body.
        const length = status === 100 ? 0 : Number(headers['content-length'] ?? 0);
        if (this.buffered.length < end + 4 + length) return;
        if (status !== 100) this.answers.push({ status, headers, body: this.buffered.toString('utf8', end + 4, end + 4 + length) });
        this.buffered = this.buffered.subarray(end + 4 + length);
      }
    });
    this.socket.on('close', () => {
      this.closed = true;
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  async answersAtLeast(n: number): Promise<RawClient['answers']> {
    await until(`${n} answers`, () => this.answers.length >= n);
    return this.answers;
  }
}

describe('the direct door in front of node:http', () => {
  const { logger } = captureLogger();
  let server: http.Server;
  let port = 0;
  const waiting: (() => void)[] = [];

  beforeAll(async () => {
    const app = express();
    const log = requestIdAndLog(logger, false);
    app.use(log);
    const routes = new HotRoutes(app, [log], errorHandler(logger));
    const door = (req: express.Request) => (req instanceof http.IncomingMessage ? (req.app === undefined ? 'node' : 'express') : 'direct');
    routes.add('GET', '/echo', (req, res) => sendJson(res, 200, {
      door: door(req), query: req.query, path: req.path, url: req.originalUrl, requestId: res.locals.requestId as unknown, from: req.socket.remoteAddress,
    }));
    routes.add('PUT', '/body', jsonBody(100), (req, res) => sendJson(res, 200, { door: door(req), body: req.body as unknown }));
    routes.add('GET', '/wait', (req, res) => {
      waiting.push(() => sendJson(res, 200, { door: door(req), waited: true }));
    });
    routes.add('GET', '/throws', () => {
      throw new Error('thrown secret');
    });
    app.use(notFound);
    app.use(errorHandler(logger));
    server = http.createServer(routes.listener());
    putDirectDoor(server, routes.direct(), 100);
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const req = (line: string, headers: string[] = [], body = '') => `${line}\r\nHost: t\r\n${[...headers, ...(body ? [`Content-Length: ${Buffer.byteLength(body)}`] : [])].map((h) => `${h}\r\n`).join('')}\r\n${body}`;

  it('serves a hot route itself, with the query, path, request id and headers node:http would give', async () => {
    const c = new RawClient(port);
    c.write(req('GET /echo?key=a&key=b&x=%20y HTTP/1.1', ['X-Request-ID: mine']));
    const [a] = await c.answersAtLeast(1);
    expect(a!.status).toBe(200);
    expect(JSON.parse(a!.body)).toEqual({ door: 'direct', query: { key: ['a', 'b'], x: ' y' }, path: '/echo', url: '/echo?key=a&key=b&x=%20y', requestId: 'mine', from: '127.0.0.1' });
    expect(a!.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'mine', connection: 'keep-alive', 'keep-alive': 'timeout=5' });
    expect(a!.headers.date).toMatch(/ GMT$/);
    c.socket.destroy();
  });

  it('gives node:http the connection at its first request of another form, with the bytes not yet answered', async () => {
    const c = new RawClient(port);
    // One write: a hot request, one for a path Express answers, a hot one again (node:http's now).
    c.write(req('GET /echo?n=1 HTTP/1.1') + req('GET /nope HTTP/1.1') + req('GET /echo?n=3 HTTP/1.1'));
    const answers = await c.answersAtLeast(3);
    expect(answers.map((a) => [a.status, (JSON.parse(a.body) as { door?: string }).door])).toEqual([[200, 'direct'], [404, undefined], [200, 'node']]);
    c.socket.destroy();
  });

  it('leaves to node:http a chunked body, Expect: 100-continue, Connection: close and a body over the limit, and they are answered as before', async () => {
    const chunked = new RawClient(port);
    chunked.write('PUT /body HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n{"a":1}\r\n0\r\n\r\n');
    expect(JSON.parse((await chunked.answersAtLeast(1))[0]!.body)).toEqual({ door: 'node', body: { a: 1 } });
    chunked.socket.destroy();

    const expecting = new RawClient(port);
    expecting.write(req('PUT /body HTTP/1.1', ['Expect: 100-continue'], '{"a":2}'));
    expect(JSON.parse((await expecting.answersAtLeast(1))[0]!.body)).toEqual({ door: 'node', body: { a: 2 } });
    expecting.socket.destroy();

    const closing = new RawClient(port);
    closing.write(req('GET /echo HTTP/1.1', ['Connection: close']));
    expect(JSON.parse((await closing.answersAtLeast(1))[0]!.body)).toMatchObject({ door: 'node' });
    await until('the connection closed', () => closing.closed);

    const large = new RawClient(port);
    large.write(req('PUT /body HTTP/1.1', [], JSON.stringify({ a: 'x'.repeat(200) })));
    const [tooLarge] = await large.answersAtLeast(1);
    expect([tooLarge!.status, JSON.parse(tooLarge!.body)]).toEqual([413, { ok: false, error: 'too_large', message: 'request body too large' }]);
    large.socket.destroy();
  });

  it('reads a request that arrives a byte at a time', async () => {
    const c = new RawClient(port);
    const text = req('PUT /body HTTP/1.1', [], '{"k":"v"}');
    for (const ch of text) {
      c.write(ch);
      await new Promise((r) => setImmediate(r));
    }
    expect(JSON.parse((await c.answersAtLeast(1))[0]!.body)).toEqual({ door: 'direct', body: { k: 'v' } });
    c.socket.destroy();
  });

  it('answers requests sent without waiting in the order they were sent, reading each only once the one before is answered', async () => {
    const c = new RawClient(port);
    c.write(req('GET /wait HTTP/1.1') + req('GET /echo?after=wait HTTP/1.1'));
    await until('the first request waits', () => waiting.length === 1);
    // The second is complete in the buffer, yet unread: nothing is answered before the first.
    expect(c.answers).toEqual([]);
    waiting.shift()!();
    const answers = await c.answersAtLeast(2);
    expect(answers.map((a) => JSON.parse(a.body) as Record<string, unknown>)).toEqual([
      { door: 'direct', waited: true },
      { door: 'direct', query: { after: 'wait' }, path: '/echo', url: '/echo?after=wait', requestId: expect.any(String) as unknown, from: '127.0.0.1' },
    ]);
    c.socket.destroy();
  });

  it('answers a bad body, a thrown error and a malformed request as node:http would', async () => {
    const c = new RawClient(port);
    c.write(req('PUT /body HTTP/1.1', [], '{"a":') + req('GET /throws HTTP/1.1'));
    const answers = await c.answersAtLeast(2);
    expect(answers.map((a) => [a.status, JSON.parse(a.body)])).toEqual([
      [400, { ok: false, error: 'bad_request', message: 'invalid JSON body' }],
      [500, { ok: false, error: 'internal', message: 'internal error' }],
    ]);
    // A request line node:http refuses: it is handed over and node:http answers 400 and closes.
    c.write('GET /echo HTTP/1.1 extra\r\nHost: t\r\n\r\n');
    await c.answersAtLeast(3);
    expect(answers[2]!.status).toBe(400);
    await until('the connection closed', () => c.closed);
  });

  it('leaves a request with bare LF line ends to node:http, which refuses it, instead of waiting for a CRLF', async () => {
    const c = new RawClient(port);
    c.write('GET /echo HTTP/1.1\nHost: t\n\n');
    expect((await c.answersAtLeast(1))[0]!.status).toBe(400);
    await until('the connection closed', () => c.closed);
  });

  it('answers what a client sent before it stopped sending, then closes', async () => {
    const c = new RawClient(port);
    c.socket.end(req('GET /echo?last=1 HTTP/1.1'));
    expect(JSON.parse((await c.answersAtLeast(1))[0]!.body)).toMatchObject({ door: 'direct', query: { last: '1' } });
    await until('the connection closed', () => c.closed);
  });
});

describe('closing a server with the direct door', () => {
  it('closes idle connections after the keep-alive timeout; server.close() closes idle ones at once and the others once answered', async () => {
    const app = express();
    const routes = new HotRoutes(app, [], errorHandler(captureLogger().logger));
    const held: (() => void)[] = [];
    routes.add('GET', '/hold', (_req, res) => {
      held.push(() => sendJson(res, 200, {}));
    });
    routes.add('GET', '/now', (_req, res) => sendJson(res, 200, {}));
    const server = http.createServer(routes.listener());
    server.keepAliveTimeout = 300;
    putDirectDoor(server, routes.direct(), 100);
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;

    const idle = new RawClient(port);
    idle.write('GET /now HTTP/1.1\r\nHost: t\r\n\r\n');
    await idle.answersAtLeast(1);
    expect(idle.answers[0]!.headers['keep-alive']).toBe('timeout=0');
    await until('the idle connection closed by the keep-alive timeout', () => idle.closed);

    server.keepAliveTimeout = 60_000;
    const quiet = new RawClient(port);
    quiet.write('GET /now HTTP/1.1\r\nHost: t\r\n\r\n');
    await quiet.answersAtLeast(1);
    const busy = new RawClient(port);
    busy.write('GET /hold HTTP/1.1\r\nHost: t\r\n\r\n');
    await until('the request is held', () => held.length === 1);
    // close() closes the idle connection at once; the busy one is answered, then closed.
    const closed = new Promise<void>((r) => server.close(() => r()));
    await until('the quiet connection closed', () => quiet.closed);
    expect(busy.closed).toBe(false);
    held.shift()!();
    expect((await busy.answersAtLeast(1))[0]!.headers.connection).toBe('close');
    await until('the busy connection closed', () => busy.closed);
    await closed;
  });
});

describe('both readers of the KV port answer alike', () => {
  let direct: TestNode;
  let viaNode: TestNode;
  beforeAll(async () => {
    const env = { KV_KEY_BYTES_MAX: '16', KV_VALUE_BYTES_MAX: '64', KV_BODY_BYTES_MAX: '200' };
    [direct, viaNode] = await Promise.all([startTestNode(env), startTestNode({ ...env, KV_DIRECT_HTTP: 'off' })]);
    await until('two leaders', () => direct.node.host.raft.role === 'leader' && viaNode.node.host.raft.role === 'leader');
  });
  afterAll(() => Promise.all([direct.stop(), viaNode.stop()]));

  const requests: [string, string, RequestInit][] = [
    ['a write', '/set', { method: 'PUT', body: '{"key":"k","value":"v"}' }],
    ['a read', '/get?key=k', {}],
    ['a stale read', '/get?key=k&consistency=stale', {}],
    ['a missing key', '/get?key=none', {}],
    ['a repeated key', '/get?key=a&key=b', {}],
    ['a bad consistency', '/get?key=k&consistency=maybe', {}],
    ['bad JSON', '/set', { method: 'PUT', body: '{"key":' }],
    ['an empty key', '/set', { method: 'PUT', body: '{"key":" ","value":"v"}' }],
    ['a key over the limit', '/set', { method: 'PUT', body: JSON.stringify({ key: 'k'.repeat(17), value: 'v' }) }],
    ['a value over the limit', '/set', { method: 'PUT', body: JSON.stringify({ key: 'k', value: 'v'.repeat(65) }) }],
    ['a body over the limit', '/set', { method: 'PUT', body: JSON.stringify({ key: 'k', value: 'v'.repeat(300) }) }],
    ['a half session', '/set', { method: 'PUT', body: '{"key":"k","value":"v"}', headers: { 'Client-Id': '1' } }],
    ['a caller\'s request id', '/get?key=k', { headers: { 'X-Request-ID': 'abc-1' } }],
    ['a request id with a space', '/get?key=k', { headers: { 'X-Request-ID': 'a b' } }],
    ['a delete', '/delete?key=k', { method: 'DELETE' }],
    ['a compare-and-swap without a session', '/cas', { method: 'PUT', body: '{"key":"k","expected":null,"value":"w"}' }],
    ['a range', '/range?prefix=k&limit=5', {}],
  ];
  it.each(requests)('%s', async (_what, path, init) => {
    const [a, b] = await Promise.all([fetch(direct.kv + path, init), fetch(viaNode.kv + path, init)]);
    const summary = async (r: Response) => ({
      status: r.status,
      body: await r.text(),
      type: r.headers.get('content-type'),
      requestId: (r.headers.get('x-request-id') ?? '').replace(/^[0-9a-f-]{36}$/, '<uuid>'),
      connection: r.headers.get('connection'),
      keepAlive: r.headers.get('keep-alive'),
    });
    expect(await summary(a)).toEqual(await summary(b));
  });

  it('logs one access line per request either way', async () => {
    for (const t of [direct, viaNode]) {
      await fetch(`${t.kv}/get?key=logged`, { headers: { 'X-Request-ID': 'log-me' } });
      await until('the access line', () => t.lines.some((l) => /\[http\] log-me GET \/get\?key=logged 404 [0-9.]+ms/.test(l)));
    }
  });
});
