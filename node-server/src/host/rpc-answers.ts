/**
 * Matches the core's responses to the HTTP requests that carried the requests. The core answers
 * every request exactly once and, per peer, in the order it stepped them (core/src/messages.ts), so
 * a first-in first-out queue per (peer, response type) is enough; ReadIndex answers are matched by
 * their context as well, because the leader answers them when the read is confirmed.
 */
import type { NodeId } from '@raft-kv/core';
import type { ResponseMessage } from '../wire';

type Resolve = (message: ResponseMessage) => void;

export class RpcAnswers {
  private readonly queues = new Map<string, Resolve[]>();

  /** Registers a request from `peer`; resolves with the core's response to it. */
  expect(peer: NodeId, responseType: ResponseMessage['type'], context: string): Promise<ResponseMessage> {
    return new Promise((resolve) => {
      const key = keyOf(peer, responseType, context);
      const queue = this.queues.get(key);
      if (queue) queue.push(resolve);
      else this.queues.set(key, [resolve]);
    });
  }

  /** Hands a response to the oldest request waiting for it; false if none waits. */
  answer(peer: NodeId, responseType: ResponseMessage['type'], context: string, message: ResponseMessage): boolean {
    const key = keyOf(peer, responseType, context);
    const queue = this.queues.get(key);
    const resolve = queue?.shift();
    if (!resolve) return false;
    if (queue!.length === 0) this.queues.delete(key);
    resolve(message);
    return true;
  }

  get waiting(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }
}

const keyOf = (peer: NodeId, type: string, context: string): string => `${peer}\u0000${type}\u0000${context}`;
