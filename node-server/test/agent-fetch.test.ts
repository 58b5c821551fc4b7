/** The fetch the nemesis's typed clients use to reach nodes through given agents (a tunnel, TLS). */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentFetch } from '../src/http/agent-fetch';

describe('agentFetch', () => {
  let server: http.Server;
  let base: string;
  const agent = new http.Agent({ keepAlive: true });
  let socketsCreated = 0;
  const counting = Object.assign(Object.create(agent) as http.Agent, {
    createConnection: (...args: Parameters<http.Agent['createConnection']>) => {
      socketsCreated++;
      return agent.createConnection(...args);
    },
  });
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/hang') return; // never answers: the caller aborts
        res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', 'x-seen': req.headers['client-id'] ?? '' });
        res.end(JSON.stringify({ method: req.method, url: req.url, body }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    agent.destroy();
  });

  it('sends the method, headers and string body through the given agent, and reads status, headers and body', async () => {
    const f = agentFetch({ http: counting, https: new https.Agent() });
    const res = await f(`${base}/set`, { method: 'PUT', headers: { 'Client-Id': '42', 'content-type': 'application/json' }, body: '{"key":"k"}' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-seen')).toBe('42');
    expect(await res.json()).toEqual({ method: 'PUT', url: '/set', body: '{"key":"k"}' });
    expect(socketsCreated).toBeGreaterThan(0);
    const missing = await f(`${base}/missing`);
    expect(missing.status).toBe(404);
  });

  it('rejects when the signal aborts, and when nothing listens', async () => {
    const f = agentFetch({ http: agent, https: new https.Agent() });
    const controller = new AbortController();
    const pending = f(`${base}/hang`, { signal: controller.signal });
    controller.abort(new Error('gave up'));
    await expect(pending).rejects.toThrow('gave up');
    await expect(f('http://127.0.0.1:1/')).rejects.toThrow(/ECONNREFUSED/);
  });
});
