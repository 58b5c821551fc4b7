/**
 * A narrow HTTP/1.1 door in front of node:http, for the hot routes only (routes.ts), on a plain
 * (not TLS) server.
 *
 * Why: node:http builds a readable stream for each request and a writable one for each answer,
 * with their events, and on a leader at 64 clients that is the largest share of the CPU per write
 * left once Express is out of the way (docs/benchmarks.md, "The direct door"). The leader's event
 * loop is the cluster's narrowest stage, so each microsecond of it counts.
 *
 * What it takes: a request of the simplest form, and nothing else. `METHOD /path?query HTTP/1.1`
 * for a hot route, headers that are plain `name: value` lines given once each, a Host, a body only
 * by Content-Length and no larger than `bodyBytesMax`, a keep-alive connection, and no Origin
 * (browsers go through Express and its CORS), Expect, Upgrade or Transfer-Encoding. At the first
 * request that is anything else, the connection goes to node:http for the rest of its life, with
 * every byte not yet answered: node:http then parses it (and answers 400, 404, 413, 431 ... as it
 * always did). Requests on one connection are answered in order: the next is not parsed before the
 * one before it is answered.
 */
import { STATUS_CODES } from 'node:http';
import type http from 'node:http';
import type net from 'node:net';
import { assert } from '@raft-kv/core';

/** What the direct door hands to a route: the request line's parts, the headers (names in lower case) and the body. */
export interface DirectRequest {
  method: string;
  url: string;
  /** The url before its `?`, and what follows it ('' when none). */
  path: string;
  search: string;
  headers: Record<string, string>;
  body: Buffer;
}

/** An answer: status, headers in order (Content-Length, Date and the connection headers are added), body. */
export type DirectAnswer = (status: number, headers: ReadonlyArray<readonly [string, string]>, body: string) => void;

export interface DirectRoutes {
  /** Whether `method path` (path without its query) is served directly. */
  has(method: string, path: string): boolean;
  /** Serves a request that arrived on `socket`; `answer` is called once, unless `destroy` is. */
  serve(request: DirectRequest, socket: net.Socket, answer: DirectAnswer, destroy: () => void): void;
}

/** node:http's default limit on a request's head. */
const headBytesMax = 16 * 1024;
const requestLine = /^(GET|PUT|POST|DELETE) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
/**
 * A header line: a token, a colon, and a value of visible ASCII, spaces and tabs (node:http refuses
 * control characters; a value past ASCII, or a folded line, goes to it).
 */
const headerLine = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[\x20-\x7e\t]*$/;
const decimal = /^[0-9]{1,10}$/;
/** Bytes of later requests held while one is served; past this the connection is not read until it is answered. */
const pipelinedBytesMax = 1024 * 1024;
/** Headers whose presence means a request the direct door does not handle. */
const refused = new Set(['transfer-encoding', 'expect', 'upgrade', 'origin']);

type Parsed = { kind: 'incomplete' } | { kind: 'handOff' } | { kind: 'request'; request: DirectRequest; bytes: number };

/** Parses the request at the start of `buf`, or says why it cannot. */
export function parseDirect(buf: Buffer, routes: Pick<DirectRoutes, 'has'>, bodyBytesMax: number): Parsed {
  const headEnd = buf.indexOf('\r\n\r\n');
  // A line ended by a bare LF would never end a head here: node:http decides what it means.
  if (hasBareLf(buf, headEnd < 0 ? buf.length : headEnd)) return { kind: 'handOff' };
  if (headEnd < 0) return buf.length >= headBytesMax ? { kind: 'handOff' } : { kind: 'incomplete' };
  if (headEnd + 4 > headBytesMax) return { kind: 'handOff' };
  const head = buf.toString('latin1', 0, headEnd);
  let lineEnd = head.indexOf('\r\n');
  const first = requestLine.exec(lineEnd < 0 ? head : head.slice(0, lineEnd));
  if (!first) return { kind: 'handOff' };
  const [, method, url] = first as unknown as [string, string, string];
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!routes.has(method, path)) return { kind: 'handOff' };
  // No prototype: a header named like an Object property (__proto__, constructor) is a header.
  const headers = Object.create(null) as Record<string, string>;
  while (lineEnd >= 0) {
    const start = lineEnd + 2;
    lineEnd = head.indexOf('\r\n', start);
    const line = lineEnd < 0 ? head.slice(start) : head.slice(start, lineEnd);
    if (!headerLine.test(line)) return { kind: 'handOff' };
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    if (name in headers || refused.has(name)) return { kind: 'handOff' };
    headers[name] = line.slice(colon + 1).trim();
  }
  if (headers.host === undefined) return { kind: 'handOff' };
  if (headers.connection !== undefined && headers.connection.toLowerCase() !== 'keep-alive') return { kind: 'handOff' };
  const lengthText = headers['content-length'];
  const length = lengthText === undefined ? 0 : decimal.test(lengthText) ? Number(lengthText) : -1;
  if (length < 0 || length > bodyBytesMax) return { kind: 'handOff' };
  const bytes = headEnd + 4 + length;
  if (buf.length < bytes) return { kind: 'incomplete' };
  const search = q < 0 ? '' : url.slice(q + 1);
  return { kind: 'request', request: { method, url, path, search, headers, body: buf.subarray(headEnd + 4, bytes) }, bytes };
}

/** Whether a LF without a CR before it comes before `end`. */
function hasBareLf(buf: Buffer, end: number): boolean {
  for (let i = buf.indexOf(0x0a); i >= 0 && i < end; i = buf.indexOf(0x0a, i + 1)) {
    if (i === 0 || buf[i - 1] !== 0x0d) return true;
  }
  return false;
}

/** The Date header, as node:http writes it, made again at most once per second. */
let dateText = '';
let dateSecond = -1;
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * Puts the direct door in front of `server` (a plain node:http server, not yet listening): each
 * new connection is read here first, and given to node:http's own connection listener at its
 * first request the door does not take. `server.closeIdleConnections()` and
 * `closeAllConnections()` (which `server.close()` relies on) close the door's connections too.
 */
export function putDirectDoor(server: http.Server, routes: DirectRoutes, bodyBytesMax: number): void {
  const nodeListeners = server.listeners('connection') as Array<(socket: net.Socket) => void>;
  assert(nodeListeners.length > 0, 'a node:http server has its connection listener');
  server.removeAllListeners('connection');
  const open = new Set<DirectConnection>();
  const handOff = (socket: net.Socket): void => {
    for (const listener of nodeListeners) listener.call(server, socket);
  };
  server.on('connection', (socket: net.Socket) => {
    const connection = new DirectConnection(socket, routes, bodyBytesMax, server.keepAliveTimeout, {
      handOff,
      forget: () => open.delete(connection),
      closing: () => !server.listening,
    });
    open.add(connection);
  });
  const closeIdle = server.closeIdleConnections.bind(server);
  const closeAll = server.closeAllConnections.bind(server);
  server.closeIdleConnections = () => {
    closeIdle();
    for (const connection of open) if (connection.idle) connection.destroy();
  };
  server.closeAllConnections = () => {
    closeAll();
    for (const connection of open) connection.destroy();
  };
}

/** What a connection needs from the server it serves. */
interface ConnectionServer {
  /** Gives the socket to node:http. */
  handOff(socket: net.Socket): void;
  /** The connection is gone or handed over. */
  forget(): void;
  /** The server stopped listening (server.close()). */
  closing(): boolean;
}

class DirectConnection {
  private buffered: Buffer = Buffer.alloc(0);
  /** A request is being served: the next is not parsed until it is answered. */
  private serving = false;
  private gone = false;
  private parsing = false;
  private readonly onData = (chunk: Buffer): void => {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    if (!this.serving) return this.next();
    // A client that sends request after request without reading the answers waits for them.
    if (this.buffered.length > pipelinedBytesMax) this.socket.pause();
  };
  private readonly onError = (): void => this.destroy();
  private readonly onTimeout = (): void => {
    if (!this.serving) this.destroy();
  };
  private readonly onEnd = (): void => {
    if (!this.serving) this.closeAfterEnd();
  };

  constructor(
    private readonly socket: net.Socket,
    private readonly routes: DirectRoutes,
    private readonly bodyBytesMax: number,
    private readonly keepAliveMs: number,
    private readonly server: ConnectionServer,
  ) {
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.once('close', () => this.leave());
    if (keepAliveMs > 0) {
      socket.setTimeout(keepAliveMs);
      socket.on('timeout', this.onTimeout);
    }
  }

  get idle(): boolean {
    return !this.serving && this.buffered.length === 0;
  }

  destroy(): void {
    this.socket.destroy();
    this.leave();
  }

  private leave(): void {
    if (this.gone) return;
    this.gone = true;
    this.server.forget();
  }

  /** Serves the requests buffered, in order, until one is incomplete or in progress. */
  private next(): void {
    // An answer given at once (a 400) comes back here from inside the loop: the loop goes on.
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (!this.serving && !this.gone && this.buffered.length > 0) {
        const parsed = parseDirect(this.buffered, this.routes, this.bodyBytesMax);
        if (parsed.kind === 'incomplete') break;
        if (parsed.kind === 'handOff') return this.handOff();
        this.buffered = this.buffered.subarray(parsed.bytes);
        this.serving = true;
        let answered = false;
        this.routes.serve(parsed.request, this.socket, (status, headers, body) => {
          assert(!answered, 'a request is answered once');
          answered = true;
          this.answer(status, headers, body);
        }, () => this.destroy());
      }
    } finally {
      this.parsing = false;
    }
    if (!this.serving && !this.gone && this.socket.readableEnded) this.closeAfterEnd();
  }

  private answer(status: number, headers: ReadonlyArray<readonly [string, string]>, body: string): void {
    this.serving = false;
    if (this.gone || this.socket.destroyed) return;
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
    // A server that stopped listening closes each connection once it has answered on it.
    let close = this.server.closing();
    for (const [name, value] of headers) {
      if (name.toLowerCase() === 'connection') {
        close ||= value.toLowerCase() === 'close';
        continue;
      }
      head += `${name}: ${value}\r\n`;
    }
    head += `Content-Length: ${Buffer.byteLength(body)}\r\nDate: ${httpDate()}\r\n`;
    // As node:http says it: the connection stays open this long without a request.
    if (close) head += 'Connection: close\r\n';
    else head += this.keepAliveMs > 0 ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(this.keepAliveMs / 1000)}\r\n` : 'Connection: keep-alive\r\n';
    this.socket.write(`${head}\r\n${body}`);
    if (close) {
      this.socket.end();
      return this.leave();
    }
    if (this.socket.isPaused()) this.socket.resume();
    this.next();
  }

  /**
   * The client is done sending (the server allows half-open connections) and every whole request
   * it sent is answered: the connection closes, at once if a request was left unfinished.
   */
  private closeAfterEnd(): void {
    if (this.gone) return;
    if (this.buffered.length > 0) return this.destroy();
    this.socket.end();
    this.leave();
  }

  /** Gives the connection, with every byte not yet answered, to node:http. */
  private handOff(): void {
    const { socket } = this;
    socket.pause();
    socket.off('data', this.onData);
    socket.off('end', this.onEnd);
    socket.off('timeout', this.onTimeout);
    socket.off('error', this.onError);
    socket.setTimeout(0);
    this.leave();
    if (this.buffered.length > 0) socket.unshift(this.buffered);
    this.buffered = Buffer.alloc(0);
    this.server.handOff(socket);
    socket.resume();
  }
}
