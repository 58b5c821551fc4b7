/**
 * The client gateway: runs inside a namespaced cluster's client namespace and lets a program in the
 * machine's own namespace (a test, the nemesis) open TCP connections from there. It listens on a
 * Unix socket (a file path, which every network namespace sees) and speaks HTTP CONNECT:
 *
 *   -> CONNECT 198.18.0.11:8080 HTTP/1.1\r\n\r\n
 *   <- HTTP/1.1 200 Connection established\r\n\r\n      then bytes both ways, untouched (TLS too)
 *   <- HTTP/1.1 502 ECONNREFUSED\r\n\r\n                  when the connection failed (the error code)
 *
 * So the node sees a client at the client namespace's address, over the cluster's bridge: the
 * same path `ip netns exec <prefix>-client curl ...` takes. It stops when its stdin closes (the
 * process that started it is gone).
 *
 * Usage: ip netns exec <prefix>-client node --import tsx node-server/src/netns/gateway.ts <socket path>
 */
import fs from 'node:fs';
import net from 'node:net';

/** The CONNECT head must fit in this (it is one short line). */
const headBytesMax = 1024;
const connectTimeoutMs = 5_000;

function serve(socketPath: string): net.Server {
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) {
        if (head.length > headBytesMax) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      const target = /^CONNECT ([^\s:]+|\[[^\]]+\]):(\d+) HTTP\/1\.[01]\r\n/.exec(head.subarray(0, end + 2).toString('latin1'));
      if (!target) return void client.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      open(client, target[1]!.replace(/^\[|\]$/g, ''), Number(target[2]), head.subarray(end + 4));
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });
  server.listen(socketPath, () => fs.chmodSync(socketPath, 0o600));
  return server;
}

function open(client: net.Socket, host: string, port: number, early: Buffer): void {
  const upstream = net.connect({ host, port, timeout: connectTimeoutMs });
  upstream.setNoDelay(true);
  let connected = false;
  upstream.once('connect', () => {
    connected = true;
    upstream.setTimeout(0);
    client.write('HTTP/1.1 200 Connection established\r\n\r\n');
    if (early.length > 0) upstream.write(early);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  });
  upstream.once('timeout', () => upstream.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })));
  upstream.on('error', (err: NodeJS.ErrnoException) => {
    if (!connected && !client.destroyed) client.end(`HTTP/1.1 502 ${err.code ?? 'ERROR'}\r\n\r\n`);
    else client.destroy();
  });
  upstream.on('close', () => client.destroy());
  client.on('close', () => upstream.destroy());
}

const socketPath = process.argv[2];
if (!socketPath) {
  process.stderr.write('usage: gateway.ts <unix socket path>\n');
  process.exit(2);
}
const server = serve(socketPath);
server.on('listening', () => process.stdout.write(`gateway listening on ${socketPath}\n`));
const stop = (): void => {
  server.close();
  fs.rmSync(socketPath, { force: true });
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
