/**
 * Steps a peer's requests in the order they arrived on its connection. A peer pipelines its
 * requests on one keep-alive socket; body parsing is asynchronous, so without this a later
 * AppendEntries could reach the core before an earlier one and be rejected for a gap.
 */
import type { Socket } from 'node:net';
import type { Request, RequestHandler, Response } from 'express';

class SocketQueue {
  private next = 0;
  private issued = 0;
  private readonly ready = new Map<number, () => void>();

  ticket(): number {
    return this.issued++;
  }

  /** Runs `fn` once every earlier ticket is settled, then settles this one. */
  settle(ticket: number, fn: () => void): void {
    this.ready.set(ticket, fn);
    while (this.ready.has(this.next)) {
      const run = this.ready.get(this.next)!;
      this.ready.delete(this.next);
      this.next++;
      run();
    }
  }
}

const queues = new WeakMap<Socket, SocketQueue>();
const tickets = new WeakMap<Request, { queue: SocketQueue; ticket: number; settled: boolean }>();

/** Takes a ticket when the request arrives; a request that ends without stepping gives it up. */
export function arrivalTicket(): RequestHandler {
  return (req, res, next) => {
    let queue = queues.get(req.socket);
    if (!queue) {
      queue = new SocketQueue();
      queues.set(req.socket, queue);
    }
    tickets.set(req, { queue, ticket: queue.ticket(), settled: false });
    const release = () => inOrder(req, () => {});
    res.on('finish', release);
    res.on('close', release);
    next();
  };
}

/** Runs `fn` in arrival order (immediately when no earlier request of the socket is pending). */
export function inOrder(req: Request, fn: () => void): void {
  const t = tickets.get(req);
  if (!t) return fn();
  if (t.settled) return;
  t.settled = true;
  t.queue.settle(t.ticket, fn);
}

export type { Response };
