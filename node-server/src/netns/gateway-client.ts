/**
 * The other end of gateway.ts: HTTP(S) agents for this process whose connections are opened by the
 * gateway in the cluster's client namespace. Requests made with them look like any other
 * (`http.request(url, { agent })`); the URL names the node's own address. A connection the gateway
 * could not open fails with the gateway's error code (ECONNREFUSED for a node that is down), as a
 * direct connection would.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** A tunnel that is not up by then will not come (the gateway itself gives up connecting after 5 s). */
const tunnelTimeoutMs = 8_000;
const replyBytesMax = 1024;

/** Opens a tunnel to host:port through the gateway at `socketPath`; resolves once it is up. */
export function tunnel(socketPath: string, host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let reply = Buffer.alloc(0);
    const fail = (code: string, message: string): void => {
      socket.destroy();
      reject(Object.assign(new Error(`${message} (through the client gateway ${socketPath})`), { code }));
    };
    const timer = setTimeout(() => fail('ETIMEDOUT', `no tunnel to ${host}:${port} within ${tunnelTimeoutMs} ms`), tunnelTimeoutMs);
    const onData = (chunk: Buffer): void => {
      reply = Buffer.concat([reply, chunk]);
      const end = reply.indexOf('\r\n\r\n');
      if (end === -1) {
        if (reply.length > replyBytesMax) fail('EPROTO', 'bad gateway reply');
        return;
      }
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onError);
      const status = /^HTTP\/1\.1 (\d{3}) (\S*)/.exec(reply.toString('latin1'));
      if (status?.[1] !== '200') return fail(status?.[2] || 'EPROTO', `cannot reach ${host}:${port}: ${status?.[2] ?? 'bad gateway reply'}`);
      // Bytes after the reply are the server's: put them back for the HTTP parser.
      const rest = reply.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve(socket);
    };
    const onError = (err: NodeJS.ErrnoException): void => {
      clearTimeout(timer);
      fail(err.code ?? 'ECONNREFUSED', `client gateway unreachable: ${err.message}`);
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.write(`CONNECT ${host.includes(':') ? `[${host}]` : host}:${port} HTTP/1.1\r\n\r\n`);
  });
}

type Callback = (err: Error | null, stream: Duplex) => void;

export class GatewayAgent extends http.Agent {
  constructor(private readonly socketPath: string, options: http.AgentOptions = {}) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: Callback): Duplex | null | undefined {
    tunnel(this.socketPath, hostOf(options), Number(options.port ?? 80)).then(
      (socket) => callback!(null, socket),
      (err: Error) => callback!(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

/** HTTPS through the gateway: TLS runs end to end over the tunnel (the gateway sees ciphertext). */
export class GatewayHttpsAgent extends https.Agent {
  constructor(private readonly socketPath: string, options: https.AgentOptions = {}) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: Callback): Duplex | null | undefined {
    const host = hostOf(options);
    tunnel(this.socketPath, host, Number(options.port ?? 443)).then(
      (socket) => {
        const secure = tls.connect({ ...(options as tls.ConnectionOptions), socket, host, servername: net.isIP(host) ? undefined : host });
        callback!(null, secure);
      },
      (err: Error) => callback!(err, undefined as unknown as Duplex),
    );
    return undefined;
  }
}

function hostOf(options: http.ClientRequestArgs): string {
  return (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
}
