/**
 * What the simulator adds for learners, through the engine: clients that follow the 409 hint and
 * retry, the message inspector's story and fate, the safety panel's jump to a violation, and the
 * challenges, each achieved only by doing it.
 */
import { describe, expect, it } from 'vitest';
import type { SimSnapshot } from '../src/engine/protocol';
import { fullProtocol } from '../src/engine/protocol';
import { leaderOf, setupOf, start } from './engine-harness';

const challenge = (s: SimSnapshot, id: string) => s.lab!.challenges.find((c) => c.id === id)!;

describe('clients', () => {
  it('a client that retries follows the 409 hint to the leader, and shows each try and the latency', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 2 }) });
    const leader = leaderOf(await e.until((s) => leaderOf(s) !== undefined && s.nodes.every((n) => n.commitIndex >= 1)))!;
    const follower = e.last().nodes.find((n) => n.id !== leader.id)!.id;
    e.engine.handle({ type: 'client', op: 'put', target: follower, key: 'k', value: 'v', stale: false, client: 'c3', retry: true });
    const s = await e.until((x) => x.client[0]?.status != null);
    const r = s.client[0]!;
    expect(r).toMatchObject({ client: 'c3', status: 200, node: leader.id });
    expect(r.attempts!.map((a) => [a.node, a.status, a.hint])).toEqual([[follower, 409, leader.id], [leader.id, 200, null]]);
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.latencyMs).toBe(r.repliedAt! - r.sentAt);
  });

  it('a client that does not retry stops at the 409', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 2 }) });
    const leader = leaderOf(await e.until((s) => leaderOf(s) !== undefined))!;
    const follower = e.last().nodes.find((n) => n.id !== leader.id)!.id;
    e.engine.handle({ type: 'client', op: 'put', target: follower, key: 'k', value: 'v', stale: false });
    const r = (await e.until((x) => x.client[0]?.status != null)).client[0]!;
    expect(r.status).toBe(409);
    expect(r.attempts).toHaveLength(1);
  });

  it('a retrying client tries the other nodes when the one it asked is down, until one answers', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 2 }) });
    const leader = leaderOf(await e.until((s) => leaderOf(s) !== undefined))!;
    const follower = e.last().nodes.find((n) => n.id !== leader.id)!.id;
    e.engine.handle({ type: 'act', action: { type: 'crash', node: follower } });
    e.engine.handle({ type: 'client', op: 'get', target: follower, key: 'nothing', value: '', stale: false, retry: true });
    const r = (await e.until((x) => x.client[0]?.status != null)).client[0]!;
    expect(r.attempts![0]).toMatchObject({ node: follower, status: 0 });
    expect(r.status).toBe(404);
    expect(r.attempts!.length).toBeGreaterThan(1);
  });
});

describe('the message inspector', () => {
  it('tells why a message was sent, and its fate: dropped by you, delayed, delivered', async () => {
    const e = start({ speed: 10, setup: setupOf({ seed: 8 }) });
    await e.until((s) => leaderOf(s) !== undefined && s.messages.length > 0);
    e.engine.handle({ type: 'pause' });
    while (e.last().messages.length === 0) e.engine.handle({ type: 'step' });
    const m = e.last().messages[0]!;
    e.engine.handle({ type: 'inspect', id: m.id });
    expect(e.last().lab!.story).toMatchObject({ id: m.id, fate: 'in flight' });
    expect(e.last().lab!.story!.why).toContain(m.from);
    e.engine.handle({ type: 'act', action: { type: 'delayMessage', id: m.id, ms: 300 } });
    expect(e.last().lab!.story).toMatchObject({ fate: 'in flight', delayedMs: 300 });
    e.engine.handle({ type: 'act', action: { type: 'dropMessage', id: m.id } });
    expect(e.last().lab!.story).toMatchObject({ fate: 'dropped by you' });
    // Another one, left alone: delivered, with the receiver's decision when it is a request.
    e.engine.handle({ type: 'step' });
    while (e.last().messages.length === 0) e.engine.handle({ type: 'step' });
    const next = e.last().messages.find((x) => x.type === 'AppendEntries') ?? e.last().messages[0]!;
    e.engine.handle({ type: 'inspect', id: next.id });
    e.engine.handle({ type: 'play' });
    await e.until((s) => s.clock.now > next.deliverAt + 50);
    const story = e.last().lab!.story!;
    expect(story.fate).toBe('delivered');
    if (next.type === 'AppendEntries') expect(story.verdict).toMatch(/accepted|refused/);
  });
});

describe('safety panel', () => {
  it('lists every property with its own state, and a violation takes you to the step that caused it', async () => {
    const e = start({ speed: 100, setup: setupOf({ seed: 5 }) });
    e.engine.handle({ type: 'runScenario', id: 'figure8', protocol: { ...fullProtocol, commitRule: false } });
    const done = await e.until((s) => s.scenarioStatus.figure8 !== 'running', 120_000);
    const lost = done.lab!.safety.find((p) => p.id === 'state_machine_safety')!;
    expect(lost.violations.length).toBeGreaterThan(0);
    expect(done.lab!.safety.find((p) => p.id === 'election_safety')!.violations).toEqual([]);
    const index = lost.violations[0]!;
    const v = done.violations[index]!;
    e.engine.handle({ type: 'seekViolation', index });
    const s = e.last();
    expect(s.violations).toHaveLength(index + 1);
    expect(s.clock.now).toBe(v.at);
    // One step back, and it has not happened yet.
    e.engine.handle({ type: 'stepBack' });
    expect(e.last().violations.length).toBeLessThanOrEqual(index);
  });
});

describe('challenges', () => {
  it('a second leader without a crash counts; killing the leader does not', async () => {
    const killing = start({ speed: 20, setup: setupOf({ seed: 3 }) });
    const first = leaderOf(await killing.until((s) => leaderOf(s) !== undefined))!;
    killing.engine.handle({ type: 'act', action: { type: 'crash', node: first.id } });
    await killing.until((s) => leaderOf(s) !== undefined && leaderOf(s)!.id !== first.id);
    expect(challenge(killing.last(), 'second-leader').achieved).toBe(false);

    // Handing leadership over on request does not count either: the cluster did not have to replace anyone.
    const handing = start({ speed: 20, setup: setupOf({ seed: 3 }) });
    const from = leaderOf(await handing.until((s) => leaderOf(s) !== undefined && s.nodes.every((n) => n.commitIndex >= 1)))!;
    const to = handing.last().nodes.find((n) => n.id !== from.id)!.id;
    handing.engine.handle({ type: 'act', action: { type: 'client', request: { clientId: 'operator', node: from.id, op: 'transfer', key: '', target: to, record: false } } });
    await handing.until((s) => leaderOf(s)?.id === to);
    expect(challenge(handing.last(), 'second-leader').achieved).toBe(false);

    const isolating = start({ speed: 20, setup: setupOf({ seed: 3 }) });
    const leader = leaderOf(await isolating.until((s) => leaderOf(s) !== undefined))!;
    expect(challenge(isolating.last(), 'second-leader').achieved).toBe(false);
    isolating.engine.handle({ type: 'act', action: { type: 'isolate', node: leader.id } });
    const s = await isolating.until((x) => challenge(x, 'second-leader').achieved);
    expect(challenge(s, 'second-leader').how).toContain('nobody was killed');
  });

  it('a split vote: kill the leader and align the timers (PreVote off so both run at once)', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 4, nodeCount: 4, protocol: { ...fullProtocol, preVote: false } }) });
    const leader = leaderOf(await e.until((s) => leaderOf(s) !== undefined))!;
    expect(challenge(e.last(), 'split-vote').achieved).toBe(false);
    e.engine.handle({ type: 'act', action: { type: 'crash', node: leader.id } });
    e.engine.handle({ type: 'act', action: { type: 'electionTimers', mode: 'align' } });
    await e.until((s) => challenge(s, 'split-vote').achieved);
  });

  it('a snapshot: a follower kept away while the leader compacts its log past what it holds', async () => {
    const e = start({ speed: 50, setup: setupOf({ seed: 6, loadOpsPerSec: 50 }) });
    const leader = leaderOf(await e.until((s) => leaderOf(s) !== undefined && s.clock.now > 2000))!;
    expect(e.last().nodes.find((n) => n.id === leader.id)!.snapshotIndex).toBeGreaterThan(0);
    expect(challenge(e.last(), 'snapshot').achieved).toBe(false);
    const follower = e.last().nodes.find((n) => n.id !== leader.id)!.id;
    e.engine.handle({ type: 'act', action: { type: 'crash', node: follower } });
    const s = await e.until((x) => challenge(x, 'snapshot').achieved);
    expect(challenge(s, 'snapshot').how).toContain(`sent ${follower} a snapshot`);
  });

  it('a stale read: only once ReadIndex is off, and the old leader answers a read after a newer write', async () => {
    const e = start({ speed: 20, setup: setupOf({ seed: 2, protocol: { ...fullProtocol, readIndex: false } }) });
    const old = leaderOf(await e.until((s) => leaderOf(s) !== undefined && s.nodes.every((n) => n.commitIndex >= 1)))!.id;
    e.engine.handle({ type: 'client', op: 'put', target: old, key: 'x', value: '1', stale: false });
    await e.until((s) => s.client[0]?.status === 200 && s.nodes.every((n) => n.kv?.some(([k]) => k === 'x')));
    e.engine.handle({ type: 'act', action: { type: 'isolate', node: old } });
    const newLeader = (s: SimSnapshot) => s.nodes.find((n) => n.displayRole === 'leader' && n.id !== old);
    const fresh = newLeader(await e.until((s) => newLeader(s) !== undefined))!.id;
    e.engine.handle({ type: 'client', op: 'put', target: fresh, key: 'x', value: '2', stale: false, retry: true });
    await e.until((s) => s.client[0]?.status === 200);
    expect(challenge(e.last(), 'stale-read').achieved).toBe(false);
    e.engine.handle({ type: 'client', op: 'get', target: old, key: 'x', value: '', stale: false });
    const s = await e.until((x) => challenge(x, 'stale-read').achieved);
    expect(s.client[0]).toMatchObject({ status: 200, body: { value: '1' } });
    expect(s.linearizability.verdict).toBe('not_linearizable');
  });

  it('guided runs do not count', async () => {
    const e = start({ speed: 100, setup: setupOf({ seed: 5 }) });
    e.engine.handle({ type: 'runScenario', id: 'partitioned-old-leader' });
    const s = await e.until((x) => x.scenarioStatus['partitioned-old-leader'] === 'pass', 120_000);
    expect(challenge(s, 'second-leader').achieved).toBe(false);
  });
});
