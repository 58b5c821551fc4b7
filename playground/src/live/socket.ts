/**
 * A node's status stream over socket.io (core/src/live.ts: events 'status' and 'events' on the
 * node's Raft port, default path). WebSocket only: no long-polling fallback, so no cross-origin
 * XHR, and a node that is down fails fast. socket.io reconnects by itself, every second at most,
 * so a restarted node reappears on the page within about a second of listening again.
 */
import { io } from 'socket.io-client';
import type { Connect } from './session';

/** Retry quickly: a restarted node should show up as soon as it listens. */
const reconnectionDelayMs = 250;
const reconnectionDelayMaxMs = 1000;
const connectTimeoutMs = 3000;

export const connectSocketIo: Connect = (url, handlers) => {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: true,
    reconnectionDelay: reconnectionDelayMs,
    reconnectionDelayMax: reconnectionDelayMaxMs,
    timeout: connectTimeoutMs,
  });
  let closed = false;
  socket.on('connect', handlers.onConnect);
  socket.on('disconnect', (reason) => {
    handlers.onDisconnect(reason);
    // A server that closes the session on purpose is not retried by socket.io: the page retries.
    if (reason === 'io server disconnect') setTimeout(() => { if (!closed) socket.connect(); }, reconnectionDelayMaxMs);
  });
  socket.on('connect_error', (error) => handlers.onConnectError(error.message));
  socket.on('status', handlers.onStatus);
  socket.on('events', handlers.onEvents);
  return {
    close() {
      closed = true;
      socket.removeAllListeners();
      socket.close();
    },
  };
};
