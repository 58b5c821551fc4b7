/**
 * The live session against a fake supervisor and fake node streams (no network): it builds the
 * same snapshots the views draw, shows a killed or unreachable node as down and recovers when it
 * comes back, sends client requests to the real KV URL, and drives the supervisor's API.
 */
import { describe, expect, it } from 'vitest';
import type { LiveCluster, LiveEvent, LiveFaults } from '@raft-kv/core';
import { ManualScheduler } from '../src/engine/scheduler';
import type { SimSnapshot } from '../src/engine/protocol';
import type { LiveSocketHandlers } from '../src/live/session';
import { LiveSession, clusterPollMs } from '../src/live/session';
import { createActions } from '../src/store/actions';
import { ModeSwitch } from '../src/store/modes';
import { createPlaygroundStore } from '../src/store/store';
import { InlineTransport } from '../src/engine/inline-transport';
import { fullProtocol } from '../src/engine/protocol';
import { clusterNode, ids, kvUrl, raftUrl, status } from './live-fixtures';

const origin = 'http://127.0.0.1:18080';
const options = { setup: { seed: 1, nodeCount: 3, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0 }, speed: 1, playing: true };

interface Call {
  method: string;
  url: string;
  body: unknown;
}

function harness() {
  const scheduler = new ManualScheduler();
  let wall = 1_700_000_000_000;
  const cluster: LiveCluster = { nodes: ids.map((id) => clusterNode(id)) };
  const faults: Record<string, LiveFaults> = {};
  const calls: Call[] = [];
  const streams = new Map<string, LiveSocketHandlers & { closed: boolean }>();
  let supervisorUp = true;
  const kvAnswers: Record<string, { status: number; body: unknown }> = {};

  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body });
    const json = (value: unknown, code = 200) => new Response(JSON.stringify(value), { status: code, headers: { 'content-type': 'application/json' } });
    if (url.startsWith(origin)) {
      if (!supervisorUp) throw new TypeError('Failed to fetch');
      const path = url.slice(origin.length);
      if (path === '/api/cluster') return json(cluster);
      const m = /^\/api\/nodes\/(\w+)\/(kill|restart)$/.exec(path);
      if (m) {
        const node = cluster.nodes.find((n) => n.id === m[1])!;
        node.state = m[2] === 'kill' ? 'stopped' : 'starting';
        node.pid = m[2] === 'kill' ? null : 2000;
        return json({ ok: true });
      }
      if (path === '/api/faults') {
        if (body.type === 'isolate') faults[body.node] = { dropTo: ids.filter((i) => i !== body.node), dropFrom: ids.filter((i) => i !== body.node) };
        if (body.type === 'healAll') for (const id of ids) faults[id] = {};
        return json({ ok: true, faults });
      }
      return json({ ok: false, error: 'not_found' }, 404);
    }
    const answer = kvAnswers[url];
    if (!answer) throw new TypeError('Failed to fetch');
    return json(answer.body, answer.status);
  };

  const session = new LiveSession({
    origin,
    fetch,
    connect: (url, handlers) => {
      const id = cluster.nodes.find((n) => n.observeUrl === url)?.id ?? url;
      const stream = { ...handlers, closed: false };
      streams.set(id, stream);
      return { close: () => { stream.closed = true; } };
    },
    scheduler,
    wallNow: () => wall,
  });
  const snapshots: SimSnapshot[] = [];
  const latest = () => snapshots[snapshots.length - 1]!;
  const node = (id: string) => latest().nodes.find((n) => n.id === id)!;
  /** Lets the fake fetches answer, then runs the session's timers. */
  const settle = async (ms = 0) => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
    scheduler.advance(ms);
    wall += ms;
    for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
  };
  const connectAll = () => {
    for (const id of ids) {
      streams.get(id)!.onConnect();
      streams.get(id)!.onStatus(status(id));
    }
  };
  return {
    session, scheduler, cluster, calls, streams, snapshots, latest, node, settle, connectAll, kvAnswers,
    setSupervisorUp: (up: boolean) => { supervisorUp = up; },
    start: () => session.start(options, (s) => snapshots.push(s)),
  };
}

describe('live session', () => {
  it('asks the supervisor for the cluster, opens a stream per node, and builds the simulator\'s snapshot', async () => {
    const h = harness();
    h.start();
    expect(h.latest().live?.supervisor).toBe('connecting');
    await h.settle();
    expect(h.calls[0]).toMatchObject({ method: 'GET', url: `${origin}/api/cluster` });
    expect([...h.streams.keys()]).toEqual(ids);
    expect(h.latest().nodes.map((n) => n.displayRole)).toEqual(['down', 'down', 'down']);
    h.connectAll();
    await h.settle(100);
    const s = h.latest();
    expect(s.live).toMatchObject({ origin, supervisor: 'ok', error: null });
    expect(s.nodes.map((n) => [n.id, n.displayRole, n.term, n.commitIndex])).toEqual([['n1', 'leader', 2, 6], ['n2', 'follower', 2, 6], ['n3', 'follower', 2, 6]]);
    expect(s.messages).toEqual([]);
    expect(s.clock.playing).toBe(false);
    expect(s.logWindow).toEqual({ lo: 1, hi: 6 });
  });

  it('follows the supervisor\'s node list: a server added at run time gets a stream and is drawn like the first three', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    await h.settle(100);
    // The supervisor starts n4 (POST /api/nodes from the members panel): the next poll lists it.
    h.cluster.nodes.push(clusterNode('n4', { state: 'starting' }));
    await h.settle(clusterPollMs);
    expect([...h.streams.keys()]).toEqual([...ids, 'n4']);
    expect(h.latest().setup.nodeCount).toBe(4);
    expect(h.node('n4')).toMatchObject({ up: false, displayRole: 'down' });
    expect(h.node('n4').live).toMatchObject({ process: 'starting', downReason: 'starting', kvUrl: kvUrl('n4'), raftUrl: raftUrl('n4') });
    // Its first status (a learner the leader has caught up): up, in the ring, the table and the logs.
    h.cluster.nodes[3]!.state = 'running';
    h.streams.get('n4')!.onConnect();
    h.streams.get('n4')!.onStatus(status('n4', { learners: ['n4'] }));
    await h.settle(clusterPollMs);
    expect(h.node('n4')).toMatchObject({ up: true, displayRole: 'follower', leaderId: 'n1', commitIndex: 6 });
    expect(h.node('n4').entries.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.latest().feed.some((f) => f.node === 'n4' && f.text.startsWith('the page hears n4'))).toBe(true);
  });

  it('narrates streamed events in the feed', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    const events: LiveEvent[] = [{ at: 1_700_000_000_050, event: { type: 'roleChanged', node: 'n1', term: 2, from: 'candidate', to: 'leader', leaderId: 'n1', reason: 'election_won' } }];
    h.streams.get('n1')!.onEvents(events);
    await h.settle(100);
    expect(h.latest().feed[0]).toMatchObject({ at: 50, node: 'n1', text: 'n1 is leader of term 2: a majority voted for it', kind: 'election' });
  });

  it('kills through the supervisor, shows the node down, and shows it up again after a restart', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    h.session.send({ type: 'act', action: { type: 'crash', node: 'n2' } });
    await h.settle();
    expect(h.calls.some((c) => c.method === 'POST' && c.url === `${origin}/api/nodes/n2/kill`)).toBe(true);
    // The supervisor is asked again at once: n2 is stopped, though its stream has not noticed yet.
    await h.settle(100);
    expect(h.node('n2')).toMatchObject({ up: false, displayRole: 'down', kv: null, commitIndex: 6 });
    expect(h.node('n2').live?.downReason).toBe('stopped');
    expect(h.latest().feed.some((f) => f.node === 'n2' && f.text.startsWith('n2 crashed'))).toBe(true);
    h.streams.get('n2')!.onDisconnect('transport close');
    // No "lost the stream" line: the page killed it.
    expect(h.latest().feed.some((f) => f.text.includes('lost n2'))).toBe(false);

    h.session.send({ type: 'act', action: { type: 'restart', node: 'n2' } });
    await h.settle(100);
    expect(h.calls.some((c) => c.url === `${origin}/api/nodes/n2/restart`)).toBe(true);
    expect(h.node('n2').live?.downReason).toBe('starting');
    // socket.io reconnects by itself; the first status proves the process runs.
    h.streams.get('n2')!.onConnect();
    h.streams.get('n2')!.onStatus(status('n2', { term: 3 }));
    await h.settle(100);
    expect(h.node('n2')).toMatchObject({ up: true, displayRole: 'follower', term: 3 });
    expect(h.latest().feed.some((f) => f.text === 'n2 restarts from its disk as a follower')).toBe(true);
  });

  it('shows a node whose stream is lost as unreachable, says so, and recovers when it is heard again', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    h.streams.get('n3')!.onDisconnect('ping timeout');
    await h.settle(100);
    expect(h.node('n3')).toMatchObject({ displayRole: 'down' });
    expect(h.node('n3').live?.downReason).toBe('unreachable');
    expect(h.latest().feed[0]?.text).toContain("lost n3's status stream (ping timeout)");
    h.streams.get('n3')!.onConnect();
    h.streams.get('n3')!.onStatus(status('n3'));
    await h.settle(100);
    expect(h.node('n3').displayRole).toBe('follower');
    expect(h.latest().feed[0]?.text).toContain('hears n3 again');
  });

  it('keeps the last picture and says so when the supervisor stops answering, and recovers by polling', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    h.setSupervisorUp(false);
    await h.settle(clusterPollMs);
    expect(h.latest().live).toMatchObject({ supervisor: 'unreachable' });
    expect(h.latest().live?.error).toContain('no answer');
    expect(h.latest().nodes).toHaveLength(3);
    h.setSupervisorUp(true);
    await h.settle(clusterPollMs);
    expect(h.latest().live).toMatchObject({ supervisor: 'ok', error: null });
  });

  it('sends client requests to the node\'s real KV URL and shows the real answer', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    await h.settle(100);
    h.kvAnswers[`${kvUrl('n1')}/set`] = { status: 200, body: { ok: true, message: 'stored', key: 'x' } };
    h.session.send({ type: 'client', op: 'put', target: 'leader', key: 'x', value: '1', stale: false });
    expect(h.latest().client[0]).toMatchObject({ op: 'put', node: 'n1', via: 'leader', status: null, url: `${kvUrl('n1')}/set` });
    await h.settle();
    expect(h.latest().client[0]).toMatchObject({ status: 200, body: { ok: true, message: 'stored', key: 'x' } });
    expect(h.calls.find((c) => c.url === `${kvUrl('n1')}/set`)).toMatchObject({ method: 'PUT', body: { key: 'x', value: '1' } });

    h.kvAnswers[`${kvUrl('n2')}/get?key=x&consistency=stale`] = { status: 200, body: { ok: true, key: 'x', value: '1', stale: true } };
    h.session.send({ type: 'client', op: 'get', target: 'n2', key: 'x', value: '', stale: true });
    await h.settle();
    expect(h.latest().client[0]).toMatchObject({ op: 'get', node: 'n2', status: 200, stale: true });

    // Nothing answers on n3's KV port: status 0, as the simulator reports a node that is down.
    h.session.send({ type: 'client', op: 'delete', target: 'n3', key: 'x', value: '', stale: false });
    await h.settle();
    expect(h.latest().client[0]).toMatchObject({ op: 'delete', node: 'n3', status: 0, body: { error: 'no_response' } });
  });

  it('isolates and heals through the supervisor, and draws the cut links at once', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    h.session.send({ type: 'act', action: { type: 'isolate', node: 'n3' } });
    await h.settle(100);
    expect(h.calls.find((c) => c.url === `${origin}/api/faults`)?.body).toEqual({ type: 'isolate', node: 'n3' });
    expect(h.latest().cutLinks).toEqual(['n1>n3', 'n2>n3', 'n3>n1', 'n3>n2']);
    expect(h.latest().feed[0]?.text).toContain('n3 is isolated');
    h.session.send({ type: 'act', action: { type: 'cut', from: 'n1', to: 'n2', bothWays: false } });
    await h.settle();
    expect(h.calls.filter((c) => c.url === `${origin}/api/faults`)[1]?.body).toEqual({ type: 'cut', from: 'n1', to: 'n2', bothWays: false });
    h.session.send({ type: 'act', action: { type: 'healAll' } });
    await h.settle(100);
    expect(h.latest().cutLinks).toEqual([]);
    h.session.send({ type: 'act', action: { type: 'campaign', node: 'n2' } });
    expect(h.latest().feed[0]?.text).toContain('simulator control');
  });

  it('stops cleanly: closes every stream and posts nothing more', async () => {
    const h = harness();
    h.start();
    await h.settle();
    h.connectAll();
    const count = h.snapshots.length;
    h.session.stop();
    h.streams.get('n1')!.onStatus(status('n1', { term: 9 }));
    await h.settle(clusterPollMs * 3);
    expect(h.snapshots.length).toBe(count);
    expect([...h.streams.values()].every((s) => s.closed)).toBe(true);
  });
});

describe('mode switch', () => {
  it('parks the simulator while live mode is on screen, and brings its run back', async () => {
    const scheduler = new ManualScheduler();
    const store = createPlaygroundStore({ mode: 'sim', seed: 3, nodes: 3 });
    const h = harness();
    const sim = new InlineTransport(scheduler);
    const modes = new ModeSwitch(store, { sim: () => sim, live: () => h.session }, options);
    const actions = createActions({ store, transport: modes, switchMode: (m) => modes.setMode(m) });
    modes.start();
    scheduler.advance(2000);
    const simSeq = store.getState().sim!.seq;
    expect(store.getState().sim!.live).toBeUndefined();
    actions.setMode('live');
    expect(store.getState().mode).toBe('live');
    expect(store.getState().sim?.live).toBeDefined();
    expect(store.getState().parked?.mode).toBe('sim');
    await h.settle();
    h.connectAll();
    await h.settle(100);
    expect(store.getState().sim!.nodes.map((n) => n.displayRole)).toEqual(['leader', 'follower', 'follower']);
    // Commands reach the live session, not the simulation.
    actions.crash('n2');
    await h.settle(100);
    expect(h.calls.some((c) => c.url === `${origin}/api/nodes/n2/kill`)).toBe(true);
    actions.setMode('sim');
    expect(store.getState().sim!.live).toBeUndefined();
    expect(store.getState().sim!.seq).toBeGreaterThanOrEqual(simSeq);
    expect(store.getState().sim!.nodes.find((n) => n.id === 'n2')!.up).toBe(true);
    expect([...h.streams.values()].every((s) => s.closed)).toBe(true);
    modes.stop();
  });
});
