/**
 * Middleware shared by the KV and Raft apps, in the order they are installed: request id and
 * latency log line (KV port), routes with their body limits, 405 for known paths with a wrong
 * method, 404, and the JSON error handler last. Every error leaves as the same JSON envelope;
 * never a stack trace.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import type { Logger } from '../logger';
import { infoLine } from '../logger';

export type ErrorBody = { ok: false; error: string; message: string };

export const errorBody = (error: string, message: string): ErrorBody => ({ ok: false, error, message });

const requestIdPattern = /^[\x21-\x7e]{1,128}$/;

/**
 * Echoes a sane X-Request-ID or makes one, and logs one line per request when it is answered:
 * request id, method, path, status, duration. (One middleware, not two: it runs on every request.)
 */
export function requestIdAndLog(logger: Logger, log: boolean): RequestHandler {
  const line = infoLine(logger);
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-ID', id);
    if (log) {
      const start = performance.now();
      res.on('finish', () => {
        const ms = (performance.now() - start).toFixed(2);
        line(`[http] ${id} ${req.method} ${req.originalUrl} ${res.statusCode} ${ms}ms`);
      });
    }
    next();
  };
}

/**
 * Writes a JSON answer. Leaner than Express's res.json (no ETag, freshness or charset work), which
 * matters on the hot path: every write and every Raft message goes through here. Node sets the
 * Content-Length.
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * After a body goes over its limit, the rest of it is still read (and dropped), up to this many
 * bytes in all, before the 413 is sent. A server that answers and closes while the client is still
 * sending makes the client's kernel see a reset, and a client that writes its whole request before
 * reading (many do) then loses the answer. Past this bound the 413 goes out at once and the
 * connection is closed: such a client may see a reset instead, but nobody can make the node read
 * without end.
 */
export const oversizedBodyReadBytesMax = 8 * 1024 * 1024;

/**
 * Reads the body, up to `limit` bytes, and parses it as JSON whatever the content type (clients
 * such as curl -d send none): 413 when too large, 400 when not JSON. (express.json does the same
 * with more machinery; this runs on every write and every Raft message.)
 */
export function jsonBody(limit: number): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > oversizedBodyReadBytesMax) return tooLarge(req, res, true);
    const chunks: Buffer[] = [];
    let length = 0;
    let answered = false;
    req.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (answered) return;
      if (length > oversizedBodyReadBytesMax) {
        answered = true;
        return tooLarge(req, res, true);
      }
      if (length <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (answered) return;
      if (length > limit) return tooLarge(req, res, false);
      try {
        req.body = length === 0 ? undefined : JSON.parse(Buffer.concat(chunks, length).toString('utf8'));
      } catch {
        return sendJson(res, 400, errorBody('bad_request', 'invalid JSON body'));
      }
      next();
    });
    req.on('error', (err) => next(err));
  };
}

/** 413. With `close`, the body is not read to its end, so the connection cannot be used again. */
function tooLarge(req: Request, res: Response, close: boolean): void {
  if (close) res.setHeader('Connection', 'close');
  sendJson(res, 413, errorBody('too_large', 'request body too large'));
  // Whatever still arrives is drained (Node discards it) until the connection closes.
  req.resume();
}

/** Answers every other method on a known path with 405 and an Allow header. */
export function methodNotAllowed(allowed: string[]): RequestHandler {
  return (_req, res) => {
    res.setHeader('Allow', allowed.join(', '));
    sendJson(res, 405, errorBody('method_not_allowed', 'method not allowed'));
  };
}

export const notFound: RequestHandler = (req, res) => {
  sendJson(res, 404, errorBody('not_found', `no route for ${req.method} ${req.path}`));
};

interface HttpError {
  status?: number;
  expose?: boolean;
}

/** The last middleware: a client error Express raised (a malformed URL) is 400, anything else 500 with a log line. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const e = err as HttpError;
    if (e.status && e.status >= 400 && e.status < 500 && e.expose) return sendJson(res, e.status, errorBody('bad_request', 'invalid request'));
    logger.error({ err, requestId: res.locals.requestId, path: req.path }, `[http] ${req.method} ${req.path} failed`);
    sendJson(res, 500, errorBody('internal', 'internal error'));
  };
}
