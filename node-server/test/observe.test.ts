/**
 * The live observation stream (core/src/live.ts) on a node in this process: socket.io on the Raft
 * port sends a LiveNodeStatus on connect and the core's events after a write; nothing runs when
 * nobody watches; CORS on both ports and the socket.io handshake only for the configured origins.
 */
import type { LiveEvent, LiveNodeStatus } from '@raft-kv/core';
import { liveKvMax, liveLogTail } from '@raft-kv/core';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestNode } from './support/in-process-node';
import { call, startTestNode, until } from './support/in-process-node';

const page = 'http://127.0.0.1:18080';
const stranger = 'http://evil.example';

function watch(t: TestNode, options: { origin?: string; transports?: string[] } = {}) {
  const statuses: LiveNodeStatus[] = [];
  const events: LiveEvent[] = [];
  const socket: Socket = io(t.raft, {
    transports: options.transports ?? ['websocket'],
    reconnection: false,
    ...(options.origin ? { extraHeaders: { origin: options.origin } } : {}),
  });
  socket.on('status', (s: LiveNodeStatus) => statuses.push(s));
  socket.on('events', (batch: LiveEvent[]) => events.push(...batch));
  return { socket, statuses, events };
}

const put = (t: TestNode, key: string, value: string) =>
  call(`${t.kv}/set`, { method: 'PUT', body: JSON.stringify({ key, value }), headers: { 'content-type': 'application/json' } });

describe('the observation stream', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ RAFT_CORS_ORIGINS: page, RAFT_SNAPSHOT_THRESHOLD: '1000' });
    // Leading, and its election (term, vote, no-op entry) on disk and applied: a status shows it settled.
    const { host, storage } = t.node;
    await until('n1 to lead, with its election durable and applied', () => host.raft.role === 'leader'
      && storage.durable().term === host.raft.term && storage.durable().lastIndex === host.raft.lastIndex && host.replica.kv.appliedIndex === host.raft.lastIndex);
  });
  afterAll(() => t.stop());

  it('sends a status with every LiveNodeStatus field on connect', async () => {
    const w = watch(t);
    try {
      await until('a status', () => w.statuses.length > 0);
      const s = w.statuses[0]!;
      expect(Object.keys(s).sort()).toEqual([
        'applyLog', 'at', 'commitIndex', 'configIndex', 'durable', 'entries', 'faults', 'firstIndex', 'id', 'kv', 'kvTruncated', 'kvUrl',
        'lastApplied', 'lastHeartbeatAgoMs', 'lastIndex', 'lastTerm', 'leadTransferee', 'leaderId', 'learners', 'logLength', 'peers', 'persisting',
        'progress', 'raftUrl', 'role', 'snapshotIndex', 'snapshotTerm', 'term', 'tickMs', 'timer', 'up', 'votedFor', 'voters', 'votes',
      ]);
      expect(s).toMatchObject({ id: 'n1', up: true, role: 'leader', leaderId: 'n1', votedFor: 'n1', voters: ['n1'], timer: null, tickMs: 10, votes: null, kvTruncated: false, faults: { dropTo: [], dropFrom: [] }, peers: [] });
      expect(s.logLength).toBe(s.lastIndex - s.snapshotIndex);
      expect(Math.abs(s.at - Date.now())).toBeLessThan(5000);
      expect(s.durable).toMatchObject({ term: s.term, vote: 'n1' });
      expect(s.entries.at(-1)?.index).toBe(s.lastIndex);
      expect(s.progress?.n1?.match).toBe(s.lastIndex);
    } finally {
      w.socket.disconnect();
    }
  });

  it('streams the core events of a write with epoch-ms times, then a status that shows it', async () => {
    const w = watch(t);
    try {
      await until('a status', () => w.statuses.length > 0);
      const before = Date.now();
      expect((await put(t, 'name', 'luffy')).status).toBe(200);
      await until('entryApplied for the write', () => w.events.some((e) => e.event.type === 'entryApplied' && e.event.command.op === 'set'));
      const types = w.events.map((e) => e.event.type);
      expect(types).toEqual(expect.arrayContaining(['proposalAccepted', 'commitAdvanced', 'entryApplied']));
      expect(types.indexOf('proposalAccepted')).toBeLessThan(types.indexOf('entryApplied'));
      for (const e of w.events) expect(e.at).toBeGreaterThanOrEqual(before - 1000);
      await until('a status with the key', () => w.statuses.at(-1)!.kv.some(([k, v]) => k === 'name' && v === 'luffy'));
      const s = w.statuses.at(-1)!;
      expect(s.lastApplied).toBe(s.commitIndex);
      expect(s.durable.lastIndex).toBe(s.lastIndex);
      expect(s.applyLog.last.at(-1)).toBe(s.lastApplied);
      expect(s.applyLog).toMatchObject({ increasing: true });
      expect(s.applyLog.count).toBeGreaterThanOrEqual(2);
      expect(s.entries.at(-1)).toMatchObject({ index: s.lastIndex, command: { op: 'set', key: 'name', value: 'luffy' } });
    } finally {
      w.socket.disconnect();
    }
  });

  it('caps the log tail and the KV map', async () => {
    const writes = Array.from({ length: liveKvMax + 5 }, (_, i) => put(t, `k${String(i).padStart(4, '0')}`, 'v'));
    for (const r of await Promise.all(writes)) expect(r.status).toBe(200);
    const w = watch(t);
    try {
      await until('a status', () => w.statuses.length > 0);
      const s = w.statuses[0]!;
      expect(s.entries.length).toBe(liveLogTail);
      expect(s.entries[0]!.index).toBe(s.lastIndex - liveLogTail + 1);
      expect(s.kv.length).toBe(liveKvMax);
      expect(s.kvTruncated).toBe(true);
    } finally {
      w.socket.disconnect();
    }
  });

  it('does no work once the last watcher has gone', async () => {
    const a = watch(t);
    const b = watch(t);
    await until('both connected', () => a.statuses.length > 0 && b.statuses.length > 0);
    expect(t.node.observer.watching).toBe(2);
    a.socket.disconnect();
    await until('one watcher left', () => t.node.observer.watching === 1);
    b.socket.disconnect();
    await until('no watcher left', () => t.node.observer.watching === 0);
    // No timer and no observer on the host: a Ready costs nothing more than before.
    expect((t.node.host as unknown as { observer: unknown }).observer).toBeNull();
    expect((t.node.observer as unknown as { timer: unknown }).timer).toBeNull();
  });

  it('accepts the socket.io handshake from the configured origin only (polling and websocket)', async () => {
    const handshake = (origin: string) => fetch(`${t.raft}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
    const allowed = await handshake(page);
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(page);
    const refused = await handshake(stranger);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();

    const ok = watch(t, { origin: page });
    const bad = watch(t, { origin: stranger });
    const badError = new Promise<Error>((resolve) => bad.socket.on('connect_error', resolve));
    try {
      await until('a status for the page', () => ok.statuses.length > 0);
      expect((await badError).message).toMatch(/websocket error|unexpected server response/i);
      expect(bad.statuses).toEqual([]);
    } finally {
      ok.socket.disconnect();
      bad.socket.disconnect();
    }
  });

  it('sends CORS headers on the KV and Raft ports for the configured origin only', async () => {
    for (const url of [`${t.kv}/health`, `${t.raft}/raft/status`]) {
      const allowed = await fetch(url, { headers: { origin: page } });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(page);
      const other = await fetch(url, { headers: { origin: stranger } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const none = await fetch(url);
      expect(none.headers.get('access-control-allow-origin')).toBeNull();
    }
    const preflight = (origin: string) => fetch(`${t.kv}/set`, {
      method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    const ok = await preflight(page);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/content-type/i);
    const refused = await preflight(stranger);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.status).toBe(405);
    // The page can read the request id of its answers.
    const write = await fetch(`${t.kv}/set`, { method: 'PUT', headers: { origin: page }, body: JSON.stringify({ key: 'a', value: 'b' }) });
    expect(write.headers.get('access-control-expose-headers')).toBe('X-Request-ID');
  });
});

describe('a node without RAFT_CORS_ORIGINS', () => {
  it('sends no CORS header and refuses every browser handshake, but lets a script watch', async () => {
    const t = await startTestNode();
    try {
      const r = await fetch(`${t.kv}/health`, { headers: { origin: page } });
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
      expect((await fetch(`${t.raft}/socket.io/?EIO=4&transport=polling`, { headers: { origin: page } })).status).toBe(403);
      const w = watch(t, { transports: ['polling', 'websocket'] });
      try {
        await until('a status', () => w.statuses.length > 0);
      } finally {
        w.socket.disconnect();
      }
    } finally {
      await t.stop();
    }
  });
});
