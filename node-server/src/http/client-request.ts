/**
 * One JSON request from a tool or a test to a node (not the peers' transport): http or https by
 * the URL, through a given agent (keep-alive, a private CA and client certificate, or the tunnel of
 * a namespaced cluster), with a hard timeout. A network failure is status 0 with the error named:
 * `connection_refused` (certainly not delivered), else `connection_lost` (it may have been).
 */
import http from 'node:http';
import https from 'node:https';
import type { ApiResponse } from '@raft-kv/core';

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export interface Agents {
  http: http.Agent;
  https: https.Agent;
}

export function jsonRequest(url: string, method: HttpMethod, body: unknown, timeoutMs: number, agents: Agents, extraHeaders: Record<string, string> = {}): Promise<ApiResponse> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const secure = url.startsWith('https:');
    const request = secure ? https.request : http.request;
    const headers = { ...(payload ? { 'content-type': 'application/json' } : {}), ...extraHeaders };
    const req = request(url, { method, agent: secure ? agents.https : agents.http, timeout: timeoutMs, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(deadline);
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        } catch {
          resolve({ status: 0, body: { ok: false, error: 'bad_response' } });
        }
      });
      res.on('error', () => resolve({ status: 0, body: { ok: false, error: 'connection_lost' } }));
    });
    // `timeout` above is an idle timeout once a socket is assigned; this bounds the whole request,
    // including a connection an agent is still opening.
    const deadline = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      const refused = error.code === 'ECONNREFUSED';
      resolve({ status: 0, body: { ok: false, error: refused ? 'connection_refused' : 'connection_lost', message: error.message } });
    });
    if (payload) req.write(payload);
    req.end();
  });
}

/** The body of a 2xx GET, or null (no answer, another status, not JSON). */
export async function getJson(url: string, timeoutMs: number, agents: Agents): Promise<unknown> {
  const response = await jsonRequest(url, 'GET', undefined, timeoutMs, agents);
  return response.status >= 200 && response.status < 300 ? response.body : null;
}
