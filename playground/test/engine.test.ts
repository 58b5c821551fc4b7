import { describe, expect, it } from 'vitest';
import { frameMs, publishEveryMs } from '../src/engine/engine';
import { leaderOf, setupOf, start } from './engine-harness';

describe('engine', () => {
  it('plays the cluster at the chosen speed until a leader is elected', async () => {
    const { last, until, scheduler } = start({ speed: 1 });
    expect(last().clock.now).toBe(0);
    scheduler.advance(500);
    // One real half-second at 1x is half a simulated second (no election yet: timeouts are 600-1200 ms);
    // snapshots go out at most every publishEveryMs of real time.
    expect(last().clock.now).toBeGreaterThan(500 - publishEveryMs - frameMs);
    expect(last().clock.now).toBeLessThanOrEqual(500);
    const s = await until((x) => leaderOf(x) !== undefined);
    expect(s.nodes.filter((n) => n.displayRole === 'follower')).toHaveLength(2);
  });

  it('pauses, steps to the next visible thing, and does not move while paused', async () => {
    const { engine, last, scheduler, until } = start({ speed: 10 });
    await until((s) => leaderOf(s) !== undefined);
    engine.handle({ type: 'pause' });
    const paused = last().clock.now;
    scheduler.advance(1000);
    expect(last().clock.now).toBe(paused);
    const messages = last().messages.length;
    engine.handle({ type: 'step' });
    const after = last();
    expect(after.clock.playing).toBe(false);
    expect(after.clock.now).toBeGreaterThan(paused);
    // Something visible happened: a message appeared or arrived, or an event.
    expect(after.messages.length !== messages || after.clock.steps > 0).toBe(true);
  });

  it('kills the leader and a new one takes over; the crashed node keeps its disk state', async () => {
    const { engine, until } = start({ speed: 20 });
    const first = leaderOf(await until((s) => leaderOf(s) !== undefined))!;
    engine.handle({ type: 'act', action: { type: 'crash', node: first.id } });
    const s = await until((x) => leaderOf(x) !== undefined && leaderOf(x)!.id !== first.id);
    const down = s.nodes.find((n) => n.id === first.id)!;
    expect(down.displayRole).toBe('down');
    expect(down.kv).toBeNull();
    expect(down.durable.term).toBe(first.term);
    expect(leaderOf(s)!.term).toBeGreaterThan(first.term);
  });

  it('answers client requests with the API shapes: 200 from the leader, 409 with a hint from a follower', async () => {
    const { engine, until } = start({ speed: 20 });
    const leader = leaderOf(await until((s) => leaderOf(s) !== undefined && s.nodes.every((n) => n.commitIndex >= 1)))!;
    engine.handle({ type: 'client', op: 'put', target: 'leader', key: 'a', value: '1', stale: false });
    let s = await until((x) => x.client[0]?.status != null);
    expect(s.client[0]).toMatchObject({ node: leader.id, via: 'leader', status: 200, body: { ok: true, message: 'stored', key: 'a' } });
    const follower = s.nodes.find((n) => n.displayRole === 'follower')!;
    engine.handle({ type: 'client', op: 'put', target: follower.id, key: 'b', value: '2', stale: false });
    s = await until((x) => x.client[0]?.key === 'b' && x.client[0]?.status != null);
    expect(s.client[0]!.status).toBe(409);
    expect(s.client[0]!.body).toMatchObject({ error: 'not_leader', leaderId: leader.id, leader: `sim://${leader.id}` });
    engine.handle({ type: 'client', op: 'get', target: follower.id, key: 'a', value: '', stale: false });
    s = await until((x) => x.client[0]?.op === 'get' && x.client[0]?.status != null);
    expect(s.client[0]).toMatchObject({ status: 200, body: { value: '1' } });
    await until((x) => x.nodes.every((n) => n.kv?.some(([k, v]) => k === 'a' && v === '1')));
    await until((x) => x.linearizability.verdict === 'linearizable');
  });

  it('travels back in time, replays the recorded future exactly, and forks when acting in the past', async () => {
    const { engine, last, until } = start({ speed: 20 });
    const first = leaderOf(await until((s) => leaderOf(s) !== undefined))!;
    engine.handle({ type: 'act', action: { type: 'crash', node: first.id } });
    await until((s) => leaderOf(s) !== undefined && leaderOf(s)!.id !== first.id && s.clock.now > 6000);
    engine.handle({ type: 'pause' });
    const horizon = last();
    engine.handle({ type: 'seek', at: 300 });
    const past = last();
    expect(past.clock.now).toBeCloseTo(300, 5);
    expect(past.clock.inPast).toBe(true);
    expect(past.clock.horizon).toBe(horizon.clock.now);
    expect(past.nodes.every((n) => n.up)).toBe(true);
    // Seeking to the horizon replays the crash at its step: the same world as before.
    engine.handle({ type: 'seek', at: horizon.clock.now });
    const again = last();
    expect(again.clock.inPast).toBe(false);
    expect(again.nodes).toEqual(horizon.nodes);
    // Acting in the past forks: the crash never happens in the new future.
    engine.handle({ type: 'seek', at: 300 });
    engine.handle({ type: 'act', action: { type: 'isolate', node: 'n3' } });
    const forked = last();
    expect(forked.clock.horizon).toBeCloseTo(300, 5);
    expect(forked.clock.inPast).toBe(false);
    engine.handle({ type: 'play' });
    const s = await until((x) => x.clock.now > 6000);
    expect(s.nodes.every((n) => n.up)).toBe(true);
    expect(s.cutLinks).toContain('n3>n1');
  });

  it('runs a guided checklist scenario at the UI pace and reports its verdict', async () => {
    const { engine, until, last } = start({ speed: 100, setup: setupOf({ seed: 3, nodeCount: 5 }) });
    engine.handle({ type: 'runScenario', id: 'E1' });
    expect(last().scenarioStatus.E1).toBe('running');
    expect(last().nodes).toHaveLength(3);
    const s = await until((x) => x.scenarioStatus.E1 !== 'running', 120_000);
    expect(s.scenarioRun?.error ?? null).toBeNull();
    expect(s.scenarioStatus.E1).toBe('pass');
    expect(s.scenarioRun!.narration.length).toBeGreaterThan(2);
    expect(s.feed.some((f) => f.kind === 'scenario')).toBe(true);
  });

  it('stops a running scenario when the user travels in time', async () => {
    const { engine, until, last } = start({ speed: 10 });
    engine.handle({ type: 'runScenario', id: 'G1' });
    await until((s) => s.clock.now > 1500);
    engine.handle({ type: 'seek', at: 500 });
    expect(last().scenarioStatus.G1).toBe('idle');
    expect(last().scenarioRun).toBeNull();
  });

  it('generates steady client load at the leader and checks the history for linearizability', async () => {
    const { until } = start({ speed: 50, setup: setupOf({ seed: 2, nodeCount: 5, loadOpsPerSec: 20 }) });
    const s = await until((x) => x.linearizability.ops > 50 && x.linearizability.verdict !== 'empty');
    expect(s.linearizability.verdict).toBe('linearizable');
    expect(s.violations).toEqual([]);
  });
});
