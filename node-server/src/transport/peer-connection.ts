/**
 * One keep-alive HTTP/1.1 connection to a peer's Raft port with request pipelining: requests are
 * written back to back on one socket without waiting for the previous answer, and answers come back
 * in the same order (HTTP/1.1 guarantees it). That keeps a leader's AppendEntries in order while up
 * to inflightMessagesMax of them are in flight, which separate sockets (Node's http.Agent) would not.
 *
 * Limits: at most `queueMax` requests outstanding (more are refused at once), every request answered
 * within `timeoutMs` or the connection is dropped and everything on it fails, and after a failed
 * connect no new one is tried for a backoff (50 ms doubling to 1 s). Nothing is retried here: Raft
 * retransmits what matters.
 *
 * An https:// peer is reached over TLS: this node presents its own certificate (mutual TLS, the
 * peer requires it) and accepts only a peer certificate that chains to the cluster's CA and names
 * the host in the peer's URL.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { RaftTls } from '../config';

export interface PeerResponse {
  status: number;
  body: unknown;
}

export interface PeerConnectionOptions {
  timeoutMs: number;
  queueMax: number;
  token: string | null;
  /** This node's certificate, key and the cluster CA; required for an https:// peer. */
  tls?: RaftTls | null;
}

interface Outstanding {
  deadline: number;
  resolve: (response: PeerResponse) => void;
  reject: (error: Error) => void;
}

export class PeerError extends Error {
  override name = 'PeerError';
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

const backoffMinMs = 50;
const backoffMaxMs = 1000;
const responseHeadBytesMax = 16 * 1024;
/** Bodies get one more second of timeout per this many bytes (a slow peer parses ~1 MB/s or better). */
const bytesPerExtraSecond = 512 * 1024;
const responseBodyBytesMax = 16 * 1024 * 1024;

export class PeerConnection {
  private socket: net.Socket | null = null;
  private corked = false;
  private outstanding: Outstanding[] = [];
  private received: Buffer = Buffer.alloc(0);
  private backoffMs = 0;
  private retryAt = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;

  constructor(baseUrl: string, private readonly options: PeerConnectionOptions) {
    const u = new URL(baseUrl);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`peer ${baseUrl}: only http:// and https:// are supported`);
    if (u.protocol === 'https:' && !options.tls) throw new Error(`peer ${baseUrl}: https:// needs this node's certificate, key and the cluster CA`);
    if (u.protocol === 'http:' && options.tls) throw new Error(`peer ${baseUrl}: with TLS on, peers must be https://`);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    this.hostHeader = u.host;
    // One timer per connection, not per request: thousands of requests a second share it.
    this.timer = setInterval(() => this.checkDeadlines(), Math.max(10, Math.floor(options.timeoutMs / 5)));
    this.timer.unref();
  }

  get pending(): number {
    return this.outstanding.length;
  }

  /**
   * POSTs a JSON body; resolves with the peer's answer or rejects with a PeerError. A large body
   * (a snapshot) gets extra time on top of the RPC timeout, or it could never arrive in time.
   */
  post(path: string, json: string): Promise<PeerResponse> {
    if (this.outstanding.length >= this.options.queueMax) return Promise.reject(new PeerError('queue_full', `${this.outstanding.length} requests outstanding`));
    if (!this.socket && Date.now() < this.retryAt) return Promise.reject(new PeerError('backoff', 'peer unreachable, waiting before reconnecting'));
    const socket = this.socket ?? this.connect();
    const body = Buffer.from(json, 'utf8');
    const auth = this.options.token ? `Authorization: Bearer ${this.options.token}\r\n` : '';
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n${auth}\r\n`;
    // Requests of one Ready leave in one write: corked here, uncorked by flush().
    if (!this.corked) {
      socket.cork();
      this.corked = true;
    }
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    return new Promise((resolve, reject) => {
      const extraMs = Math.ceil((body.length * 1000) / bytesPerExtraSecond);
      this.outstanding.push({ deadline: Date.now() + this.options.timeoutMs + extraMs, resolve, reject });
    });
  }

  /** Sends everything written since the last flush. */
  flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket?.uncork();
  }

  close(): void {
    clearInterval(this.timer);
    this.fail(new PeerError('closed', 'transport closed'));
  }

  private connect(): net.Socket {
    const secure = this.options.tls;
    // TLS: the default checks apply (chain to the CA, the URL's host or IP in the certificate).
    const socket = secure
      ? tls.connect({ host: this.host, port: this.port, cert: secure.cert, key: secure.key, ca: secure.ca, minVersion: 'TLSv1.2' })
      : net.connect({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 10_000);
    let connected = false;
    socket.on(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      this.backoffMs = 0;
    });
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) this.startBackoff();
      this.dropSocket(socket, new PeerError(err.code ?? 'socket_error', err.message));
    });
    socket.on('close', () => this.dropSocket(socket, new PeerError('closed', 'connection closed by peer')));
    this.socket = socket;
    this.received = Buffer.alloc(0);
    return socket;
  }

  private startBackoff(): void {
    this.backoffMs = Math.min(backoffMaxMs, Math.max(backoffMinMs, this.backoffMs * 2));
    this.retryAt = Date.now() + this.backoffMs;
  }

  private dropSocket(socket: net.Socket, error: Error): void {
    if (this.socket !== socket) return;
    socket.destroy();
    this.socket = null;
    this.corked = false;
    this.fail(error);
  }

  private fail(error: Error): void {
    const failed = this.outstanding;
    this.outstanding = [];
    this.received = Buffer.alloc(0);
    if (this.socket) {
      this.socket.destroy();
      this.socket = null;
    }
    this.corked = false;
    for (const o of failed) o.reject(error);
  }

  private checkDeadlines(): void {
    const oldest = this.outstanding[0];
    if (oldest && Date.now() > oldest.deadline) {
      this.fail(new PeerError('timeout', `no answer within ${this.options.timeoutMs} ms`));
    }
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    if (this.socket !== socket) return;
    this.received = this.received.length === 0 ? chunk : Buffer.concat([this.received, chunk]);
    while (this.received.length > 0) {
      const parsed = parseResponse(this.received);
      if (parsed === 'incomplete') return;
      if (typeof parsed === 'string') return this.dropSocket(socket, new PeerError('protocol', parsed));
      this.received = this.received.subarray(parsed.consumed);
      const o = this.outstanding.shift();
      if (!o) return this.dropSocket(socket, new PeerError('protocol', 'answer without a request'));
      o.resolve(parsed.response);
      // Answers come in order: the next request's clock effectively starts now (it may have waited behind a snapshot).
      const next = this.outstanding[0];
      if (next) next.deadline = Math.max(next.deadline, Date.now() + this.options.timeoutMs);
    }
  }
}

/** Parses one HTTP/1.1 response with a Content-Length body (what Express sends). */
function parseResponse(buf: Buffer): { response: PeerResponse; consumed: number } | 'incomplete' | string {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd === -1) return buf.length > responseHeadBytesMax ? 'response head too large' : 'incomplete';
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) return `bad status line ${JSON.stringify(lines[0])}`;
  let length = -1;
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-length') length = Number(value);
    if (name === 'transfer-encoding' && value.toLowerCase() !== 'identity') return `unsupported transfer-encoding ${value}`;
  }
  if (!Number.isSafeInteger(length) || length < 0) length = 0;
  if (length > responseBodyBytesMax) return `response body of ${length} bytes is too large`;
  const start = headEnd + 4;
  if (buf.length < start + length) return 'incomplete';
  const text = buf.subarray(start, start + length).toString('utf8');
  let body: unknown = null;
  if (length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      return 'response body is not JSON';
    }
  }
  return { response: { status: Number(status[1]), body }, consumed: start + length };
}
