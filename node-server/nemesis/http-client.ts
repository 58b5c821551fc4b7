/** A small HTTP client for the KV API with a hard timeout; a network failure is status 0. */
import http from 'node:http';
import type { ApiResponse } from '@raft-kv/core';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export async function kvRequest(url: string, method: 'GET' | 'PUT' | 'DELETE', body: unknown, timeoutMs: number): Promise<ApiResponse> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(url, { method, agent, timeout: timeoutMs, headers: payload ? { 'content-type': 'application/json' } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch {
          resolve({ status: 0, body: { ok: false, error: 'bad_response' } });
        }
      });
      res.on('error', () => resolve({ status: 0, body: { ok: false, error: 'connection_lost' } }));
    });
    // A timeout or a reset after the request went out: the write may or may not have happened.
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      const refused = error.code === 'ECONNREFUSED';
      resolve({ status: 0, body: { ok: false, error: refused ? 'connection_refused' : 'connection_lost', message: error.message } });
    });
    if (payload) req.write(payload);
    req.end();
  });
}

export function closeClients(): void {
  agent.destroy();
}
