/**
 * Client sessions and compare-and-swap in the KV state machine (core/src/sessions.ts, kv.ts):
 * a session write is applied once however often it reaches the log and always answered with its
 * first answer; answers are forgotten only as the client acknowledges them; sessions expire by the
 * time carried in the log, the same on every replica; the table survives snapshot chunks, and the
 * restorer refuses anything malformed. Then the same on whole simulated clusters: a write resent
 * after its leader died, or to a follower that got the table from a snapshot, is applied once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KvRestorer, KvStateMachine, isKvSnapshotChunk } from '../src/kv';
import type { Applied } from '../src/kv';
import { encodeChunk } from '../src/kv-chunk';
import { sessionChunks, sessionLimits } from '../src/sessions';
import { Simulation } from '../src/sim/index';
import type { Command, Entry, SessionTag } from '../src/types';

/** Applies commands as consecutive log entries. */
class Log {
  index = 0;
  constructor(readonly kv = new KvStateMachine()) {
    this.index = kv.appliedIndex;
  }

  apply(command: Command): Applied {
    return this.kv.apply({ index: ++this.index, term: 1, command });
  }

  register(at: number, timeoutMs = 10_000): number {
    const applied = this.apply({ op: 'register', timeoutMs, at });
    expect(applied.result).toEqual({ op: 'register', clientId: this.index, timeoutMs });
    return this.index;
  }
}

const tag = (client: number, seq: number, ack = seq): SessionTag => ({ client, seq, ack });

describe('sessions in the state machine', () => {
  it('opening a session gives it the index of its entry as id', () => {
    const log = new Log();
    log.apply({ op: 'set', key: 'a', value: '1' });
    expect(log.register(1000)).toBe(2);
    expect(log.register(1000)).toBe(3);
    expect(log.kv.sessions.size).toBe(2);
  });

  it('a repeated (client, seq) is not applied again and gets the first answer', () => {
    const log = new Log();
    const c = log.register(1000);
    expect(log.apply({ op: 'set', key: 'k', value: 'first', session: tag(c, 1), at: 1001 })).toEqual({ result: { op: 'set', key: 'k' }, duplicate: false });
    log.apply({ op: 'set', key: 'k', value: 'other' });
    // The retry of seq 1 arrives after someone else wrote: it must not write 'first' again.
    expect(log.apply({ op: 'set', key: 'k', value: 'first', session: tag(c, 1), at: 1002 })).toEqual({ result: { op: 'set', key: 'k' }, duplicate: true });
    expect(log.kv.get('k')).toBe('other');
    expect(log.apply({ op: 'delete', key: 'k', session: tag(c, 2), at: 1003 }).result).toEqual({ op: 'delete', key: 'k', existed: true });
    expect(log.apply({ op: 'delete', key: 'k', session: tag(c, 2), at: 1004 })).toEqual({ result: { op: 'delete', key: 'k', existed: true }, duplicate: true });
  });

  it('a compare-and-swap swaps only when the key holds what it expects, and answers the value after it', () => {
    const log = new Log();
    expect(log.apply({ op: 'cas', key: 'k', expected: null, value: 'a' }).result).toEqual({ op: 'cas', key: 'k', swapped: true, value: 'a' });
    expect(log.apply({ op: 'cas', key: 'k', expected: null, value: 'b' }).result).toEqual({ op: 'cas', key: 'k', swapped: false, value: 'a' });
    expect(log.apply({ op: 'cas', key: 'k', expected: 'x', value: 'b' }).result).toEqual({ op: 'cas', key: 'k', swapped: false, value: 'a' });
    expect(log.apply({ op: 'cas', key: 'k', expected: 'a', value: '' }).result).toEqual({ op: 'cas', key: 'k', swapped: true, value: '' });
    expect(log.apply({ op: 'cas', key: 'gone', expected: '', value: 'b' }).result).toEqual({ op: 'cas', key: 'gone', swapped: false, value: null });
    expect(log.kv.get('k')).toBe('');
  });

  it('a repeated swap answers "swapped" again, although applying it again would not swap', () => {
    const log = new Log();
    const c = log.register(1000);
    const cas: Command = { op: 'cas', key: 'k', expected: null, value: 'mine', session: tag(c, 1), at: 1000 };
    expect(log.apply(cas).result).toEqual({ op: 'cas', key: 'k', swapped: true, value: 'mine' });
    expect(log.apply(cas)).toEqual({ result: { op: 'cas', key: 'k', swapped: true, value: 'mine' }, duplicate: true });
  });

  it('the client acknowledges answers with ack: older ones are forgotten and their numbers refused', () => {
    const log = new Log();
    const c = log.register(1000);
    log.apply({ op: 'set', key: 'a', value: '1', session: tag(c, 1, 1), at: 1000 });
    log.apply({ op: 'set', key: 'b', value: '2', session: tag(c, 2, 1), at: 1000 });
    expect(log.kv.sessions.get(c)!.answers.size).toBe(2);
    log.apply({ op: 'set', key: 'c', value: '3', session: tag(c, 3, 3), at: 1000 });
    expect([...log.kv.sessions.get(c)!.answers.keys()]).toEqual([3]);
    // A late copy of 1 or 2 is refused, never applied again.
    expect(log.apply({ op: 'set', key: 'a', value: '1', session: tag(c, 1, 1), at: 1000 }).result).toEqual({ op: 'rejected', error: 'stale_sequence' });
    expect(log.apply({ op: 'set', key: 'b', value: 'x', session: tag(c, 2, 2), at: 1000 }).result).toEqual({ op: 'rejected', error: 'stale_sequence' });
    expect(log.kv.get('b')).toBe('2');
  });

  it('a session holds at most answersPerSessionMax unacknowledged answers', () => {
    const log = new Log();
    const c = log.register(1000);
    const max = sessionLimits.answersPerSessionMax;
    for (let seq = 1; seq <= max; seq++) log.apply({ op: 'set', key: `k${seq}`, value: 'v', session: tag(c, seq, 1), at: 1000 });
    expect(log.apply({ op: 'set', key: 'over', value: 'v', session: tag(c, max + 1, 1), at: 1000 }).result).toEqual({ op: 'rejected', error: 'too_many_outstanding' });
    expect(log.kv.get('over')).toBeUndefined();
    expect(log.apply({ op: 'set', key: 'over', value: 'v', session: tag(c, max + 1, 2), at: 1000 }).result).toEqual({ op: 'set', key: 'over' });
  });

  it('expires a session silent for longer than its timeout, by the time in the log', () => {
    const log = new Log();
    const c = log.register(1_000, 5_000);
    expect(log.apply({ op: 'set', key: 'a', value: '1', session: tag(c, 1), at: 6_000 }).result.op).toBe('set');
    // Time passes only through entries: without any, the session lives on however long nodes wait.
    expect(log.apply({ op: 'set', key: 'a', value: '2', session: tag(c, 2), at: 11_000 }).result.op).toBe('set');
    expect(log.apply({ op: 'set', key: 'a', value: '3', session: tag(c, 3), at: 16_001 }).result).toEqual({ op: 'rejected', error: 'session_expired' });
    expect(log.kv.get('a')).toBe('2');
    expect(log.kv.sessions.get(c)).toBeUndefined();
    // Never registered is answered the same way.
    expect(log.apply({ op: 'set', key: 'a', value: '4', session: tag(999, 1), at: 16_001 }).result).toEqual({ op: 'rejected', error: 'session_expired' });
  });

  it("the log's clock never goes back: a leader whose clock is behind neither revives nor spares a session", () => {
    const log = new Log();
    const c = log.register(10_000, 5_000);
    const other = log.register(10_000, 5_000);
    log.apply({ op: 'set', key: 'x', value: '1', session: tag(other, 1), at: 20_000 });
    expect(log.kv.sessions.clock).toBe(20_000);
    // c was last active at 10,000: at clock 20,000 it is expired, whatever the entry's own stamp says.
    expect(log.apply({ op: 'set', key: 'a', value: '1', session: tag(c, 1), at: 12_000 }).result).toEqual({ op: 'rejected', error: 'session_expired' });
    expect(log.kv.sessions.clock).toBe(20_000);
  });

  it('sweeps expired sessions out of memory as the clock moves on', () => {
    const log = new Log();
    for (let i = 0; i < 5; i++) log.register(1_000, 2_000);
    const live = log.register(4_000, 60_000);
    log.apply({ op: 'set', key: 'a', value: '1', session: tag(live, 1), at: 10_000 });
    expect([...log.kv.sessions.all()].map((s) => s.id)).toEqual([live]);
  });
});

describe('sessions in snapshots', () => {
  function busyMachine(): Log {
    const log = new Log();
    const a = log.register(1_000, 60_000);
    const b = log.register(1_000, 60_000);
    log.apply({ op: 'set', key: 'x', value: 'a1', session: tag(a, 1), at: 2_000 });
    log.apply({ op: 'cas', key: 'x', expected: 'a1', value: 'b1', session: tag(b, 1), at: 2_500 });
    log.apply({ op: 'delete', key: 'y', session: tag(b, 2, 1), at: 3_000 });
    log.apply({ op: 'set', key: 'z', value: 'plain' });
    return log;
  }

  it.each([1, 64, 256 * 1024])('restores the map, the table and the clock from chunks of %i bytes', (chunkBytes) => {
    const log = busyMachine();
    const chunks = log.kv.snapshotChunks(chunkBytes);
    expect(chunks.every(isKvSnapshotChunk)).toBe(true);
    const copy = KvStateMachine.fromChunks(chunks, log.index);
    expect(copy.entries()).toEqual(log.kv.entries());
    expect(copy.sessions.clock).toBe(3_000);
    expect([...copy.sessions.all()]).toEqual([...log.kv.sessions.all()]);
  });

  it('cuts a large table into several chunks, each a well-formed chunk', () => {
    const log = new Log();
    for (let i = 0; i < 20; i++) log.register(1_000);
    const chunks = sessionChunks(log.kv.sessions, 100);
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.map((c) => isKvSnapshotChunk(JSON.stringify(c)))).toEqual(chunks.map(() => true));
  });

  it('a restored replica answers repeats and expires sessions exactly as the original', () => {
    const original = busyMachine();
    const restored = new Log(KvStateMachine.fromChunks(original.kv.snapshotChunks(1), original.index));
    const next: Command[] = [
      { op: 'cas', key: 'x', expected: 'a1', value: 'b1', session: tag(3, 1), at: 3_100 }, // a repeat: swapped again
      { op: 'set', key: 'x', value: 'a1', session: tag(2, 1), at: 3_200 }, // a repeat: not applied
      { op: 'set', key: 'w', value: '1', session: tag(2, 2), at: 70_000 }, // a's session expired
    ];
    for (const command of next) expect(restored.apply(command)).toEqual(original.apply(command));
    expect(restored.kv.entries()).toEqual(original.kv.entries());
    expect(restored.kv.get('x')).toBe('b1');
  });

  it('property: a replica restored from a snapshot at any point applies the rest of the log identically', () => {
    const commandArb = fc.oneof(
      fc.record({ op: fc.constant('register' as const), timeoutMs: fc.integer({ min: 1, max: 3_000 }), at: fc.nat(10_000) }),
      fc.record({
        op: fc.constantFrom('set' as const, 'cas' as const, 'delete' as const), key: fc.constantFrom('a', 'b'), value: fc.constantFrom('1', '2'),
        expected: fc.constantFrom(null, '1', '2'), client: fc.integer({ min: 1, max: 6 }), seq: fc.integer({ min: 1, max: 4 }), ack: fc.integer({ min: 1, max: 4 }),
        at: fc.nat(10_000), withSession: fc.boolean(),
      }),
    );
    type CommandCase = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;
    const toCommand = (c: CommandCase): Command => {
      if (c.op === 'register') return c;
      const session = c.withSession ? { session: tag(c.client, Math.max(c.seq, c.ack), Math.min(c.seq, c.ack)), at: c.at } : {};
      if (c.op === 'set') return { op: 'set', key: c.key, value: c.value, ...session };
      if (c.op === 'delete') return { op: 'delete', key: c.key, ...session };
      return { op: 'cas', key: c.key, expected: c.expected, value: c.value, ...session };
    };
    fc.assert(fc.property(fc.array(commandArb, { minLength: 1, maxLength: 40 }), fc.nat(), (raw, cut) => {
      const commands = raw.map(toCommand);
      const split = cut % commands.length;
      const whole = new Log();
      const results = commands.map((c) => whole.apply(c));
      const first = new Log();
      commands.slice(0, split).forEach((c) => first.apply(c));
      const restored = new Log(KvStateMachine.fromChunks(first.kv.snapshotChunks(16), first.index));
      expect(commands.slice(split).map((c) => restored.apply(c))).toEqual(results.slice(split));
      expect(restored.kv.snapshotChunks()).toEqual(whole.kv.snapshotChunks());
    }));
  });

  it('a snapshot of a state without sessions is the kv pairs alone (as before sessions existed)', () => {
    const log = new Log();
    log.apply({ op: 'set', key: 'a', value: '1' });
    expect(log.kv.snapshotChunks()).toEqual([encodeChunk(['a'], ['1'])]);
  });

  it('the restorer and the chunk check refuse malformed session chunks', () => {
    const good = { clock: 5, sessions: [{ id: 2, timeoutMs: 10, lastActiveAt: 5, ackFloor: 1, answers: [[1, { op: 'set', key: 'k' }]] }] };
    expect(isKvSnapshotChunk(JSON.stringify(good))).toBe(true);
    const bad: unknown[] = [
      { ...good, extra: 1 },
      { clock: -1, sessions: [] },
      { clock: 5, sessions: [{ ...good.sessions[0], id: 0 }] },
      { clock: 5, sessions: [{ ...good.sessions[0], answers: [[1, { op: 'set', key: 'k', value: 'v' }]] }] },
      { clock: 5, sessions: [{ ...good.sessions[0], answers: [[2, { op: 'set', key: 'k' }], [1, { op: 'set', key: 'k' }]] }] },
      { clock: 5, sessions: [{ ...good.sessions[0], ackFloor: 3 }] },
      { clock: 5, sessions: [{ ...good.sessions[0], answers: [[1, { op: 'cas', key: 'k', swapped: 'yes', value: null }]] }] },
      { clock: 5, sessions: [good.sessions[0], good.sessions[0]] },
      { kv: [], sessions: [] },
    ];
    for (const chunk of bad) {
      expect(isKvSnapshotChunk(JSON.stringify(chunk)), JSON.stringify(chunk)).toBe(false);
      const restorer = new KvRestorer();
      restorer.add('{"kv":[]}');
      expect(() => restorer.add(JSON.stringify(chunk)), JSON.stringify(chunk)).toThrow();
    }
  });

  it('the restorer wants the kv pairs first, sessions after, and one clock', () => {
    const sessions = JSON.stringify({ clock: 5, sessions: [] });
    expect(() => new KvRestorer().add(sessions)).toThrow(/kv pairs come first/);
    const late = new KvRestorer();
    late.add('{"kv":[]}');
    late.add(sessions);
    expect(() => late.add('{"kv":[["a","1"]]}')).toThrow(/after the sessions/);
    const clocks = new KvRestorer();
    clocks.add('{"kv":[]}');
    clocks.add(sessions);
    expect(() => clocks.add(JSON.stringify({ clock: 6, sessions: [] }))).toThrow(/disagree on the clock/);
  });
});

describe('sessions on a simulated cluster', () => {
  function clusterWithLeader(config: ConstructorParameters<typeof Simulation>[0] = {}): Simulation {
    const sim = new Simulation({ seed: 11, nodeCount: 3, ...config });
    expect(sim.runUntil(() => sim.leader() !== null, 5_000)).toBe(true);
    return sim;
  }

  function ask(sim: Simulation, node: string, request: Omit<Parameters<Simulation['submit']>[0], 'clientId' | 'node'>) {
    const id = sim.submit({ clientId: 'c', node, ...request });
    expect(sim.runUntil(() => sim.request(id)!.repliedAt !== null, 10_000)).toBe(true);
    return sim.request(id)!.response!;
  }

  /** Every (node, index) where a value was written into the map. */
  function applications(sim: Simulation): Map<string, Set<number>> {
    const seen = new Map<string, Set<number>>();
    sim.subscribeApplied((_node, entry: Entry, applied) => {
      const c = entry.command;
      if ((c.op === 'set' || c.op === 'cas') && !applied.duplicate && (c.op === 'set' || (applied.result.op === 'cas' && applied.result.swapped))) {
        const at = seen.get(c.value) ?? new Set();
        seen.set(c.value, at.add(entry.index));
      }
    });
    return seen;
  }

  it('a swap whose answer was lost, resent to the next leader, is applied once and gets the first answer', () => {
    const sim = clusterWithLeader();
    const written = applications(sim);
    const first = sim.leader()!;
    const session = ask(sim, first, { op: 'session', key: '' });
    expect(session.status).toBe(200);
    const client = session.body.clientId as number;
    const cas = { op: 'cas' as const, key: 'k', expected: null, value: 'mine', session: tag(client, 1) };
    expect(ask(sim, first, cas)).toEqual({ status: 200, body: { ok: true, key: 'k', swapped: true, value: 'mine' } });
    // The client never saw that answer: the leader dies and the client resends to whoever leads next.
    sim.act({ type: 'crash', node: first });
    expect(sim.runUntil(() => sim.leader() !== null && sim.leader() !== first, 10_000)).toBe(true);
    const second = sim.leader()!;
    expect(ask(sim, second, cas)).toEqual({ status: 200, body: { ok: true, key: 'k', swapped: true, value: 'mine' } });
    // A fresh swap with the same expectation would fail: the repeat was answered from the table.
    expect(ask(sim, second, { ...cas, session: tag(client, 2) }).body).toMatchObject({ swapped: false, value: 'mine' });
    expect([...written.get('mine')!]).toHaveLength(1);
  });

  it('a follower that got the table through a snapshot answers a repeat once it leads', () => {
    const sim = clusterWithLeader({ snapshotThreshold: 5 });
    const written = applications(sim);
    const leader = sim.leader()!;
    const behind = sim.nodeIds.find((id) => id !== leader)!;
    const client = ask(sim, leader, { op: 'session', key: '' }).body.clientId as number;
    sim.act({ type: 'isolate', node: behind });
    const put = { op: 'put' as const, key: 'k', value: 'once', session: tag(client, 1) };
    expect(ask(sim, leader, put).status).toBe(200);
    for (let i = 0; i < 12; i++) expect(ask(sim, leader, { op: 'put', key: `filler${i}`, value: String(i) }).status).toBe(200);
    let installed = false;
    sim.subscribe(({ event }) => void (installed ||= event.type === 'snapshotInstalled' && event.node === behind));
    sim.act({ type: 'healAll' });
    expect(sim.runUntil(() => installed && sim.view(behind).lastApplied === sim.view(leader).lastApplied, 10_000)).toBe(true);
    // The leader goes down and the follower that knows the session only from the snapshot takes over.
    sim.act({ type: 'crash', node: leader });
    for (let attempt = 0; attempt < 10 && sim.leader() !== behind; attempt++) {
      sim.act({ type: 'campaign', node: behind });
      sim.runUntil(() => sim.leader() === behind, 2_000);
    }
    expect(sim.leader()).toBe(behind);
    expect(ask(sim, behind, put)).toEqual({ status: 200, body: { ok: true, message: 'stored', key: 'k' } });
    expect([...written.get('once')!]).toHaveLength(1);
    expect(sim.node(behind).kv.get('k')).toBe('once');
  });

  it('an expired session is answered 410 session_expired and changes nothing', () => {
    const sim = clusterWithLeader({ sessionTimeoutMs: 1_000 });
    const leader = sim.leader()!;
    const stale = ask(sim, leader, { op: 'session', key: '' }).body.clientId as number;
    sim.runFor(500);
    const fresh = ask(sim, leader, { op: 'session', key: '' }).body.clientId as number;
    sim.runFor(800);
    // The fresh session's write moves the log's clock past the stale one's timeout.
    expect(ask(sim, leader, { op: 'put', key: 'a', value: '1', session: tag(fresh, 1) }).status).toBe(200);
    const expired = ask(sim, leader, { op: 'put', key: 'b', value: '2', session: tag(stale, 1) });
    expect(expired).toMatchObject({ status: 410, body: { error: 'session_expired' } });
    expect(sim.node(leader).kv.get('b')).toBeUndefined();
  });
});

describe('what watchers read (Replica.changesSince)', () => {
  it('lists the changes in log order: sets, real deletes and swaps; nothing for repeats, failed swaps or no-ops', () => {
    const sim = new Simulation({ seed: 3, nodeCount: 3 });
    expect(sim.runUntil(() => sim.leader() !== null, 5_000)).toBe(true);
    const leader = sim.leader()!;
    const send = (request: Omit<Parameters<Simulation['submit']>[0], 'clientId' | 'node'>) => {
      const id = sim.submit({ clientId: 'c', node: leader, ...request });
      expect(sim.runUntil(() => sim.request(id)!.repliedAt !== null, 5_000)).toBe(true);
      return sim.request(id)!.response!;
    };
    const from = sim.view(leader).lastApplied + 1;
    const client = send({ op: 'session', key: '' }).body.clientId as number;
    send({ op: 'put', key: 'a/1', value: 'x', session: tag(client, 1) });
    send({ op: 'put', key: 'a/1', value: 'x', session: tag(client, 1) });
    send({ op: 'delete', key: 'a/missing' });
    send({ op: 'cas', key: 'a/1', expected: 'nope', value: 'y' });
    send({ op: 'cas', key: 'a/1', expected: 'x', value: 'y' });
    send({ op: 'put', key: 'b', value: 'z' });
    send({ op: 'delete', key: 'a/1' });
    for (const id of sim.nodeIds) expect(sim.runUntil(() => sim.view(id).lastApplied === sim.view(leader).lastApplied, 5_000)).toBe(true);
    for (const id of sim.nodeIds) {
      const read = sim.node(id).replica!.changesSince(from, 'a/', 1_000);
      expect(read.ok && read.changes.map((c) => [c.op, c.key, c.value])).toEqual([['set', 'a/1', 'x'], ['set', 'a/1', 'y'], ['delete', 'a/1', undefined]]);
      expect(read.ok && read.next).toBe(sim.view(id).lastApplied + 1);
    }
    // Paging: at most scanMax entries per read, resumed from `next`.
    const replica = sim.node(leader).replica!;
    const pages: string[] = [];
    for (let next = from; next <= sim.view(leader).lastApplied;) {
      const page = replica.changesSince(next, '', 2);
      if (!page.ok) throw new Error('compacted');
      pages.push(...page.changes.map((c) => `${c.index}:${c.key}`));
      next = page.next;
    }
    const all = replica.changesSince(from, '', 1_000);
    expect(all.ok && all.changes.map((c) => `${c.index}:${c.key}`)).toEqual(pages);
  });

  it('says where the changes start once the log was compacted past the index asked for', () => {
    const sim = new Simulation({ seed: 3, nodeCount: 3, snapshotThreshold: 5 });
    expect(sim.runUntil(() => sim.leader() !== null, 5_000)).toBe(true);
    const leader = sim.leader()!;
    for (let i = 0; i < 12; i++) {
      const id = sim.submit({ clientId: 'c', node: leader, op: 'put', key: `k${i}`, value: String(i) });
      expect(sim.runUntil(() => sim.request(id)!.repliedAt !== null, 5_000)).toBe(true);
    }
    const view = sim.view(leader);
    expect(view.snapshotIndex).toBeGreaterThan(1);
    const read = sim.node(leader).replica!.changesSince(1, '', 100);
    expect(read).toEqual({ ok: false, firstIndex: view.firstIndex, snapshotIndex: view.snapshotIndex });
    const fromFirst = sim.node(leader).replica!.changesSince(view.firstIndex, '', 100);
    expect(fromFirst.ok).toBe(true);
  });
});
