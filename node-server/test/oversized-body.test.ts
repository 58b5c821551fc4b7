/**
 * A body over the limit gets its 413, also for a client that writes its whole request before it
 * reads anything: the node reads and drops the rest of the body (up to oversizedBodyReadBytesMax)
 * before answering, so the client's kernel never sees a reset for data it was still sending.
 * (Before: 413 + close while the client was still sending; such a client got EPIPE or ECONNRESET
 * instead of the answer in most of these requests.) The node runs as its own process: with client
 * and server on one event loop the race does not show.
 */
import net from 'node:net';
import { beforeEach, describe, expect, it } from 'vitest';
import { oversizedBodyReadBytesMax } from '../src/http/common';
import type { ProcessCluster } from './support/process-cluster';
import { clusterPerTest } from './support/process-cluster';

const kvBodyBytesMax = 128 * 1024;
const bodyBytes = 1024 * 1024;

/** Writes the whole request first and only looks at what came back once the connection ends. */
function sendWholeRequest(port: number, head: string, body: Buffer): Promise<{ answer: string; error: string | null }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let error: string | null = null;
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message));
    socket.on('close', () => resolve({ answer: Buffer.concat(received).toString('latin1'), error }));
    socket.write(head);
    socket.end(body);
  });
}

/** Streams a chunked body with backpressure (so written is about what the node took) until the node closes, or `giveUpBytes`. */
function streamUntilClosed(port: number, giveUpBytes: number): Promise<{ answer: string; closedAfterBytes: number }> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const chunk = chunked(Buffer.alloc(64 * 1024, 'x')).subarray(0, -5); // one chunk, without the last-chunk marker
    let written = 0;
    socket.on('data', (c: Buffer) => received.push(c));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ answer: Buffer.concat(received).toString('latin1'), closedAfterBytes: written }));
    const pump = (): void => {
      while (!socket.destroyed && written < giveUpBytes) {
        written += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    socket.write('PUT /set HTTP/1.1\r\nHost: kv\r\nTransfer-Encoding: chunked\r\n\r\n', pump);
  });
}

function chunked(body: Buffer, chunkBytes = 64 * 1024): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += chunkBytes) {
    const chunk = body.subarray(at, at + chunkBytes);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  return Buffer.concat(parts);
}

const startCluster = clusterPerTest();

describe('oversized request bodies', () => {
  let node: { cluster: ProcessCluster; kvPort: number; raftPort: number };
  beforeEach(async () => {
    const cluster = await startCluster({ nodes: 1, env: { KV_BODY_BYTES_MAX: String(kvBodyBytesMax), RAFT_BODY_BYTES_MAX: String(kvBodyBytesMax), RAFT_SNAPSHOT_CHUNK_BYTES: String(kvBodyBytesMax / 2) } });
    while ((await cluster.status('n1')).role !== 'leader') await cluster.sleep(50);
    node = { cluster, kvPort: Number(new URL(cluster.kvUrl('n1')).port), raftPort: Number(new URL(cluster.raftUrl('n1')).port) };
  });

  it('100 of 100 clients that send everything before reading get the 413 (KV port both doors, Raft port; with and without Content-Length), none a reset', async () => {
    const body = Buffer.alloc(bodyBytes, 'x');
    const kinds = [
      { port: node.kvPort, head: `PUT /set HTTP/1.1\r\nHost: kv\r\nContent-Length: ${bodyBytes}\r\n\r\n`, body },
      // An Origin header sends the request through Express rather than the hot route.
      { port: node.kvPort, head: `PUT /set HTTP/1.1\r\nHost: kv\r\nOrigin: http://elsewhere.test\r\nContent-Length: ${bodyBytes}\r\n\r\n`, body },
      { port: node.kvPort, head: 'PUT /set HTTP/1.1\r\nHost: kv\r\nTransfer-Encoding: chunked\r\n\r\n', body: chunked(body) },
      { port: node.raftPort, head: `POST /raft/appendentries HTTP/1.1\r\nHost: raft\r\nContent-Length: ${bodyBytes}\r\n\r\n`, body },
    ];
    const outcomes: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const kind = kinds[i % kinds.length]!;
      const { answer, error } = await sendWholeRequest(kind.port, kind.head, kind.body);
      const got = error ?? answer.split('\r\n')[0]!;
      outcomes[got] = (outcomes[got] ?? 0) + 1;
      if (!error) expect(answer).toContain('{"ok":false,"error":"too_large","message":"request body too large"}');
    }
    expect(outcomes).toEqual({ 'HTTP/1.1 413 Payload Too Large': 100 });
    // The node still serves.
    expect((await node.cluster.put('n1', 'after', '1')).status).toBe(200);
  });

  it('does not read without end: past the bound it answers 413 and closes the connection', async () => {
    const declaredTooMuch = await sendWholeRequest(node.kvPort, `PUT /set HTTP/1.1\r\nHost: kv\r\nContent-Length: ${oversizedBodyReadBytesMax + 1}\r\n\r\n`, Buffer.alloc(0));
    expect(declaredTooMuch.answer).toMatch(/^HTTP\/1\.1 413 [^]*Connection: close/i);
    // A body that never ends: the node closes the connection after about the bound instead of reading on.
    const streamed = await streamUntilClosed(node.kvPort, 8 * oversizedBodyReadBytesMax);
    expect(streamed.closedAfterBytes).toBeLessThan(2 * oversizedBodyReadBytesMax);
    // The 413 went out before the close, but this client may not get to read it (docs/api.md): it is
    // still sending, the node's socket answers those bytes with a reset, and the client's kernel
    // drops what it had received unread when that reset arrives. That happened in 1 of 1,066 tests
    // of a CI run, on a loaded machine. What it reads, if anything, is the 413.
    if (streamed.answer !== '') expect(streamed.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect((await node.cluster.put('n1', 'after', '2')).status).toBe(200);
  });
});
