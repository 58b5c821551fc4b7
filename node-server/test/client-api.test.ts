/**
 * The client routes in-process (docs/clients.md, docs/api.md): sessions over HTTP (a repeated
 * Client-Seq is answered again without being applied, acknowledged answers are forgotten, an
 * expired session is 410), PUT /cas, GET /range, GET /watch (events in order, resume, 410 for a
 * compacted index, a slow watcher closed without slowing the node, the watcher limit), and bad
 * input to every new route through both doors: the documented 4xx and nothing changed.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Reply, TestNode } from './support/in-process-node';
import { call, startTestNode, until } from './support/in-process-node';
import { changesOf, openSse } from './support/sse';

const json = (body: unknown) => JSON.stringify(body);
const sessionHeaders = (client: number, seq: number, ack = seq) => ({ 'client-id': String(client), 'client-seq': String(seq), 'client-ack': String(ack) });

async function leader(env: Record<string, string> = {}): Promise<TestNode> {
  const t = await startTestNode(env);
  await until('a leader', () => t.node.host.raft.role === 'leader');
  return t;
}

describe('sessions over HTTP', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await leader();
  });
  afterAll(() => t.stop());

  const openSession = async () => {
    const r = await call(`${t.kv}/session`, { method: 'POST' });
    expect(r).toMatchObject({ status: 200, body: { ok: true, clientId: expect.any(Number), timeoutMs: 600_000 } });
    return r.body.clientId as number;
  };

  it('answers a repeated write with the first answer and applies it once ([apply] says duplicate)', async () => {
    const client = await openSession();
    const first = await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'once', value: 'first' }), headers: sessionHeaders(client, 1) });
    expect(first).toMatchObject({ status: 200, body: { ok: true, message: 'stored', key: 'once' } });
    expect((await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'once', value: 'other' }) })).status).toBe(200);
    const again = await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'once', value: 'first' }), headers: sessionHeaders(client, 1) });
    expect(again).toMatchObject({ status: 200, body: first.body });
    expect((await call(`${t.kv}/get?key=once`)).body.value).toBe('other');
    const applies = t.lines.filter((l) => l.includes('key=once value=first'));
    expect(applies).toHaveLength(2);
    expect(applies[0]).toMatch(new RegExp(`^\\[apply\\] index=\\d+ op=set key=once value=first client=${client} seq=1$`));
    expect(applies[1]).toMatch(new RegExp(`^\\[apply\\] index=\\d+ op=set key=once value=first client=${client} seq=1 duplicate$`));
  });

  it('forgets answers below Client-Ack and refuses those numbers (400 stale_sequence)', async () => {
    const client = await openSession();
    expect((await call(`${t.kv}/delete?key=a`, { method: 'DELETE', headers: sessionHeaders(client, 1) })).status).toBe(200);
    expect((await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'a', value: '2' }), headers: sessionHeaders(client, 2) })).status).toBe(200);
    const stale = await call(`${t.kv}/delete?key=a`, { method: 'DELETE', headers: sessionHeaders(client, 1) });
    expect(stale).toMatchObject({ status: 400, body: { ok: false, error: 'stale_sequence' } });
    expect((await call(`${t.kv}/get?key=a`)).body.value).toBe('2');
  });

  it('a session nobody opened is 410 session_expired, and nothing is written', async () => {
    const r = await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'ghost', value: '1' }), headers: sessionHeaders(999_999, 1) });
    expect(r).toMatchObject({ status: 410, body: { ok: false, error: 'session_expired' } });
    expect((await call(`${t.kv}/get?key=ghost`)).status).toBe(404);
  });

  it('compare-and-swap: swaps only from the expected value, answers the value after it; a repeat swaps "again"', async () => {
    const client = await openSession();
    const cas = (body: unknown, headers: Record<string, string> = {}) => call(`${t.kv}/cas`, { method: 'PUT', body: json(body), headers });
    expect(await cas({ key: 'lock', expected: null, value: 'me' }, sessionHeaders(client, 1))).toMatchObject({ status: 200, body: { ok: true, key: 'lock', swapped: true, value: 'me' } });
    expect((await cas({ key: 'lock', expected: null, value: 'you' })).body).toEqual({ ok: true, key: 'lock', swapped: false, value: 'me' });
    expect((await cas({ key: 'lock', expected: 'me', value: '' })).body).toEqual({ ok: true, key: 'lock', swapped: true, value: '' });
    expect((await cas({ key: 'lock', expected: null, value: 'me' }, sessionHeaders(client, 1))).body).toEqual({ ok: true, key: 'lock', swapped: true, value: 'me' });
    expect((await call(`${t.kv}/get?key=lock`)).body.value).toBe('');
    expect(t.lines.some((l) => /op=cas key=lock expected=none value=me swapped=true client=\d+ seq=1$/.test(l))).toBe(true);
  });

  it('range: keys with the prefix in order, at most limit, with the index they reflect', async () => {
    for (const k of ['r/b', 'r/a', 'r/c', 'rx', 's']) expect((await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: k, value: k.toUpperCase() }) })).status).toBe(200);
    const all = await call(`${t.kv}/range?prefix=r/`);
    expect(all.body).toEqual({ ok: true, prefix: 'r/', index: t.node.host.replica.kv.appliedIndex, kvs: [{ key: 'r/a', value: 'R/A' }, { key: 'r/b', value: 'R/B' }, { key: 'r/c', value: 'R/C' }], more: false });
    expect((await call(`${t.kv}/range?prefix=r/&limit=2`)).body).toMatchObject({ kvs: [{ key: 'r/a' }, { key: 'r/b' }], more: true });
    expect((await call(`${t.kv}/range?prefix=r&consistency=stale`)).body).toMatchObject({ stale: true, kvs: [{ key: 'r/a' }, { key: 'r/b' }, { key: 'r/c' }, { key: 'rx' }] });
    expect(((await call(`${t.kv}/range`)).body.kvs as unknown[]).length).toBeGreaterThan(5);
  });
});

describe('a session expires by the time written in the log', () => {
  let t: TestNode;
  afterAll(() => t.stop());

  it('is 410 session_expired once the client was silent for longer than KV_SESSION_TIMEOUT_MS', async () => {
    t = await leader({ KV_SESSION_TIMEOUT_MS: '1000' });
    const opened = Date.now();
    const client = (await call(`${t.kv}/session`, { method: 'POST' })).body.clientId as number;
    expect((await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'a', value: '1' }), headers: sessionHeaders(client, 1) })).status).toBe(200);
    // The condition is the wall clock itself: the next write is stamped with it.
    await until('the session timeout to pass', () => Date.now() > opened + 1_500, 5_000);
    const late = await call(`${t.kv}/set`, { method: 'PUT', body: json({ key: 'a', value: '2' }), headers: sessionHeaders(client, 2) });
    expect(late).toMatchObject({ status: 410, body: { ok: false, error: 'session_expired', message: expect.stringContaining('POST /session') } });
    expect((await call(`${t.kv}/get?key=a`)).body.value).toBe('1');
    expect(t.lines.some((l) => new RegExp(`op=set key=a value=2 client=${client} seq=2 rejected=session_expired$`).test(l))).toBe(true);
  });
});

describe('GET /watch', () => {
  let t: TestNode;
  const streams: { close(): void }[] = [];
  afterEach(() => {
    for (const s of streams.splice(0)) s.close();
  });
  afterAll(() => t.stop());
  const put = (key: string, value: string) => call(`${t.kv}/set`, { method: 'PUT', body: json({ key, value }) });
  const watch = async (query: string, headers: Record<string, string> = {}) => {
    const s = await openSse(`${t.kv}/watch${query}`, headers);
    streams.push(s);
    return s;
  };

  it('streams the changes under a prefix from an index, in order, then live; resumes after Last-Event-ID', async () => {
    t = await leader({ KV_WATCHERS_MAX: '3' });
    const from = t.node.host.replica.kv.appliedIndex + 1;
    await put('w/a', '1');
    await put('x', 'not watched');
    await call(`${t.kv}/cas`, { method: 'PUT', body: json({ key: 'w/a', expected: 'nope', value: 'never' }) });
    const s = await watch(`?prefix=w/&fromIndex=${from}`);
    expect(s.status).toBe(200);
    await until('the catch-up', () => changesOf(s).length === 1);
    expect(s.events[0]).toMatchObject({ event: 'ready', data: { nodeId: 'n1', fromIndex: from } });
    await put('w/b', '2');
    await call(`${t.kv}/delete?key=w/a`, { method: 'DELETE' });
    await call(`${t.kv}/cas`, { method: 'PUT', body: json({ key: 'w/b', expected: '2', value: '3' }) });
    await until('the live changes', () => changesOf(s).length === 4);
    const changes = changesOf(s);
    expect(changes.map(([, op, key, value]) => [op, key, value])).toEqual([['set', 'w/a', '1'], ['set', 'w/b', '2'], ['delete', 'w/a', undefined], ['set', 'w/b', '3']]);
    expect(changes.map(([index]) => index)).toEqual([...changes.map(([index]) => index)].sort((a, b) => a - b));
    expect(s.events.filter((e) => e.event === 'message').map((e) => Number(e.id))).toEqual(changes.map(([index]) => index));
    // An EventSource that reconnects sends the last id it saw: the stream goes on after it.
    const resumed = await watch('?prefix=w/', { 'last-event-id': String(changes[1]![0]) });
    await until('the resumed changes', () => changesOf(resumed).length === 2);
    expect(changesOf(resumed)).toEqual(changes.slice(2));
  });

  it('answers 503 beyond KV_WATCHERS_MAX watchers', async () => {
    await Promise.all([watch(''), watch(''), watch('')]);
    const over = await watch('');
    expect(over).toMatchObject({ status: 503, body: { ok: false, error: 'unavailable', message: expect.stringContaining('KV_WATCHERS_MAX') } });
  });

  it('a watcher that stops reading is closed with slow_watcher once too far behind; the node keeps serving', async () => {
    const node = await leader({ KV_WATCH_LAG_ENTRIES_MAX: '20', KV_VALUE_BYTES_MAX: String(64 * 1024), KV_BODY_BYTES_MAX: String(128 * 1024) });
    try {
      const s = await openSse(`${node.kv}/watch`);
      streams.push(s);
      s.pause();
      const big = 'v'.repeat(60 * 1024);
      const started = Date.now();
      // Far more than the socket buffers hold: the watcher blocks, the writes do not.
      for (let i = 0; i < 250 && node.node.host.watchers.size > 0; i++) {
        expect((await call(`${node.kv}/set`, { method: 'PUT', body: json({ key: `big${i}`, value: big }) })).status).toBe(200);
      }
      expect(node.node.host.watchers.size).toBe(0);
      expect(Date.now() - started).toBeLessThan(60_000);
      s.resume();
      await s.ended;
      const last = s.events[s.events.length - 1]!;
      expect(last).toMatchObject({ event: 'close', data: { reason: 'slow_watcher', nextIndex: expect.any(Number) } });
      const received = changesOf(s);
      expect(received.length).toBeGreaterThan(0);
      // What it received is complete and in order up to where it was closed.
      expect(received.map(([, , key]) => key)).toEqual(received.map((_, i) => `big${i}`));
      expect(last.data.nextIndex).toBe(received[received.length - 1]![0] + 1);
    } finally {
      await node.stop();
    }
  });

  it('answers 410 with the first index it holds for an index compacted away', async () => {
    const node = await leader({ RAFT_SNAPSHOT_THRESHOLD: '5', RAFT_SNAPSHOT_RETAIN_ENTRIES: '0' });
    try {
      // Six writes after the leader's empty entry: one snapshot, at index 5 or later, and then at
      // most two entries more, too few for another. So nothing is compacted after the wait below (a
      // second snapshot landing between the two watches made the second one 410 too).
      for (let i = 0; i < 6; i++) expect((await call(`${node.kv}/set`, { method: 'PUT', body: json({ key: `k${i}`, value: 'v' }) })).status).toBe(200);
      await until('a snapshot', () => node.node.host.raft.firstIndex > 2);
      const gone = await openSse(`${node.kv}/watch?fromIndex=1`);
      const firstIndex = node.node.host.raft.firstIndex;
      expect(gone).toMatchObject({ status: 410, body: { ok: false, error: 'compacted', firstIndex, snapshotIndex: expect.any(Number) } });
      expect(gone.body!.snapshotIndex).toBeGreaterThanOrEqual(firstIndex - 1);
      const held = await openSse(`${node.kv}/watch?fromIndex=${firstIndex}`);
      streams.push(held);
      expect(held.status).toBe(200);
    } finally {
      await node.stop();
    }
  });
});

describe('bad input to the client routes', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await leader({ KV_KEY_BYTES_MAX: '64', KV_VALUE_BYTES_MAX: '1000', KV_BODY_BYTES_MAX: '4000' });
  });
  afterAll(() => t.stop());

  let doorHeaders: Record<string, string> = {};
  const kv = (path: string, init: RequestInit = {}) => call(`${t.kv}${path}`, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...doorHeaders } });
  const bad = (message: string) => ({ ok: false, error: 'bad_request', message });
  const headerMessage = 'Client-Id, Client-Seq and Client-Ack must each be one whole number from 1';
  const setWith = (headers: Record<string, string>) => () => kv('/set', { method: 'PUT', body: json({ key: 'a', value: 'b' }), headers });
  const casWith = (body: unknown) => () => kv('/cas', { method: 'PUT', body: typeof body === 'string' ? body : json(body) });
  const badRequests: [string, () => Promise<Reply>, number, Record<string, unknown>][] = [
    ['Client-Id without Client-Seq', setWith({ 'client-id': '3' }), 400, bad('Client-Id and Client-Seq go together (Client-Ack is optional)')],
    ['Client-Seq without Client-Id', setWith({ 'client-seq': '3' }), 400, bad('Client-Id and Client-Seq go together (Client-Ack is optional)')],
    ['a Client-Id that is not a number', setWith({ 'client-id': 'abc', 'client-seq': '1' }), 400, bad(headerMessage)],
    ['a Client-Seq of 0', setWith({ 'client-id': '3', 'client-seq': '0' }), 400, bad(headerMessage)],
    ['a negative Client-Ack', setWith({ 'client-id': '3', 'client-seq': '2', 'client-ack': '-1' }), 400, bad(headerMessage)],
    ['a Client-Id beyond 2^53', setWith({ 'client-id': '99999999999999999', 'client-seq': '1' }), 400, bad(headerMessage)],
    ['Client-Ack above Client-Seq', setWith({ 'client-id': '3', 'client-seq': '2', 'client-ack': '3' }), 400, bad('Client-Ack (the lowest number still outstanding) cannot exceed Client-Seq')],
    ['session headers on DELETE /delete', () => kv('/delete?key=a', { method: 'DELETE', headers: { 'client-id': '1.5', 'client-seq': '1' } }), 400, bad(headerMessage)],
    ['session headers on PUT /cas', () => kv('/cas', { method: 'PUT', body: json({ key: 'a', expected: null, value: 'b' }), headers: { 'client-id': '1', 'client-seq': 'x' } }), 400, bad(headerMessage)],
    ['PUT /cas with malformed JSON', casWith('{"key":'), 400, bad('invalid JSON body')],
    ['PUT /cas with an array', casWith([]), 400, bad('invalid JSON body')],
    ['PUT /cas without expected', casWith({ key: 'a', value: 'b' }), 400, bad('expected must be a string, or null for "the key must not exist"')],
    ['PUT /cas with a numeric expected', casWith({ key: 'a', expected: 1, value: 'b' }), 400, bad('expected must be a string, or null for "the key must not exist"')],
    ['PUT /cas without a value', casWith({ key: 'a', expected: null }), 400, bad('value must be a string')],
    ['PUT /cas with an empty key', casWith({ key: ' ', expected: null, value: 'b' }), 400, bad('key cannot be empty')],
    ['PUT /cas with a key over the limit', casWith({ key: 'k'.repeat(65), expected: null, value: 'b' }), 413, { ok: false, error: 'too_large', message: 'key larger than 64 bytes' }],
    ['PUT /cas with an expected value over the limit', casWith({ key: 'a', expected: 'e'.repeat(1001), value: 'b' }), 413, { ok: false, error: 'too_large', message: 'expected larger than 1000 bytes' }],
    ['POST /session with fields', () => kv('/session', { method: 'POST', body: json({ timeoutMs: 5 }) }), 400, bad('POST /session takes no fields: send no body, or {}')],
    ['POST /session with malformed JSON', () => kv('/session', { method: 'POST', body: '{' }), 400, bad('invalid JSON body')],
    ['GET /range with limit 0', () => kv('/range?limit=0'), 400, bad('limit must be a whole number from 1 to 10000')],
    ['GET /range with limit 10001', () => kv('/range?limit=10001'), 400, bad('limit must be a whole number from 1 to 10000')],
    ['GET /range with a limit that is not a number', () => kv('/range?limit=ten'), 400, bad('limit must be a whole number from 1 to 10000')],
    ['GET /range with the prefix twice', () => kv('/range?prefix=a&prefix=b'), 400, bad('prefix and limit must be given at most once')],
    ['GET /range with a prefix over the limit', () => kv(`/range?prefix=${'p'.repeat(65)}`), 413, { ok: false, error: 'too_large', message: 'prefix larger than 64 bytes' }],
    ['GET /range with an unknown consistency', () => kv('/range?consistency=eventual'), 400, bad('consistency must be linearizable or stale')],
    ['GET /watch with fromIndex 0', () => kv('/watch?fromIndex=0'), 400, bad('fromIndex must be a whole number from 1')],
    ['GET /watch with fromIndex abc', () => kv('/watch?fromIndex=abc'), 400, bad('fromIndex must be a whole number from 1')],
    ['GET /watch with the prefix twice', () => kv('/watch?prefix=a&prefix=b'), 400, bad('prefix and fromIndex must be given at most once')],
    ['GET /watch with a bad Last-Event-ID', () => kv('/watch', { headers: { 'last-event-id': 'x' } }), 400, bad('Last-Event-ID must be a whole number')],
    ['GET /session', () => kv('/session'), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['POST /cas', () => kv('/cas', { method: 'POST', body: '{}' }), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['DELETE /range', () => kv('/range', { method: 'DELETE' }), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
    ['PUT /watch', () => kv('/watch', { method: 'PUT' }), 405, { ok: false, error: 'method_not_allowed', message: 'method not allowed' }],
  ];

  it.each([['the hot routes', {}], ['Express', { origin: 'http://page.test' }]])('answers the documented 4xx, changes nothing, and keeps serving (%s)', async (door, headers) => {
    doorHeaders = headers;
    const before = t.node.host.raft.lastIndex;
    for (const [what, send, status, body] of badRequests) {
      const r = await send();
      expect({ what, status: r.status, body: r.body }).toEqual({ what, status, body });
    }
    expect(t.node.host.raft.lastIndex).toBe(before);
    expect((await kv('/cas', { method: 'PUT', body: json({ key: `still via ${door}`, expected: null, value: 'serving' }) })).body).toMatchObject({ swapped: true });
    expect(t.fatal).toEqual([]);
  });

  it('a watch stream opened through either door is the same stream', async () => {
    for (const origin of [undefined, 'http://page.test']) {
      const s = await openSse(`${t.kv}/watch`, origin ? { origin } : {});
      try {
        expect(s.status).toBe(200);
        await until('ready', () => s.events.length > 0);
        expect(s.events[0]!.event).toBe('ready');
      } finally {
        s.close();
      }
    }
  });
});

describe('a watch on a node that stops', () => {
  it('ends with event close, reason shutdown', async () => {
    const t = await leader();
    const s = await openSse(`${t.kv}/watch`);
    await until('ready', () => s.events.length > 0);
    await t.stop();
    await s.ended;
    expect(s.events[s.events.length - 1]).toMatchObject({ event: 'close', data: { reason: 'shutdown' } });
  });
});

// Keep node:http's agent from holding sockets between files.
afterAll(() => http.globalAgent.destroy());
