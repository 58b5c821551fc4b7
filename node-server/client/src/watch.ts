/**
 * Following a prefix with GET /watch, across nodes and failures (docs/clients.md). The watch
 * remembers the next index it needs; when a stream ends (the node died, closed a slow watcher,
 * went quiet for too long) it resumes from there on the next node. When no node holds the changes
 * from there any more (410), it reads the prefix again (a linearizable range read, which says the
 * index it reflects), yields that state as a `reset`, and goes on after it.
 */
import { pause } from './backoff';
import type { Endpoints } from './endpoints';
import { KvError } from './errors';
import type { Fetch, HttpRequest } from './http';
import { sseEvents } from './sse';

export type WatchEvent =
  | { type: 'change'; index: number; op: 'set' | 'delete'; key: string; value?: string }
  /** The changes before `index` + 1 were gone: this is the whole state under the prefix at `index`. */
  | { type: 'reset'; index: number; kvs: { key: string; value: string }[]; more: boolean };

export interface WatchOptions {
  prefix?: string;
  /** The first index to report (default: the next one the node applies). */
  fromIndex?: number;
  signal?: AbortSignal;
  /** A stream opened: on which node, from which index. */
  onOpen?: (info: { endpoint: string; fromIndex: number }) => void;
}

export interface WatchContext {
  endpoints: Endpoints;
  fetchFn: Fetch;
  onRequest?: (request: HttpRequest) => void;
  requestTimeoutMs: number;
  reread: (prefix: string) => Promise<{ index: number; kvs: { key: string; value: string }[]; more: boolean }>;
}

/** A stream that sends nothing for this long (the node says how far it is every 10 s) is given up. */
const idleMs = 30_000;

export async function* watchChanges(ctx: WatchContext, options: WatchOptions): AsyncGenerator<WatchEvent> {
  const prefix = options.prefix ?? '';
  let next: number | null = options.fromIndex ?? null;
  for (let attempt = 0; !options.signal?.aborted; attempt++) {
    const url = ctx.endpoints.forRead();
    const request: HttpRequest = { method: 'GET', url: `${url}/watch?prefix=${encodeURIComponent(prefix)}${next === null ? '' : `&fromIndex=${next}`}`, headers: {} };
    ctx.onRequest?.(request);
    const stream = new StreamControl(options.signal, ctx.requestTimeoutMs);
    try {
      const res = await ctx.fetchFn(request.url, { signal: stream.signal });
      if (res.status === 410) {
        await res.text();
        const state = await ctx.reread(prefix);
        yield { type: 'reset', index: state.index, kvs: state.kvs, more: state.more };
        next = state.index + 1;
        attempt = -1;
        continue;
      }
      if (res.status === 400 || res.status === 413) throw new KvError('bad_request', `${res.status}: ${(await res.text()).slice(0, 200)}`, 'failed', res.status);
      if (res.status !== 200 || res.body === null) {
        await res.text();
      } else {
        stream.opened();
        for await (const event of sseEvents(res.body)) {
          stream.heard();
          const data = JSON.parse(event.data) as Record<string, unknown>;
          if (event.event === 'ready') {
            next ??= data.fromIndex as number;
            attempt = -1;
            options.onOpen?.({ endpoint: url, fromIndex: data.fromIndex as number });
          } else if (event.event === 'progress') {
            next = Math.max(next ?? 0, data.nextIndex as number);
          } else if (event.event === 'message') {
            const index = data.index as number;
            if (next !== null && index < next) continue;
            next = index + 1;
            yield { type: 'change', index, op: data.op as 'set' | 'delete', key: data.key as string, ...(typeof data.value === 'string' ? { value: data.value } : {}) };
          } else if (event.event === 'close') {
            // slow_watcher, compacted or shutdown: resume from `next` (a compacted node answers 410 there).
            break;
          }
        }
      }
    } catch (err) {
      if (err instanceof KvError) throw err;
      if (options.signal?.aborted) return;
    } finally {
      stream.done();
    }
    ctx.endpoints.failed(url);
    await pause(Math.max(0, attempt), Date.now() + 1_000);
  }
}

/** Aborts a stream that does not open in time or then goes quiet, or when the caller aborts. */
class StreamControl {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  private readonly onAbort = () => this.controller.abort();

  constructor(private readonly outer: AbortSignal | undefined, openTimeoutMs: number) {
    outer?.addEventListener('abort', this.onAbort);
    this.timer = setTimeout(this.onAbort, openTimeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  opened(): void {
    this.heard();
  }

  heard(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onAbort, idleMs);
  }

  done(): void {
    clearTimeout(this.timer);
    this.outer?.removeEventListener('abort', this.onAbort);
    this.controller.abort();
  }
}
