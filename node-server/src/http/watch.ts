/**
 * GET /watch?prefix=<p>&fromIndex=<n>: the changes this node applies, as server-sent events
 * (docs/clients.md). The stream opens with `event: ready`, carries one event per change
 * (`id: <index>`, data {"index","op","key","value"}), a `progress` event with the next index now
 * and then (so a client resumes from there even when nothing under its prefix changed), and ends
 * with `event: close` and the reason when the node closes it. Without fromIndex it starts at the
 * next index this node applies; an EventSource that reconnects resumes after its Last-Event-ID.
 * A fromIndex whose changes this node no longer holds is 410 with its first and snapshot index.
 */
import type { Change } from '@raft-kv/core';
import type { Express, Request, Response } from 'express';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import type { WatchEnd, WatchSink } from '../host/watchers';
import { methodNotAllowed } from './common';
import type { Checked } from './kv-input';
import { badRequest, checkPrefix, positiveInteger, queryParam, send } from './kv-input';

export interface WatchRouteDeps {
  config: Pick<NodeConfig, 'nodeId' | 'keyBytesMax'>;
  host: NodeHost;
}

/** How often an idle stream says how far the node has read (also keeps proxies from closing it). */
export const watchProgressMs = 10_000;

export function addWatchRoute(app: Express, deps: WatchRouteDeps): void {
  const { config, host } = deps;
  app.get('/watch', (req, res) => {
    const query = watchQuery(req, config.keyBytesMax);
    if (!query.ok) return send(res, query.response);
    const from = query.value.from ?? host.watchers.nextIndex;
    const refusal = host.watchers.refusal(from);
    if (refusal) return send(res, refusal);
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.write(event('ready', { nodeId: config.nodeId, fromIndex: from, appliedIndex: host.watchers.nextIndex - 1 }));
    const watcher = host.watchers.add(query.value.prefix, from, sseSink(res));
    const progress = setInterval(() => {
      const next = watcher.nextIndex();
      res.write(event('progress', { nextIndex: next }, next - 1));
    }, watchProgressMs);
    progress.unref();
    res.on('close', () => {
      clearInterval(progress);
      watcher.remove();
    });
  });
  app.all('/watch', methodNotAllowed(['GET', 'HEAD']));
}

function watchQuery(req: Request, keyBytesMax: number): Checked<{ prefix: string; from: number | null }> {
  const prefixText = queryParam(req, 'prefix');
  const fromText = queryParam(req, 'fromIndex');
  if (prefixText === null || fromText === null) return { ok: false, response: badRequest('prefix and fromIndex must be given at most once') };
  const checked = checkPrefix(prefixText, keyBytesMax);
  if (!checked.ok) return checked;
  const prefix = checked.value;
  if (fromText !== undefined) {
    const from = positiveInteger(fromText);
    return from === null ? { ok: false, response: badRequest('fromIndex must be a whole number from 1') } : { ok: true, value: { prefix, from } };
  }
  const lastEventId = req.headers['last-event-id'];
  if (lastEventId === undefined) return { ok: true, value: { prefix, from: null } };
  const last = typeof lastEventId === 'string' ? (lastEventId === '0' ? 0 : positiveInteger(lastEventId)) : null;
  if (last === null) return { ok: false, response: badRequest('Last-Event-ID must be a whole number') };
  return { ok: true, value: { prefix, from: last + 1 } };
}

const event = (name: string, data: unknown, id?: number): string => `${id === undefined ? '' : `id: ${id}\n`}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** A watcher's events on an SSE response. */
function sseSink(res: Response): WatchSink {
  return {
    write(changes: readonly Change[]): boolean {
      let text = '';
      for (const c of changes) text += `id: ${c.index}\ndata: ${JSON.stringify(c)}\n\n`;
      return res.write(text);
    },
    onDrain(resume) {
      res.once('drain', resume);
    },
    end(end: WatchEnd) {
      res.end(event('close', end));
    },
  };
}
