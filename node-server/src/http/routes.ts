/**
 * The busiest routes (PUT /set, GET /get, DELETE /delete, and the Raft RPCs) are mounted on the
 * Express app like every other route, and also reachable without Express's per-request machinery.
 * Measured on the 2-core machine of node-server/bench/results.md: the same JSON answer costs ~27 µs of
 * CPU on bare node:http and ~94 µs through Express 5 (it swaps the prototypes of every req and res,
 * which slows all later property access, and walks its router). On a leader that was 40% of the
 * CPU per write and capped the cluster below 5,000 writes/s on 2 cores.
 *
 * So the server's listener looks the request up by exact method and path first: a hit runs the
 * very same middleware and handler functions, given the few Express request fields they read
 * (query, path, originalUrl, res.locals). Anything else goes to Express: other spellings of a path
 * (Express matches /SET and /set/ too), HEAD, and every request with an Origin header (a browser,
 * so CORS applies). One handler per route either way, so both doors answer alike (tested).
 *
 * On the KV port a third door comes first: direct-http.ts reads the simplest requests for these
 * routes without node:http's streams, and runs the same chains through direct() below.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, RequestListener } from 'node:http';
import type { Socket } from 'node:net';
import querystring from 'node:querystring';
import { assert } from '@raft-kv/core';
import type { ErrorRequestHandler, Express, NextFunction, Request, RequestHandler, Response } from 'express';
import type { DirectAnswer, DirectRequest, DirectRoutes } from './direct-http';

export type HotMethod = 'GET' | 'PUT' | 'POST' | 'DELETE';

export class HotRoutes {
  private readonly chains = new Map<string, RequestHandler[]>();

  /**
   * @param app the Express app that serves everything else
   * @param before what the app runs ahead of every route (app.use), run here too
   * @param onError the app's last error handler
   */
  constructor(private readonly app: Express, private readonly before: RequestHandler[], private readonly onError: ErrorRequestHandler) {}

  /** Mounts `handlers` at `method path` on the app and on the direct path. */
  add(method: HotMethod, path: string, ...handlers: RequestHandler[]): void {
    const verb = method.toLowerCase() as Lowercase<HotMethod>;
    this.app[verb](path, ...handlers);
    this.chains.set(`${method} ${path}`, [...this.before, ...handlers]);
  }

  /** The server's request listener. */
  listener(): RequestListener {
    return (req, res) => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const chain = req.headers.origin === undefined ? this.chains.get(`${req.method} ${path}`) : undefined;
      if (!chain) return void this.app(req, res);
      const request = asExpressRequest(req, path, q < 0 ? '' : url.slice(q + 1));
      const response = res as Response;
      response.locals = {};
      this.run(chain, 0, request, response);
    };
  }

  /**
   * The same chains for the direct door (direct-http.ts), which parsed the request itself: the
   * handlers get a request and a response with the fields and methods they use.
   */
  direct(): DirectRoutes {
    return {
      has: (method, path) => this.chains.has(`${method} ${path}`),
      serve: (request, socket, answer, destroy) => {
        const chain = this.chains.get(`${request.method} ${request.path}`);
        assert(chain !== undefined, `the door serves only hot routes, not ${request.method} ${request.path}`);
        const req = new DirectIncoming(request, socket);
        this.run(chain, 0, req as unknown as Request, new DirectResponse(answer, destroy) as unknown as Response);
        // The handlers that read a body (jsonBody) are listening by now, as they would be for node:http's stream.
        if (request.body.length > 0) req.emit('data', request.body);
        req.emit('end');
      },
    };
  }

  /**
   * Express's calling convention: next() runs the next handler, next(err) the error handler; a
   * rejected promise is next(err). A hot route has no later route to fall through to, so its last
   * handler must answer, and next('route') is not supported: either is answered as an error.
   */
  private run(chain: RequestHandler[], index: number, req: Request, res: Response): void {
    const next: NextFunction = (err?: unknown) => {
      if (err !== undefined) return this.fail(err === 'route' || err === 'router' ? new Error(`next('${err}') in a hot route`) : err, req, res);
      if (index + 1 < chain.length) this.run(chain, index + 1, req, res);
      else this.fail(new Error(`hot route ${req.method} ${req.path} ended without an answer`), req, res);
    };
    try {
      const result: unknown = chain[index]!(req, res, next);
      if (result instanceof Promise) result.catch(next);
    } catch (err) {
      next(err);
    }
  }

  private fail(err: unknown, req: Request, res: Response): void {
    this.onError(err, req, res, () => res.destroy());
  }
}

/** The Express request fields our handlers read, on a plain request (Express 5's "simple" query parser is querystring.parse). */
function asExpressRequest(req: IncomingMessage, path: string, search: string): Request {
  const request = req as unknown as { query: unknown; path: string; originalUrl: string };
  request.query = querystring.parse(search);
  request.path = path;
  request.originalUrl = req.url ?? path;
  return req as unknown as Request;
}

/** A request read by the direct door, with the fields of node:http's and Express's that the hot handlers read. */
class DirectIncoming extends EventEmitter {
  readonly method: string;
  readonly url: string;
  readonly originalUrl: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly query: unknown;
  body: unknown;

  constructor(request: DirectRequest, readonly socket: Socket) {
    super();
    this.method = request.method;
    this.url = request.url;
    this.originalUrl = request.url;
    this.path = request.path;
    this.headers = request.headers;
    this.query = querystring.parse(request.search);
  }

  /** The body was read whole before the handlers ran: nothing is left to drain. */
  resume(): this {
    return this;
  }
}

/** A response for the direct door, with the fields and methods of node:http's that the hot handlers use. */
class DirectResponse extends EventEmitter {
  statusCode = 200;
  locals: Record<string, unknown> = {};
  headersSent = false;
  private readonly headers = new Map<string, readonly [string, string]>();

  constructor(private readonly answer: DirectAnswer, private readonly destroySocket: () => void) {
    super();
  }

  setHeader(name: string, value: string | number): this {
    this.headers.set(name.toLowerCase(), [name, String(value)]);
    return this;
  }

  getHeader(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[1];
  }

  end(body: string = ''): this {
    if (this.headersSent) return this;
    this.headersSent = true;
    this.answer(this.statusCode, [...this.headers.values()], body);
    this.emit('finish');
    return this;
  }

  destroy(): this {
    this.destroySocket();
    return this;
  }
}
