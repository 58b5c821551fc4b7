/**
 * The benchmarks' hand-written HTTP/1.1 client (node-server/bench/http-client.ts): every figure in
 * the results files goes through it, so its framing (Content-Length, chunked, read-until-close),
 * its connection reuse and its failures are checked against node:http's server and raw sockets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClientError, httpRequest } from '../bench/http-client';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** Listens on an ephemeral port; afterEach closes the server and every connection it accepted. */
async function listen(server: http.Server | net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  }));
  return (server.address() as AddressInfo).port;
}

/** A node:http server that echoes method, path and body, counting the connections it accepts. */
async function echoServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ method: req.method, url: req.url, body: Buffer.concat(chunks).toString('utf8'), type: req.headers['content-type'] ?? null });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.on('connection', () => connections++);
  return { port: await listen(server), connections: () => connections };
}

describe('http-client', () => {
  it('sends method, path and a UTF-8 body, and reuses one connection for requests in sequence', async () => {
    const { port, connections } = await echoServer();
    for (let i = 0; i < 20; i++) {
      const r = await httpRequest(port, 'PUT', `/set?i=${i}`, JSON.stringify({ key: `k${i}`, value: 'välue' }), 2000);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ method: 'PUT', url: `/set?i=${i}`, body: JSON.stringify({ key: `k${i}`, value: 'välue' }), type: 'application/json' });
    }
    expect(connections()).toBe(1);
  });

  it('answers concurrent requests each with its own answer, one connection per request in flight', async () => {
    const { port, connections } = await echoServer();
    const answers = await Promise.all(Array.from({ length: 16 }, (_, i) => httpRequest(port, 'GET', `/get?key=${i}`, undefined, 2000)));
    expect(answers.map((a) => (JSON.parse(a.body) as { url: string }).url)).toEqual(Array.from({ length: 16 }, (_, i) => `/get?key=${i}`));
    expect(connections()).toBe(16);
    await Promise.all(Array.from({ length: 16 }, () => httpRequest(port, 'GET', '/', undefined, 2000)));
    expect(connections()).toBe(16);
  });

  it('reads a chunked binary body byte for byte, and a status without a body', async () => {
    const binary = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
    const server = http.createServer((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      // Several writes without a length: node:http frames them as chunks.
      for (let at = 0; at < binary.length; at += 9000) res.write(binary.subarray(at, at + 9000));
      res.end();
    });
    const port = await listen(server);
    const r = await httpRequest(port, 'GET', '/pprof', undefined, 2000);
    expect(r.status).toBe(200);
    expect(r.raw.equals(binary)).toBe(true);
    const empty = await httpRequest(port, 'GET', '/empty', undefined, 2000);
    expect([empty.status, empty.raw.length]).toEqual([204, 0]);
    // The connection is still usable after both framings.
    expect((await httpRequest(port, 'GET', '/pprof', undefined, 2000)).raw.equals(binary)).toBe(true);
  });

  it('reads a body that ends with the connection', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it'));
    });
    const port = await listen(server);
    const r = await httpRequest(port, 'GET', '/', undefined, 2000);
    expect([r.status, r.body]).toEqual([200, 'all of it']);
  });

  it('fails a request the server never answers, with a timeout, and the next one gets a new connection', async () => {
    let sockets = 0;
    const server = net.createServer((socket) => {
      sockets++;
      // The first connection is a black hole; later ones answer.
      if (sockets === 1) return;
      socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    });
    const port = await listen(server);
    const error = await httpRequest(port, 'GET', '/', undefined, 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpClientError);
    expect((error as HttpClientError).code).toBe('timeout');
    expect((await httpRequest(port, 'GET', '/', undefined, 2000)).body).toBe('ok');
    expect(sockets).toBe(2);
  });

  it('fails a request whose answer is cut off, and one answered with garbage', async () => {
    const server = net.createServer((socket) => {
      socket.once('data', (request: Buffer) => {
        if (request.toString().startsWith('GET /cut')) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this');
        else socket.end('SMTP ready\r\n\r\n');
      });
    });
    const port = await listen(server);
    await expect(httpRequest(port, 'GET', '/cut', undefined, 2000)).rejects.toMatchObject({ code: 'ECONNRESET' });
    await expect(httpRequest(port, 'GET', '/garbage', undefined, 2000)).rejects.toMatchObject({ code: 'protocol' });
  });

  it('fails a request to a port nobody listens on with the socket error', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    closers.pop();
    await expect(httpRequest(port, 'GET', '/', undefined, 2000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
