/**
 * The benchmarks' HTTP/1.1 client: keep-alive connections to 127.0.0.1, one request at a time on
 * each, pooled per port. Hand-written for one reason: the load generator shares the machine's cores
 * with the systems it measures, and node:http's client (an Agent, an IncomingMessage stream and its
 * events per request) cost about 0.1 ms of CPU per request here, as much as a follower spends per
 * write. This one writes a request in one socket write and parses the answer from the socket's
 * buffers: Content-Length, chunked (etcd's gateway and pprof) and read-until-close bodies, kept as
 * bytes. Nothing is retried here; a failed or timed-out connection is closed and its request fails.
 */
import net from 'node:net';

export interface HttpAnswer {
  status: number;
  body: string;
  raw: Buffer;
}

export class HttpClientError extends Error {
  override name = 'HttpClientError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const headBytesMax = 64 * 1024;
const requestTimeoutMs = 10_000;
const deadlineCheckMs = 50;

interface Pending {
  resolve: (answer: HttpAnswer) => void;
  reject: (error: Error) => void;
  deadline: number;
  timeoutMs: number;
  /** A HEAD request's answer has no body whatever its headers say. */
  head: boolean;
}

/** The answer being read: its head once parsed, then its body. */
interface Reading {
  status: number;
  keepAlive: boolean;
  /** Bytes still expected (Content-Length), 'chunked', or 'close' (the body ends with the connection). */
  framing: number | 'chunked' | 'close';
  body: Buffer[];
}

class Connection {
  private received: Buffer = Buffer.alloc(0);
  private pending: Pending | null = null;
  private reading: Reading | null = null;
  private closed = false;

  constructor(private readonly socket: net.Socket, private readonly release: (c: Connection) => void, private readonly forget: (c: Connection) => void) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => this.close(new HttpClientError(err.code ?? 'socket_error', err.message)));
    socket.on('close', () => this.onClose());
  }

  send(request: Buffer, pending: Pending): void {
    if (this.pending) throw new Error('a connection carries one request at a time');
    this.pending = pending;
    // An idle pooled connection does not keep the process alive; one with a request in flight does.
    this.socket.ref();
    this.socket.write(request);
  }

  /** Fails the request in flight once its deadline has passed. */
  checkDeadline(now: number): void {
    if (this.pending && now > this.pending.deadline) {
      this.close(new HttpClientError('timeout', `no answer within ${this.pending.timeoutMs} ms`));
    }
  }

  close(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.forget(this);
    const pending = this.pending;
    this.pending = null;
    pending?.reject(error);
  }

  private onClose(): void {
    // A read-until-close body ends here; anything else in flight was cut off.
    if (this.reading?.framing === 'close' && this.pending) {
      this.received = Buffer.alloc(0);
      return this.finish(false);
    }
    this.close(new HttpClientError('ECONNRESET', 'connection closed before the answer was complete'));
  }

  private onData(chunk: Buffer): void {
    if (!this.pending) return this.close(new HttpClientError('protocol', 'bytes with no request in flight'));
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    const error = this.parse();
    if (error) this.close(new HttpClientError('protocol', error));
  }

  /** Consumes what has been received; returns an error message for a malformed answer. */
  private parse(): string | null {
    if (!this.reading) {
      const headEnd = this.received.indexOf('\r\n\r\n');
      if (headEnd === -1) return this.received.length > headBytesMax ? 'answer head too large' : null;
      const reading = parseHead(this.received.toString('latin1', 0, headEnd), this.pending!.head);
      if (typeof reading === 'string') return reading;
      this.reading = reading;
      this.received = this.received.subarray(headEnd + 4);
    }
    const r = this.reading;
    if (r.framing === 'close') {
      if (this.received.length > 0) r.body.push(this.received);
      this.received = Buffer.alloc(0);
      return null;
    }
    if (typeof r.framing === 'number') {
      const take = Math.min(r.framing, this.received.length);
      if (take > 0) r.body.push(this.received.subarray(0, take));
      this.received = this.received.subarray(take);
      r.framing -= take;
      if (r.framing === 0) this.finish(r.keepAlive);
      return null;
    }
    return this.parseChunks(r);
  }

  /** Chunked framing: `<hex size>[;ext]\r\n<data>\r\n` ... `0\r\n<trailers>\r\n`. */
  private parseChunks(r: Reading): string | null {
    for (;;) {
      const lineEnd = this.received.indexOf('\r\n');
      if (lineEnd === -1) return this.received.length > 1024 ? 'chunk size line too long' : null;
      const sizeText = this.received.toString('latin1', 0, lineEnd).split(';')[0]!.trim();
      if (!/^[0-9a-fA-F]+$/.test(sizeText)) return `bad chunk size ${JSON.stringify(sizeText)}`;
      const size = parseInt(sizeText, 16);
      if (size === 0) {
        // The last chunk: trailers (usually none) end with an empty line.
        const trailersEnd = this.received.indexOf('\r\n\r\n', lineEnd);
        const bare = this.received.length >= lineEnd + 4 && this.received.toString('latin1', lineEnd, lineEnd + 4) === '\r\n\r\n';
        if (!bare && trailersEnd === -1) return null;
        this.received = this.received.subarray(bare ? lineEnd + 4 : trailersEnd + 4);
        this.finish(r.keepAlive);
        return null;
      }
      const dataStart = lineEnd + 2;
      if (this.received.length < dataStart + size + 2) return null;
      r.body.push(this.received.subarray(dataStart, dataStart + size));
      this.received = this.received.subarray(dataStart + size + 2);
    }
  }

  private finish(keepAlive: boolean): void {
    const r = this.reading!;
    const pending = this.pending!;
    this.reading = null;
    this.pending = null;
    const raw = r.body.length === 1 ? r.body[0]! : Buffer.concat(r.body);
    if (keepAlive && this.received.length === 0 && !this.closed) {
      this.socket.unref();
      this.release(this);
    } else this.close(new HttpClientError('closed', 'connection not reusable'));
    pending.resolve({ status: r.status, body: raw.toString('utf8'), raw });
  }
}

/** The status line and the headers that frame the body. */
function parseHead(head: string, isHeadRequest: boolean): Reading | string {
  const lines = head.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (!statusLine) return `bad status line ${JSON.stringify(lines[0])}`;
  const status = Number(statusLine[2]);
  let keepAlive = statusLine[1] === '1';
  let length = -1;
  let chunked = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return `bad header line ${JSON.stringify(line)}`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim().toLowerCase();
    if (name === 'content-length') {
      if (!/^\d+$/.test(value)) return `bad content-length ${JSON.stringify(value)}`;
      length = Number(value);
    } else if (name === 'transfer-encoding') {
      chunked = value.split(',').map((s) => s.trim()).at(-1) === 'chunked';
    } else if (name === 'connection') {
      if (value.includes('close')) keepAlive = false;
      else if (value.includes('keep-alive')) keepAlive = true;
    }
  }
  const noBody = isHeadRequest || status === 204 || status === 304 || (status >= 100 && status < 200);
  const framing = noBody ? 0 : chunked ? 'chunked' : length >= 0 ? length : 'close';
  if (framing === 'close') keepAlive = false;
  return { status, keepAlive, framing, body: [] };
}

/** Idle connections by port, and every open one (for the deadline sweep). */
const idleByPort = new Map<number, Connection[]>();
const open = new Set<Connection>();
let sweeper: NodeJS.Timeout | null = null;

function startSweeper(): void {
  if (sweeper) return;
  sweeper = setInterval(() => {
    const now = Date.now();
    for (const c of open) c.checkDeadline(now);
  }, deadlineCheckMs);
  sweeper.unref();
}

function connectionTo(port: number): Connection {
  const idle = idleByPort.get(port);
  const reused = idle?.pop();
  if (reused) return reused;
  const socket = net.connect({ host: '127.0.0.1', port });
  const connection: Connection = new Connection(
    socket,
    (c) => {
      let list = idleByPort.get(port);
      if (!list) idleByPort.set(port, (list = []));
      list.push(c);
    },
    (c) => {
      open.delete(c);
      const list = idleByPort.get(port);
      const at = list?.indexOf(c) ?? -1;
      if (at >= 0) list!.splice(at, 1);
    },
  );
  open.add(connection);
  startSweeper();
  return connection;
}

/** One request to 127.0.0.1:port; resolves with any status, rejects on a transport error or timeout. */
export function httpRequest(port: number, method: string, pathAndQuery: string, body?: string, timeoutMs = requestTimeoutMs): Promise<HttpAnswer> {
  const bodyBytes = body === undefined ? null : Buffer.from(body, 'utf8');
  const contentHeaders = bodyBytes ? `Content-Type: application/json\r\nContent-Length: ${bodyBytes.length}\r\n` : '';
  const head = `${method} ${pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${contentHeaders}\r\n`;
  const request = bodyBytes ? Buffer.concat([Buffer.from(head, 'latin1'), bodyBytes]) : Buffer.from(head, 'latin1');
  return new Promise((resolve, reject) => {
    const connection = connectionTo(port);
    connection.send(request, { resolve, reject, deadline: Date.now() + timeoutMs, timeoutMs, head: method === 'HEAD' });
  });
}
