/**
 * The typed client's decisions, against scripted answers (no cluster): which answers it retries
 * and how (the same session number after an unknown outcome, a new session only when the write
 * certainly did not happen), how it follows 409 hints, what it reports when it gives up; the
 * session's Client-Ack; the SSE reader; kvctl's argument parsing and table formatting.
 */
import { KvClient, KvError, curlOf } from '@raft-kv/client';
import { describe, expect, it } from 'vitest';
import { Endpoints } from '../client/src/endpoints';
import { ClientSession } from '../client/src/session';
import { sseEvents } from '../client/src/sse';
import { UsageError, defaultEndpoints, parseArgs } from '../client/src/kvctl/args';
import { statusTable, table, watchLines } from '../client/src/kvctl/format';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Script = (request: Seen, n: number) => { status: number; body: Record<string, unknown> } | 'refuse' | 'drop';

/** A fetch that answers from a script and records what it was asked. */
function scripted(script: Script): { fetch: typeof fetch; seen: Seen[] } {
  const seen: Seen[] = [];
  const fake = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request: Seen = { method: init?.method ?? 'GET', url: String(input), headers: { ...(init?.headers as Record<string, string>) }, body: init?.body as string | undefined };
    seen.push(request);
    const answer = script(request, seen.length);
    if (answer === 'refuse') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    if (answer === 'drop') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET', message: 'socket hang up' } });
    return new Response(JSON.stringify(answer.body), { status: answer.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch: fake as typeof fetch, seen };
}

const ok = (body: Record<string, unknown> = {}) => ({ status: 200, body: { ok: true, ...body } });
const opened = (clientId: number) => ok({ clientId, timeoutMs: 600_000 });
const stored = ok({ message: 'stored', key: 'k' });
const client = (script: Script, options: Partial<ConstructorParameters<typeof KvClient>[0]> = {}) => {
  const { fetch, seen } = scripted(script);
  return { kv: new KvClient({ endpoints: ['http://a:1', 'http://b:2', 'http://c:3'], deadlineMs: 2_000, fetch, ...options }), seen };
};

describe('KvClient writes with a session', () => {
  it('opens a session, then resends a write whose answer was lost with the same Client-Seq, to the next node', async () => {
    const { kv, seen } = client((r, n) => {
      if (r.url.endsWith('/session')) return opened(7);
      return n === 2 ? 'drop' : n === 3 ? { status: 504, body: { ok: false, error: 'timeout' } } : stored;
    });
    await kv.put('k', 'v');
    const writes = seen.filter((r) => r.url.endsWith('/set'));
    expect(writes.map((r) => [r.url, r.headers['Client-Id'], r.headers['Client-Seq'], r.headers['Client-Ack']])).toEqual([
      ['http://a:1/set', '7', '1', '1'], ['http://b:2/set', '7', '1', '1'], ['http://b:2/set', '7', '1', '1'],
    ]);
    await kv.put('k', 'w');
    expect(seen[seen.length - 1]!.headers['Client-Seq']).toBe('2');
  });

  it('follows a 409 hint to the leader and remembers it', async () => {
    const { kv, seen } = client((r) => {
      if (!r.url.startsWith('http://c:3')) return { status: 409, body: { ok: false, error: 'not_leader', leaderId: 'n3', leader: 'http://c:3' } };
      return r.url.endsWith('/session') ? opened(1) : stored;
    });
    await kv.put('k', 'v');
    await kv.delete('k');
    expect(seen.map((r) => r.url)).toEqual(['http://a:1/session', 'http://c:3/session', 'http://c:3/set', 'http://c:3/delete?key=k']);
  });

  it('a session that expired before the write was ever applied: opens another and goes on', async () => {
    let sessions = 0;
    const { kv, seen } = client((r) => {
      if (r.url.endsWith('/session')) return opened(++sessions);
      return r.headers['Client-Id'] === '1' ? { status: 410, body: { ok: false, error: 'session_expired' } } : stored;
    });
    await kv.put('k', 'v');
    expect(seen.filter((r) => r.url.endsWith('/set')).map((r) => r.headers['Client-Id'])).toEqual(['1', '2']);
    expect(kv.sessionId).toBe(2);
  });

  it('a session that expired after an attempt whose outcome is unknown: reports unknown, does not resend', async () => {
    const { kv, seen } = client((r, n) => {
      if (r.url.endsWith('/session')) return opened(1);
      return n === 2 ? 'drop' : { status: 410, body: { ok: false, error: 'session_expired' } };
    });
    const error = await kv.put('k', 'v').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KvError);
    expect(error).toMatchObject({ code: 'unknown', outcome: 'unknown' });
    expect(seen.filter((r) => r.url.endsWith('/set'))).toHaveLength(2);
  });

  it('a 400 is not retried and says bad_request; certainly-not-applied answers are retried until the deadline', async () => {
    const bad = client((r) => (r.url.endsWith('/session') ? opened(1) : { status: 413, body: { ok: false, error: 'too_large', message: 'key larger than 1024 bytes' } }));
    await expect(bad.kv.put('k', 'v')).rejects.toMatchObject({ code: 'bad_request', outcome: 'failed', status: 413 });
    expect(bad.seen).toHaveLength(2);
    const busy = client((r) => (r.url.endsWith('/session') ? opened(1) : { status: 503, body: { ok: false, error: 'unavailable' } }), { deadlineMs: 300 });
    await expect(busy.kv.put('k', 'v')).rejects.toMatchObject({ code: 'unavailable', outcome: 'failed' });
    expect(busy.seen.length).toBeGreaterThan(3);
  });

  it('concurrent writes: Client-Ack is the lowest number still outstanding', () => {
    const session = new ClientSession(4);
    const a = session.begin();
    const b = session.begin();
    expect(session.headers(b)).toEqual({ 'Client-Id': '4', 'Client-Seq': '2', 'Client-Ack': '1' });
    session.end(a);
    expect(session.headers(b)['Client-Ack']).toBe('2');
    const c = session.begin();
    expect(session.headers(c)['Client-Ack']).toBe('2');
  });
});

describe('KvClient without sessions', () => {
  it('does not resend a write whose outcome is unknown, and says so', async () => {
    const { kv, seen } = client(() => ({ status: 504, body: { ok: false, error: 'timeout', message: 'proposal timeout' } }), { sessions: false });
    await expect(kv.put('k', 'v')).rejects.toMatchObject({ code: 'unknown', outcome: 'unknown', status: 504 });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers).not.toHaveProperty('Client-Id');
  });

  it('resends after a refused connection (nothing was sent)', async () => {
    const { kv, seen } = client((_r, n) => (n === 1 ? 'refuse' : stored), { sessions: false });
    await kv.put('k', 'v');
    expect(seen.map((r) => r.url)).toEqual(['http://a:1/set', 'http://b:2/set']);
  });
});

describe('KvClient reads and cas', () => {
  it('get: null for 404, the next node after a 503', async () => {
    const { kv, seen } = client((r, n) => (n === 1 ? { status: 503, body: { ok: false, error: 'unavailable' } } : r.url.includes('key=gone') ? { status: 404, body: { ok: false, error: 'not_found' } } : ok({ key: 'k', value: 'v' })));
    expect(await kv.get('k')).toBe('v');
    expect(await kv.get('gone')).toBeNull();
    expect(seen.map((r) => r.url)).toEqual(['http://a:1/get?key=k', 'http://b:2/get?key=k', 'http://b:2/get?key=gone']);
  });

  it('cas: sends expected null for "absent" and returns what the node answered', async () => {
    const { kv, seen } = client((r) => (r.url.endsWith('/session') ? opened(1) : ok({ key: 'k', swapped: false, value: 'held' })));
    expect(await kv.cas('k', null, 'new')).toEqual({ swapped: false, value: 'held' });
    expect(JSON.parse(seen[1]!.body!)).toEqual({ key: 'k', expected: null, value: 'new' });
  });
});

describe('Endpoints', () => {
  it('asks the members of now after replace(), keeps a known leader, and refuses an empty list', () => {
    const e = new Endpoints(['http://a:1/', 'http://b:1']);
    expect(e.forWrite()).toBe('http://a:1');
    e.failed('http://a:1');
    expect(e.forWrite()).toBe('http://b:1');
    e.isLeader('http://b:1');
    e.replace(['http://b:1', 'http://c:1/']);
    expect(e.list).toEqual(['http://b:1', 'http://c:1']);
    expect(e.forWrite()).toBe('http://b:1');
    e.failed('http://b:1');
    expect(e.list).toContain(e.forWrite());
    expect(() => e.replace([])).toThrow(RangeError);
    expect(e.list).toEqual(['http://b:1', 'http://c:1']);
  });
});

describe('curlOf', () => {
  it('quotes for a POSIX shell', () => {
    expect(curlOf({ method: 'PUT', url: 'http://a:1/set', headers: { 'Client-Id': '3' }, body: `{"key":"it's","value":"x"}` }))
      .toBe(`curl -s -X PUT 'http://a:1/set' -H 'Client-Id: 3' -d '{"key":"it'\\''s","value":"x"}'`);
    expect(curlOf({ method: 'GET', url: 'http://a:1/get?key=k', headers: {} })).toBe(`curl -s 'http://a:1/get?key=k'`);
  });
});

describe('the SSE reader', () => {
  it('splits events across chunks, keeps event names and ids, skips comments, accepts CRLF', async () => {
    const chunks = ['event: ready\ndata: {"a":1}\n', '\n: ping\n\nid: 5\nda', 'ta: {"index":5}\r', '\n\r\nevent: close\ndata: {}\n\n'];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    });
    const events = [];
    for await (const e of sseEvents(body)) events.push(e);
    expect(events).toEqual([
      { event: 'ready', data: '{"a":1}', id: null },
      { event: 'message', data: '{"index":5}', id: '5' },
      { event: 'close', data: '{}', id: null },
    ]);
  });
});

describe('kvctl arguments', () => {
  const env = {};
  it('global options anywhere; endpoints from the flag, else KVCTL_ENDPOINTS, else npm run cluster', () => {
    expect(parseArgs(['get', 'k', '-o', 'json'], env)).toMatchObject({ command: ['get'], args: ['k'], global: { output: 'json', endpoints: defaultEndpoints } });
    expect(parseArgs(['--endpoints=http://x:1,http://y:2/', 'put', 'k', 'v'], { KVCTL_ENDPOINTS: 'http://z:3' }).global.endpoints).toEqual(['http://x:1', 'http://y:2/']);
    expect(parseArgs(['status'], { KVCTL_ENDPOINTS: 'http://z:3' }).global.endpoints).toEqual(['http://z:3']);
    expect(parseArgs(['put', 'k', '--', '-v'], env).args).toEqual(['k', '-v']);
    expect(parseArgs(['members'], env).command).toEqual(['members', 'list']);
    expect(parseArgs(['members', 'add', 'n4', '--raft-url', 'http://r', '--kv-url', 'http://k'], env)).toMatchObject({ command: ['members', 'add'], args: ['n4'] });
    expect(parseArgs(['leader', 'transfer', 'n2', '--no-session', '--token', 't'], env)).toMatchObject({ command: ['leader', 'transfer'], args: ['n2'], global: { sessions: false, token: 't' } });
    expect(parseArgs(['watch', '--prefix', 'a/', '--from-index', '7'], env).flags).toEqual(new Map([['prefix', 'a/'], ['from-index', '7']]));
  });

  it.each([
    [[]], [['nope']], [['get']], [['get', 'a', 'b']], [['put', 'k']], [['get', 'k', '--limit', '3']], [['get', 'k', '--bogus']],
    [['-o', 'xml', 'status']], [['--timeout', '0', 'status']], [['--endpoints', 'ftp://x', 'status']], [['leader', 'k']], [['watch', '--prefix']],
    [['status', '--debug=yes']],
  ])('refuses %j', (argv) => {
    expect(() => parseArgs(argv, env)).toThrow(UsageError);
  });
});

describe('kvctl tables', () => {
  it('aligns columns under their header', () => {
    expect(table(['KEY', 'VALUE'], [['a', '1'], ['longer', '22']])).toBe('KEY     VALUE\na       1\nlonger  22');
    expect(statusTable([
      { endpoint: 'http://a:1', ok: true, id: 'n1', role: 'leader', term: 3, commitIndex: 10, lastApplied: 10, leaderId: 'n1' },
      { endpoint: 'http://b:2', ok: false, error: 'cannot connect' },
    ])).toBe([
      'ENDPOINT    ID  ROLE         TERM  COMMIT  APPLIED  LEADER',
      'http://a:1  n1  leader       3     10      10       n1',
      'http://b:2  -   unreachable  -     -       -        cannot connect',
    ].join('\n'));
    expect(watchLines({ type: 'reset', index: 9, kvs: [{ key: 'a', value: '1' }], more: false })).toEqual(['9  reset  (1 keys)', '9  set  a  1']);
  });
});
