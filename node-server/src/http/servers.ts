/**
 * The node's two servers, plain HTTP or TLS (config.raftTls, config.kvTls). The Raft port with TLS
 * is mutual: a peer must present a certificate that chains to RAFT_TLS_CA, or the handshake fails
 * before any request is read. Such refusals (a certificate from another CA, none at all, plain HTTP
 * sent to the TLS port) are logged, at most one line per caller address and reason per
 * refusalLogEveryMs: a misconfigured peer reconnects for every heartbeat.
 */
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import type { NodeConfig } from '../config';
import type { Logger } from '../logger';

/** The least TLS version either port accepts. */
const tlsMinVersion = 'TLSv1.2';
export const refusalLogEveryMs = 10_000;
/** Callers remembered for the log throttle; beyond this the memory starts over. */
const refusalCallersMax = 1024;

export function createKvServer(config: Pick<NodeConfig, 'kvTls'>, listener: http.RequestListener): http.Server {
  if (!config.kvTls) return http.createServer(listener);
  return https.createServer({ cert: config.kvTls.cert, key: config.kvTls.key, minVersion: tlsMinVersion }, listener);
}

export function createRaftServer(config: Pick<NodeConfig, 'raftTls' | 'nodeId'>, listener: http.RequestListener, logger: Logger): http.Server {
  if (!config.raftTls) return http.createServer(listener);
  const { cert, key, ca } = config.raftTls;
  const server = https.createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true, minVersion: tlsMinVersion }, listener);
  const logRefusal = refusalLog(config.nodeId, logger);
  // A socket whose handshake failed is closed by the time we hear of it, and a closed socket no
  // longer knows its peer: note each caller's address when it connects (peers keep their
  // connections open, so this is rare work).
  const callers = new WeakMap<net.Socket, string>();
  server.on('connection', (raw: net.Socket) => callers.set(raw, raw.remoteAddress ?? '?'));
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
    // Node's TLS socket keeps the plain socket it wraps as `_parent`.
    const raw = (socket as tls.TLSSocket & { _parent?: net.Socket })._parent;
    logRefusal(socket.remoteAddress ?? (raw && callers.get(raw)) ?? '?', tlsReason(err, socket.authorizationError));
  });
  return server;
}

/**
 * A short reason a person can act on. A client certificate that does not verify is not an OpenSSL
 * error: Node closes the connection after the handshake and says why in `authorizationError`.
 */
export function tlsReason(err: NodeJS.ErrnoException, authorizationError?: Error | string | null): string {
  if (authorizationError) return `client certificate not signed by RAFT_TLS_CA (${String(authorizationError)})`;
  const text = `${err.code ?? ''} ${err.message}`;
  if (/http request|wrong version number|unsupported protocol|packet length too long/i.test(text)) return 'not TLS (a plain-HTTP peer?)';
  if (/peer did not return a certificate|certificate required/i.test(text)) return 'no client certificate';
  if (/ECONNRESET|socket hang up/i.test(text)) return 'the caller hung up during the handshake (does it trust this node\'s certificate?)';
  return err.message;
}

function refusalLog(nodeId: string, logger: Logger): (address: string, reason: string) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (address, reason) => {
    const now = Date.now();
    const key = `${address} ${reason}`;
    const seen = last.get(key);
    if (seen && now - seen.at < refusalLogEveryMs) {
      seen.suppressed++;
      return;
    }
    if (last.size >= refusalCallersMax) last.clear();
    last.set(key, { at: now, suppressed: 0 });
    const more = seen && seen.suppressed > 0 ? ` (${seen.suppressed} more like it since the last line)` : '';
    logger.warn(`[tls] ${nodeId} refused a Raft connection from ${address}: ${reason}${more}`);
  };
}
