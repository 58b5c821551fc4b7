/**
 * A `fetch` that goes through given Node agents: what the typed client (node-server/client, which
 * speaks fetch) needs to reach nodes it cannot reach with the global fetch, such as a namespaced
 * cluster's nodes through the tunnel agent, or nodes behind TLS with a private CA. It covers what
 * the client uses: method, headers, a string body, an abort signal, a streamed response body.
 */
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import type { Agents } from './client-request';

export function agentFetch(agents: Agents): typeof fetch {
  return (input, init) => new Promise<Response>((resolve, reject) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const secure = url.startsWith('https:');
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason as Error);
    const req = (secure ? https.request : http.request)(url, { method: init?.method ?? 'GET', headers, agent: secure ? agents.https : agents.http }, (res) => {
      const responseHeaders = new Headers();
      for (const [name, value] of Object.entries(res.headers)) {
        if (value !== undefined) responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      const status = res.statusCode ?? 0;
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, headers: responseHeaders }));
    });
    // An abort ends the request and, once answered, its body (a watch stream the caller closes).
    signal?.addEventListener('abort', () => req.destroy(signal.reason as Error), { once: true });
    req.on('error', reject);
    if (typeof init?.body === 'string') req.write(init.body);
    else if (init?.body !== undefined && init?.body !== null) return reject(new TypeError('agentFetch sends string bodies only'));
    req.end();
  });
}
