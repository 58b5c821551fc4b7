/**
 * The live observation stream (core/src/live.ts): a socket.io server on the Raft port's HTTP server
 * (path /socket.io) that sends each watcher
 *   - 'status' (LiveNodeStatus) on connect, then whenever it changed, checked every
 *     liveStatusIntervalMs (and at least every statusKeepaliveMs, so a quiet leader is seen alive);
 *   - 'events' (LiveEvent[]): the core events of every Ready since the last check, oldest first.
 * Nothing runs while nobody watches: no timer, no status is built, and the node host's only extra
 * work per Ready is a null check. Browser handshakes are accepted only from the configured origins.
 */
import type http from 'node:http';
import type { LiveEvent, RaftEvent } from '@raft-kv/core';
import { liveStatusIntervalMs } from '@raft-kv/core';
import { Server, type Socket } from 'socket.io';
import type { NodeHost } from '../host/node-host';
import type { Logger } from '../logger';
import type { LiveStatusReader } from './live-status';

/** An unchanged status is sent again after this long. */
export const statusKeepaliveMs = 1000;
/** Most events held between two sends; beyond it the newest are dropped (a busy node makes thousands a second). */
export const eventsPerBatchMax = 2000;
/** Most watchers at once; more are disconnected. */
const watchersMax = 32;
/** A watcher with this many packets not yet written is slow: it misses sends until it catches up. */
const unsentPacketsMax = 64;

export interface LiveObserverDeps {
  host: NodeHost;
  reader: LiveStatusReader;
  origins: readonly string[];
  logger: Logger;
}

export class LiveObserver {
  private readonly io: Server;
  /** Each watcher and how many packets were emitted to it since its connection last drained. */
  private readonly watchers = new Map<Socket, { unsent: number }>();
  private timer: NodeJS.Timeout | null = null;
  private pending: LiveEvent[] = [];
  private droppedEvents = 0;
  private lastStatusKey = '';
  private lastStatusAt = 0;

  constructor(server: http.Server, private readonly deps: LiveObserverDeps) {
    const origins = [...deps.origins];
    this.io = new Server(server, {
      path: '/socket.io',
      serveClient: false,
      // Watchers only listen; nothing large ever comes from them.
      maxHttpBufferSize: 16 * 1024,
      ...(origins.length > 0 ? { cors: { origin: origins } } : {}),
      // CORS does not cover WebSocket: a page from another origin is refused at the handshake.
      // A client without an Origin header (a script, not a browser page) is let in.
      allowRequest: (req, callback) => {
        const origin = req.headers.origin;
        callback(null, origin === undefined || origins.includes(origin));
      },
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  get watching(): number {
    return this.watchers.size;
  }

  private onConnection(socket: Socket): void {
    if (this.watchers.size >= watchersMax) {
      this.deps.logger.warn(`[live] refused a watcher: ${watchersMax} already connected`);
      socket.disconnect(true);
      return;
    }
    const watcher = { unsent: 0 };
    this.watchers.set(socket, watcher);
    socket.conn.on('drain', () => (watcher.unsent = 0));
    if (this.watchers.size === 1) this.startWatching();
    socket.on('disconnect', () => {
      this.watchers.delete(socket);
      if (this.watchers.size === 0) this.stopWatching();
    });
    socket.emit('status', this.deps.reader.read());
  }

  private startWatching(): void {
    this.pending = [];
    this.lastStatusKey = '';
    this.deps.host.setObserver(this.onEvents);
    this.timer = setInterval(() => this.send(), liveStatusIntervalMs);
  }

  private stopWatching(): void {
    this.deps.host.setObserver(null);
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.pending = [];
  }

  private readonly onEvents = (events: readonly RaftEvent[]): void => {
    const room = eventsPerBatchMax - this.pending.length;
    if (room < events.length) this.droppedEvents += events.length - Math.max(0, room);
    const at = Date.now();
    for (let i = 0; i < events.length && i < room; i++) this.pending.push({ at, event: events[i]! });
  };

  /** Every liveStatusIntervalMs while someone watches: the events so far, then the status if it changed. */
  private send(): void {
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.emit('events', batch);
    }
    if (this.droppedEvents > 0) {
      this.deps.logger.debug(`[live] dropped ${this.droppedEvents} events (more than ${eventsPerBatchMax} in ${liveStatusIntervalMs} ms)`);
      this.droppedEvents = 0;
    }
    const status = this.deps.reader.read();
    const { at, ...rest } = status;
    const key = JSON.stringify(rest);
    if (key === this.lastStatusKey && at - this.lastStatusAt < statusKeepaliveMs) return;
    this.lastStatusKey = key;
    this.lastStatusAt = at;
    this.emit('status', status);
  }

  private emit(event: 'status' | 'events', payload: unknown): void {
    for (const [socket, watcher] of this.watchers) {
      if (watcher.unsent >= unsentPacketsMax) continue;
      watcher.unsent++;
      socket.emit(event, payload);
    }
  }

  close(): void {
    this.stopWatching();
    for (const socket of this.watchers.keys()) socket.disconnect(true);
    this.watchers.clear();
    this.io.engine.close();
  }
}
