/** The store and actions without React or a DOM: an inline engine on a manual clock. */
import { describe, expect, it } from 'vitest';
import { frameMs } from '../src/engine/engine';
import { InlineTransport } from '../src/engine/inline-transport';
import { fullProtocol } from '../src/engine/protocol';
import { ManualScheduler } from '../src/engine/scheduler';
import { createActions } from '../src/store/actions';
import { leaderOf, selectLeaderId, selectNode, selectNodeIds } from '../src/store/selectors';
import { createPlaygroundStore, receiveSnapshot } from '../src/store/store';
import type { PlaygroundState } from '../src/store/store';

function setup(seed = 3, nodes = 3) {
  const scheduler = new ManualScheduler();
  const store = createPlaygroundStore({ mode: 'sim', seed, nodes });
  const transport = new InlineTransport(scheduler);
  const actions = createActions({ store, transport });
  transport.start({ setup: { seed, nodeCount: nodes, protocol: { ...fullProtocol }, loadOpsPerSec: 0, lossRate: 0 }, speed: 10, playing: true }, (s) => receiveSnapshot(store, s));
  const until = async (done: (s: PlaygroundState) => boolean, realMsMax = 30_000) => {
    for (let t = 0; t < realMsMax && !done(store.getState()); t += frameMs) await scheduler.advanceAsync(frameMs);
    expect(done(store.getState())).toBe(true);
  };
  return { store, actions, until, transport };
}

describe('store and actions', () => {
  it('holds the latest snapshot and the UI choices', async () => {
    const { store, until } = setup();
    expect(selectNodeIds(store.getState())).toBe('n1,n2,n3');
    expect(store.getState().ui).toMatchObject({ clientTarget: 'leader', draftSeed: '3', draftNodes: 3, clientRetry: true, helpOpen: false });
    await until((s) => selectLeaderId(s) !== null);
  });

  it('keeps a node object identical across snapshots while it does not change', async () => {
    const { store, until, actions } = setup();
    await until((s) => selectLeaderId(s) !== null);
    actions.pause();
    const before = selectNode('n1')(store.getState());
    actions.setVerboseFeed(true); // a command that changes nothing about the nodes
    expect(selectNode('n1')(store.getState())).toBe(before);
  });

  it('plays, pauses, steps and changes speed', async () => {
    const { store, actions, until } = setup();
    actions.togglePlay();
    expect(store.getState().sim!.clock.playing).toBe(false);
    const now = store.getState().sim!.clock.now;
    actions.step();
    expect(store.getState().sim!.clock.now).toBeGreaterThan(now);
    actions.setSpeed(1000);
    expect(store.getState().sim!.clock.speed).toBe(100);
    actions.togglePlay();
    await until((s) => s.sim!.clock.now > now + 500);
  });

  it('kills, restarts, isolates, reconnects and heals through actions', async () => {
    const { store, actions, until } = setup();
    await until((s) => selectLeaderId(s) !== null);
    const leader = selectLeaderId(store.getState())!;
    actions.crash(leader);
    expect(selectNode(leader)(store.getState())!.displayRole).toBe('down');
    await until((s) => selectLeaderId(s) !== null && selectLeaderId(s) !== leader);
    actions.restart(leader);
    expect(selectNode(leader)(store.getState())!.up).toBe(true);
    actions.isolate('n1');
    expect(store.getState().sim!.cutLinks).toEqual(['n1>n2', 'n1>n3', 'n2>n1', 'n3>n1']);
    actions.reconnect('n1');
    expect(store.getState().sim!.cutLinks).toEqual([]);
    actions.cut('n2', 'n3', false);
    expect(store.getState().sim!.cutLinks).toEqual(['n2>n3']);
    actions.healAll();
    expect(store.getState().sim!.cutLinks).toEqual([]);
    actions.setLossRate(0.25);
    expect(store.getState().sim!.network.lossRate).toBe(0.25);
  });

  it('sends the client panel request to the leader and shows the answer', async () => {
    const { store, actions, until } = setup();
    await until((s) => selectLeaderId(s) !== null && s.sim!.nodes.every((n) => n.commitIndex >= 1));
    actions.setClientField('clientKey', 'greeting');
    actions.setClientField('clientValue', 'hello');
    actions.sendClient('put');
    await until((s) => s.sim!.client[0]?.status != null);
    expect(store.getState().sim!.client[0]).toMatchObject({ op: 'put', key: 'greeting', value: 'hello', status: 200, via: 'leader' });
    await until((s) => s.sim!.nodes.every((n) => n.kv?.some(([k]) => k === 'greeting')));
  });

  it('resets with the seed and node count typed in the header', async () => {
    const { store, actions } = setup();
    actions.setDraftSeed('77');
    actions.setDraftNodes(9);
    actions.reset();
    expect(store.getState().sim!.setup).toEqual({ seed: 77, nodeCount: 7, protocol: fullProtocol, loadOpsPerSec: 0, lossRate: 0 });
    expect(store.getState().sim!.nodes).toHaveLength(7);
    actions.setDraftSeed('not a number');
    actions.reset();
    expect(store.getState().sim!.setup.seed).toBe(77);
    actions.setProtocol('commitRule', false);
    expect(store.getState().sim!.setup.protocol.commitRule).toBe(false);
    expect(store.getState().sim!.lab!.protocol.commitRule).toBe(false);
    expect(store.getState().sim!.setup.seed).toBe(77);
  });

  it('builds the share link from the run on screen: its setup, its actions, and the moment shown', async () => {
    const { actions, store, until } = setup(12, 5);
    await until((s) => s.sim!.clock.now > 1000);
    actions.pause();
    actions.crash('n2');
    const now = store.getState().sim!.clock.now;
    const link = new URL(actions.shareLink('http://localhost:5173', '/'));
    expect(link.searchParams.get('seed')).toBe('12');
    expect(link.searchParams.get('nodes')).toBe('5');
    expect(Number(link.searchParams.get('t'))).toBe(now);
    expect(link.searchParams.get('script')).not.toBeNull();
  });

  it('partitions by sides in one step: the links between the sides are cut, the rest heal', async () => {
    const { actions, store, until } = setup(4, 5);
    await until((s) => selectLeaderId(s) !== null);
    actions.setSide('n4', 'B');
    actions.setSide('n5', 'B');
    actions.partition();
    const cut = store.getState().sim!.cutLinks;
    expect(cut).toContain('n1>n4');
    expect(cut).toContain('n5>n3');
    expect(cut).not.toContain('n4>n5');
    expect(cut).toHaveLength(12);
  });

  it('selects, inspects and switches mode as plain UI state', () => {
    const { store, actions } = setup();
    actions.selectNode('n2');
    actions.selectLink(['n1', 'n2']);
    expect(store.getState().ui).toMatchObject({ selectedNode: 'n2', selectedLink: ['n1', 'n2'], inspected: null });
    actions.setMode('live');
    expect(store.getState().mode).toBe('live');
    expect(leaderOf([])).toBeUndefined();
  });
});
