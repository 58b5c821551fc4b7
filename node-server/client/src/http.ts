/**
 * One HTTP exchange with a node, with a hard timeout, as the client's retry logic needs to see
 * it: the status and JSON body, or what went wrong on the way. A refused connection means the
 * request was never received (nothing happened); a timeout or a connection lost after sending
 * leaves the outcome unknown.
 */

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** A JSON body, already serialized. */
  body?: string;
}

export type HttpAnswer =
  | { kind: 'answer'; status: number; body: Record<string, unknown> }
  /** Never reached the node: nothing happened. */
  | { kind: 'refused'; message: string }
  /** Sent, but no answer came: it may have happened. */
  | { kind: 'lost'; message: string };

export type Fetch = typeof fetch;

/** The request as a curl command (kvctl --debug). */
export function curlOf(request: HttpRequest): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const parts = ['curl -s'];
  if (request.method !== 'GET') parts.push(`-X ${request.method}`);
  parts.push(quote(request.url));
  for (const [name, value] of Object.entries(request.headers)) parts.push(`-H ${quote(`${name}: ${value}`)}`);
  if (request.body !== undefined) parts.push(`-d ${quote(request.body)}`);
  return parts.join(' ');
}

export async function exchange(fetchFn: Fetch, request: HttpRequest, timeoutMs: number, signal?: AbortSignal): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const headers: Record<string, string> = { ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetchFn(request.url, { method: request.method, headers, body: request.body, signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { kind: 'lost', message: `${request.url} answered ${res.status} with a body that is not JSON` };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { kind: 'lost', message: `${request.url} answered ${res.status} with a JSON body that is not an object` };
    return { kind: 'answer', status: res.status, body: body as Record<string, unknown> };
  } catch (err) {
    return failureOf(err, request.url, timeoutMs);
  }
}

/** What a fetch error means for the request: never received, or outcome unknown. */
export function failureOf(err: unknown, url: string, timeoutMs: number): HttpAnswer {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return { kind: 'lost', message: `no answer from ${url} within ${timeoutMs} ms` };
  if (e.name === 'AbortError') return { kind: 'lost', message: `request to ${url} aborted` };
  const code = e.cause?.code;
  // Refused, or no such host: the request never left; anything else may have reached the node.
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EHOSTUNREACH') {
    return { kind: 'refused', message: `cannot connect to ${url} (${code})` };
  }
  return { kind: 'lost', message: `${url}: ${e.cause?.message ?? e.message ?? String(err)}` };
}
