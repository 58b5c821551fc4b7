/**
 * Who may call what: the cluster token (`Authorization: Bearer <token>`) on the Raft port's RPCs,
 * the admin endpoint and the KV port's membership API; loopback callers only on the admin
 * endpoint; and no browser page from a foreign origin where a request changes something (a page
 * can send a request to 127.0.0.1 even though it cannot read the answer).
 */
import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import { originAllowed } from './cors';
import { errorBody, sendJson } from './common';

/** 401 unless the request carries the token (when one is configured); `area` tags the log line. */
export function tokenCheck(token: string | null, logger: Logger, area = 'raft'): RequestHandler {
  const expected = token ? Buffer.from(`Bearer ${token}`) : null;
  return (req, res, next) => {
    if (!expected) return next();
    const given = Buffer.from(req.headers.authorization ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    logger.warn(`[${area}] rejected ${req.method} ${req.path} from ${req.socket.remoteAddress ?? '?'}: missing or wrong cluster token`);
    sendJson(res, 401, errorBody('unauthorized', 'cluster token required'));
  };
}

/** 127.0.0.0/8, ::1, and IPv4-mapped 127.x (::ffff:127.0.0.1): what a socket reports for a local caller. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (net.isIPv4(address)) return address.startsWith('127.');
  if (!net.isIPv6(address)) return false;
  const a = address.toLowerCase();
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0:0:0:0:0|:):ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped !== null && net.isIPv4(mapped[1]!) && mapped[1]!.startsWith('127.');
}

/** 403 (and a log line) unless the caller is on this machine's loopback. */
export function loopbackOnly(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const address = req.socket.remoteAddress;
    if (isLoopback(address)) return next();
    logger.warn(`[admin] refused ${req.method} ${req.path} from ${address ?? '?'}: only loopback callers may use it`);
    sendJson(res, 403, errorBody('forbidden', 'only loopback callers may use this endpoint'));
  };
}

/** 403 for a browser page from an origin not in `origins` (requests without an Origin header pass). */
export function ownOriginsOnly(origins: readonly string[], logger: Logger, area = 'admin'): RequestHandler {
  return (req, res, next) => {
    if (originAllowed(req.headers.origin, origins)) return next();
    logger.warn(`[${area}] refused ${req.method} ${req.path} from a page of ${req.headers.origin ?? '?'}`);
    sendJson(res, 403, errorBody('forbidden', 'origin not allowed'));
  };
}
