/**
 * The typed client of a raft-kv cluster (docs/clients.md). Give it the nodes' KV URLs; it finds
 * the leader (following 409 hints), retries what is safe to retry, and reports what it could not
 * learn. Writes go through a client session by default: each carries (Client-Id, Client-Seq), so
 * a write resent after a timeout, a lost connection or a leader change is applied at most once,
 * and answered with its first answer. Without a session a write whose answer was lost is not
 * resent: the client reports its outcome as unknown.
 */
import { pause } from './backoff';
import { Endpoints } from './endpoints';
import { KvError } from './errors';
import type { Fetch, HttpAnswer, HttpRequest } from './http';
import { exchange } from './http';
import { ClientSession } from './session';
import type { WatchEvent, WatchOptions } from './watch';
import { watchChanges } from './watch';

export interface KvClientOptions {
  /** The nodes' KV URLs (http://host:port). */
  endpoints: readonly string[];
  /** How long one request may take (the node answers a write that cannot commit with 504 after 2 s). */
  requestTimeoutMs?: number;
  /** How long one operation may take, across every retry. */
  deadlineMs?: number;
  /** Writes go through a session (default true). */
  sessions?: boolean;
  /** The cluster token (RAFT_CLUSTER_TOKEN), sent to the membership endpoints. */
  token?: string;
  /** Sees every request before it is sent (kvctl --debug prints it as curl). */
  onRequest?: (request: HttpRequest) => void;
  fetch?: Fetch;
}

export interface CasResult {
  swapped: boolean;
  /** The key's value after the swap (null: absent). */
  value: string | null;
}

export interface RangeResult {
  /** The applied index the answer reflects: watch from index + 1 to follow on from it. */
  index: number;
  kvs: { key: string; value: string }[];
  /** More keys have the prefix than `limit` allowed. */
  more: boolean;
}

/** One node's view, from its GET /health. */
export interface EndpointStatus {
  endpoint: string;
  ok: boolean;
  id?: string;
  role?: string;
  term?: number;
  commitIndex?: number;
  lastApplied?: number;
  leaderId?: string | null;
  leader?: string | null;
  error?: string;
}

export interface Member {
  id: string;
  raftUrl: string;
  kvUrl: string;
  role: 'voter' | 'learner';
  [more: string]: unknown;
}

export interface ReadOptions {
  consistency?: 'linearizable' | 'stale';
  /** Ask this node first (default: the leader, when known). */
  endpoint?: string;
}

const defaults = { requestTimeoutMs: 5_000, deadlineMs: 15_000 };

export class KvClient {
  readonly endpoints: Endpoints;
  private readonly options: Required<Pick<KvClientOptions, 'requestTimeoutMs' | 'deadlineMs' | 'sessions'>> & KvClientOptions;
  private readonly fetchFn: Fetch;
  private session: ClientSession | null = null;
  private opening: Promise<ClientSession> | null = null;

  constructor(options: KvClientOptions) {
    this.options = { ...defaults, sessions: true, ...options };
    this.endpoints = new Endpoints(options.endpoints);
    this.fetchFn = options.fetch ?? fetch;
  }

  /** The session writes go through (opened by the first write), or null. */
  get sessionId(): number | null {
    return this.session?.clientId ?? null;
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** The key's value, or null when it does not exist. */
  async get(key: string, options: ReadOptions = {}): Promise<string | null> {
    const query = `/get?key=${encodeURIComponent(key)}${options.consistency === 'stale' ? '&consistency=stale' : ''}`;
    const body = await this.read(query, options.endpoint, [404]);
    return body.ok === true ? String(body.value) : null;
  }

  /** The keys starting with `prefix`, in key order, at most `limit` (the node's default 1,000). */
  async range(prefix: string, options: ReadOptions & { limit?: number } = {}): Promise<RangeResult> {
    let query = `/range?prefix=${encodeURIComponent(prefix)}`;
    if (options.limit !== undefined) query += `&limit=${options.limit}`;
    if (options.consistency === 'stale') query += '&consistency=stale';
    const body = await this.read(query, options.endpoint);
    return { index: body.index as number, kvs: body.kvs as RangeResult['kvs'], more: body.more === true };
  }

  // ---- writes --------------------------------------------------------------------------------

  async put(key: string, value: string): Promise<void> {
    await this.write({ method: 'PUT', path: '/set', body: JSON.stringify({ key, value }) });
  }

  async delete(key: string): Promise<void> {
    await this.write({ method: 'DELETE', path: `/delete?key=${encodeURIComponent(key)}` });
  }

  /** Sets the key to `value` only if it holds `expected` (null: only if it does not exist). */
  async cas(key: string, expected: string | null, value: string): Promise<CasResult> {
    const body = await this.write({ method: 'PUT', path: '/cas', body: JSON.stringify({ key, expected, value }) });
    return { swapped: body.swapped === true, value: (body.value as string | null) ?? null };
  }

  /** Opens a new session now (writes open one by themselves); returns its id. */
  async openSession(): Promise<number> {
    this.session = null;
    return (await this.ensureSession()).clientId;
  }

  // ---- watch ---------------------------------------------------------------------------------

  /**
   * The changes under a prefix, in log order, from `fromIndex` (default: from now), on any node:
   * when a node fails or closes the stream the watch resumes on the next one after the last
   * change received. When no node holds the changes from there any more, it reads the prefix
   * again and yields a `reset` with that state before going on.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    return watchChanges({
      endpoints: this.endpoints, fetchFn: this.fetchFn, onRequest: this.options.onRequest, requestTimeoutMs: this.options.requestTimeoutMs,
      reread: (prefix) => this.range(prefix, { limit: 10_000 }),
    }, options);
  }

  // ---- the cluster -----------------------------------------------------------------------------

  /** Every endpoint's GET /health, in the order given (unreachable ones with their error). */
  async status(): Promise<EndpointStatus[]> {
    return Promise.all(this.endpoints.list.map(async (endpoint): Promise<EndpointStatus> => {
      const answer = await this.send({ method: 'GET', url: `${endpoint}/health`, headers: {} });
      if (answer.kind !== 'answer' || answer.status !== 200) return { endpoint, ok: false, error: answer.kind === 'answer' ? `HTTP ${answer.status}` : answer.message };
      const b = answer.body;
      return {
        endpoint, ok: true, id: b.id as string, role: b.state as string, term: b.term as number, commitIndex: b.commitIndex as number,
        lastApplied: b.lastApplied as number, leaderId: (b.leaderId as string | null) ?? null, leader: (b.leader as string | null) ?? null,
      };
    }));
  }

  /** GET /cluster/members (docs/membership.md), asked of the leader. */
  async members(): Promise<{ leaderId: string | null; members: Member[] }> {
    const body = await this.admin('GET', '/cluster/members');
    return { leaderId: (body.leaderId as string | null) ?? null, members: (body.members as Member[]) ?? [] };
  }

  /** Adds a learner; answered once the change is committed. */
  addMember(member: { id: string; raftUrl: string; kvUrl: string }): Promise<Record<string, unknown>> {
    return this.admin('POST', '/cluster/members', JSON.stringify(member));
  }

  promoteMember(id: string): Promise<Record<string, unknown>> {
    return this.admin('POST', `/cluster/members/${encodeURIComponent(id)}/promote`);
  }

  removeMember(id: string): Promise<Record<string, unknown>> {
    return this.admin('DELETE', `/cluster/members/${encodeURIComponent(id)}`);
  }

  /** Moves leadership to `id`; answered once it leads. */
  transferLeader(id: string): Promise<Record<string, unknown>> {
    return this.admin('POST', '/cluster/leader', JSON.stringify({ id }));
  }

  // ---- the retry loops -------------------------------------------------------------------------

  private send(request: HttpRequest, signal?: AbortSignal): Promise<HttpAnswer> {
    this.options.onRequest?.(request);
    return exchange(this.fetchFn, request, this.options.requestTimeoutMs, signal);
  }

  /** A read: any node may answer; on 503 or no answer, the next one. `accept` lists more statuses that are answers. */
  private async read(pathAndQuery: string, preferred: string | undefined, accept: number[] = []): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.options.deadlineMs;
    let first = preferred;
    let last = 'no attempt';
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const url = this.endpoints.forRead(first);
      first = undefined;
      const answer = await this.send({ method: 'GET', url: `${url}${pathAndQuery}`, headers: {} });
      if (answer.kind === 'answer') {
        if (answer.status === 200 || accept.includes(answer.status)) return answer.body;
        if (answer.status === 400 || answer.status === 413) throw refusedBy(answer, 'bad_request', 'failed');
        last = `${url} answered ${answer.status} ${String(answer.body.error ?? '')}: ${String(answer.body.message ?? '')}`;
      } else {
        last = answer.message;
      }
      this.endpoints.failed(url);
      await pause(attempt, deadline);
    }
    throw new KvError('unavailable', `no node could serve the read in ${this.options.deadlineMs} ms (last: ${last})`, 'failed');
  }

  /** A write, through the session when sessions are on. */
  private async write(op: { method: HttpRequest['method']; path: string; body?: string }): Promise<Record<string, unknown>> {
    if (!this.options.sessions) return this.retry(op, null);
    let session = await this.ensureSession();
    let seq = session.begin();
    try {
      return await this.retry(op, { session, seq }, async () => {
        // The session expired before this write was ever applied: open another and go on.
        session.end(seq);
        if (this.session === session) this.session = null;
        session = await this.ensureSession();
        seq = session.begin();
        return { session, seq };
      });
    } finally {
      session.end(seq);
    }
  }

  /**
   * Sends a write until it is answered. Every answer that says the write certainly did not happen
   * (not the leader, unavailable, replaced, refused connection) is retried; an answer that leaves
   * it unknown (504, lost connection) is retried only with a session, whose number makes the
   * retry safe.
   */
  private async retry(
    op: { method: HttpRequest['method']; path: string; body?: string },
    tagged: { session: ClientSession; seq: number } | null,
    renew?: () => Promise<{ session: ClientSession; seq: number }>,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.options.deadlineMs;
    let maybeApplied = false;
    let last = 'no attempt';
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const url = this.endpoints.forWrite();
      const headers = tagged ? tagged.session.headers(tagged.seq) : {};
      const answer = await this.send({ method: op.method, url: `${url}${op.path}`, headers, ...(op.body === undefined ? {} : { body: op.body }) });
      const step = this.judgeWrite(url, answer, tagged !== null);
      if (step.kind === 'done') return step.body;
      last = step.last;
      if (step.kind === 'unknown') {
        maybeApplied = true;
        if (!tagged) throw new KvError('unknown', `the write may or may not have happened: ${last}`, 'unknown', statusOf(answer), errorOf(answer));
      }
      if (step.kind === 'fatal') {
        if (maybeApplied) throw new KvError('unknown', `${last} (after an earlier attempt whose outcome is unknown)`, 'unknown', statusOf(answer), errorOf(answer));
        throw refusedBy(answer, step.code, 'failed');
      }
      if (step.kind === 'expired') {
        if (maybeApplied || !renew) throw new KvError('unknown', `the session expired while the write's outcome was unknown: ${last}`, 'unknown', 410, 'session_expired');
        tagged = await renew();
        continue;
      }
      // Following a fresh leader hint is immediate; hints that keep pointing around back off too.
      if (step.wait || attempt >= 3) await pause(attempt, deadline);
    }
    const message = `no node took it in ${this.options.deadlineMs} ms (last: ${last})`;
    throw maybeApplied ? new KvError('unknown', `${message}; an earlier attempt may have taken effect`, 'unknown') : new KvError('unavailable', message, 'failed');
  }

  private judgeWrite(url: string, answer: HttpAnswer, tagged: boolean):
    | { kind: 'done'; body: Record<string, unknown> }
    | { kind: 'retry' | 'unknown' | 'expired'; wait: boolean; last: string }
    | { kind: 'fatal'; code: 'bad_request' | 'refused'; last: string } {
    if (answer.kind === 'refused') {
      this.endpoints.failed(url);
      return { kind: 'retry', wait: true, last: answer.message };
    }
    if (answer.kind === 'lost') {
      this.endpoints.failed(url);
      return { kind: 'unknown', wait: true, last: answer.message };
    }
    const { status, body } = answer;
    const last = `${url} answered ${status} ${String(body.error ?? '')}: ${String(body.message ?? '')}`;
    if (status === 200) {
      this.endpoints.isLeader(url);
      return { kind: 'done', body };
    }
    if (status === 409 && body.error === 'not_leader') {
      this.endpoints.notLeader(url, body.leader);
      return { kind: 'retry', wait: typeof body.leader !== 'string', last };
    }
    if (status === 410 && body.error === 'session_expired' && tagged) return { kind: 'expired', wait: false, last };
    if (status === 503 || status === 429) {
      if (body.error !== 'leadership_lost' && status === 503) this.endpoints.failed(url);
      return { kind: 'retry', wait: true, last };
    }
    if (status === 504 || status >= 500) return { kind: 'unknown', wait: false, last };
    return { kind: 'fatal', code: status === 400 || status === 413 ? 'bad_request' : 'refused', last };
  }

  /** The session, opened once for concurrent writes that all need one. */
  private ensureSession(): Promise<ClientSession> {
    if (this.session) return Promise.resolve(this.session);
    this.opening ??= this.register().then(
      (clientId) => {
        this.opening = null;
        this.session = new ClientSession(clientId);
        return this.session;
      },
      (err: unknown) => {
        this.opening = null;
        throw err;
      },
    );
    return this.opening;
  }

  /** POST /session until one is opened: a registration whose answer was lost only leaves an unused session to expire. */
  private async register(): Promise<number> {
    const deadline = Date.now() + this.options.deadlineMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.retry({ method: 'POST', path: '/session' }, null)).clientId as number;
      } catch (err) {
        if (!(err instanceof KvError)) throw err;
        if (err.code !== 'unknown' || Date.now() >= deadline) {
          // Nothing was written either way: at worst an unused session is left to expire.
          throw new KvError(err.code === 'unknown' ? 'unavailable' : err.code, `could not open a session: ${err.message}`, 'failed', err.status, err.error);
        }
        await pause(attempt, deadline);
      }
    }
  }

  /** The membership endpoints: leader-only, with the cluster token; a refusal is an error. */
  private async admin(method: HttpRequest['method'], path: string, body?: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + this.options.deadlineMs;
    const headers: Record<string, string> = this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
    let last = 'no attempt';
    for (let attempt = 0; Date.now() < deadline; attempt++) {
      const url = this.endpoints.forWrite();
      const answer = await this.send({ method, url: `${url}${path}`, headers, ...(body === undefined ? {} : { body }) });
      if (answer.kind !== 'answer') {
        last = answer.message;
        this.endpoints.failed(url);
        if (answer.kind === 'lost' && method !== 'GET') throw new KvError('unknown', `the change may or may not have happened: ${last}`, 'unknown');
      } else if (answer.status === 200) {
        this.endpoints.isLeader(url);
        return answer.body;
      } else if (answer.status === 409 && answer.body.error === 'not_leader') {
        this.endpoints.notLeader(url, answer.body.leader);
        last = `${url} does not lead`;
        if (typeof answer.body.leader === 'string' && attempt < 3) continue;
      } else if (answer.status === 503 && method === 'GET') {
        last = `${url} answered 503`;
        this.endpoints.failed(url);
      } else {
        throw refusedBy(answer, answer.status === 400 || answer.status === 413 ? 'bad_request' : answer.status === 503 ? 'unavailable' : 'refused', 'failed');
      }
      await pause(attempt, deadline);
    }
    throw new KvError('unavailable', `no leader answered in ${this.options.deadlineMs} ms (last: ${last})`, 'failed');
  }
}

function refusedBy(answer: HttpAnswer, code: KvError['code'], outcome: KvError['outcome']): KvError {
  if (answer.kind !== 'answer') return new KvError(code, answer.message, outcome);
  const { status, body } = answer;
  return new KvError(code, `${status} ${String(body.error ?? '')}: ${String(body.message ?? '')}`, outcome, status, String(body.error ?? ''));
}

const statusOf = (answer: HttpAnswer): number => (answer.kind === 'answer' ? answer.status : 0);
const errorOf = (answer: HttpAnswer): string => (answer.kind === 'answer' ? String(answer.body.error ?? '') : answer.kind);
