/**
 * CORS for the configured browser origins (RAFT_CORS_ORIGINS; live mode's page). A request from
 * one of them gets Access-Control-Allow-Origin (and its preflight a 204); any other origin gets no
 * CORS header at all, so the browser keeps the answer from that page. Installed only when origins
 * are configured: without them a request does no CORS work.
 */
import type { RequestHandler } from 'express';

const allowMethods = 'GET, HEAD, PUT, POST, DELETE, OPTIONS';
const allowHeaders = 'Content-Type, X-Request-ID, Authorization, Client-Id, Client-Seq, Client-Ack, Last-Event-ID';
const preflightMaxAgeSeconds = 600;

export function corsFor(origins: readonly string[]): RequestHandler | null {
  if (origins.length === 0) return null;
  const allowed = new Set(origins);
  return (req, res, next) => {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-ID');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', allowMethods);
      res.setHeader('Access-Control-Allow-Headers', allowHeaders);
      res.setHeader('Access-Control-Max-Age', String(preflightMaxAgeSeconds));
      res.statusCode = 204;
      res.end();
      return;
    }
    next();
  };
}

/** Whether a request may act: no Origin header (not a browser page) or one of `origins`. */
export function originAllowed(origin: string | undefined, origins: readonly string[]): boolean {
  return origin === undefined || origins.includes(origin);
}
