/** The simulator: determinism, time travel, the network's faults and crash semantics. */
import { describe, expect, it } from 'vitest';
import { Simulation } from '../src/sim/index';
import type { SimConfigInput, TimedEvent } from '../src/sim/index';

function traceOf(sim: Simulation, ms: number): string[] {
  const trace: string[] = [];
  const stop = sim.subscribe((e: TimedEvent) => trace.push(`${e.at.toFixed(3)} ${JSON.stringify(e.event)}`));
  sim.runFor(ms);
  stop();
  return trace;
}

function busyCluster(config: SimConfigInput = {}): Simulation {
  const sim = new Simulation({ seed: 5, nodeCount: 5, network: { lossRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1, reorderDelayMaxMs: 200 }, ...config });
  sim.runFor(2_000);
  for (let i = 0; i < 20; i++) sim.act({ type: 'client', request: { clientId: 'c', node: sim.leader() ?? 'n1', op: 'put', key: `k${i % 3}`, value: String(i) } });
  return sim;
}

describe('simulator', () => {
  it('is deterministic: the same seed and actions give the same trace', () => {
    expect(traceOf(busyCluster(), 3_000)).toEqual(traceOf(busyCluster(), 3_000));
    expect(traceOf(busyCluster({ seed: 6 }), 3_000)).not.toEqual(traceOf(busyCluster(), 3_000));
  });

  it('a checkpoint restores the whole world: running on from it repeats the future exactly', () => {
    const sim = busyCluster();
    sim.runFor(500);
    const checkpoint = sim.checkpoint();
    const future = traceOf(sim, 2_000);
    const state = sim.nodeIds.map((id) => sim.view(id));
    sim.restore(checkpoint);
    expect(sim.now).toBe(checkpoint.at);
    expect(traceOf(sim, 2_000)).toEqual(future);
    expect(sim.nodeIds.map((id) => sim.view(id))).toEqual(state);
  });

  it('acting after a restore forks a new future, and the checkpoint itself is unchanged', () => {
    const sim = busyCluster();
    const checkpoint = sim.checkpoint();
    const leader = sim.leader()!;
    sim.act({ type: 'crash', node: leader });
    sim.runFor(3_000);
    expect(sim.leader()).not.toBe(leader);
    sim.restore(checkpoint);
    expect(sim.node(leader).up).toBe(true);
    sim.runFor(1_000);
    expect(sim.leader()).toBe(leader);
  });

  it('replays a run from its config and recorded actions', () => {
    const sim = busyCluster();
    sim.act({ type: 'isolate', node: 'n2' });
    sim.runFor(1_000);
    sim.act({ type: 'healAll' });
    sim.runFor(1_000);
    const replayed = Simulation.replay({ seed: 5, nodeCount: 5, network: { lossRate: 0.05, duplicateRate: 0.05, reorderRate: 0.1, reorderDelayMaxMs: 200 } }, sim.actionLog, sim.steps);
    replayed.runUntilTime(sim.now); // runFor moved the original's clock past its last event
    expect(replayed.nodeIds.map((id) => replayed.view(id))).toEqual(sim.nodeIds.map((id) => sim.view(id)));
    expect(replayed.history).toEqual(sim.history);
  });

  it('a one-way cut drops messages in one direction only', () => {
    const sim = new Simulation({ seed: 1 });
    sim.runFor(2_000);
    const leader = sim.leader()!;
    const follower = sim.nodeIds.find((id) => id !== leader)!;
    sim.act({ type: 'cut', from: leader, to: follower, bothWays: false });
    const drops: string[] = [];
    sim.subscribe((e) => e.event.type === 'messageDropped' && drops.push(`${e.event.node}>${e.event.to}`));
    sim.runFor(500);
    expect(drops.length).toBeGreaterThan(0);
    expect(drops.every((d) => d === `${leader}>${follower}`)).toBe(true);
  });

  it('a crash loses volatile state and keeps durable state; a write in progress may be lost', () => {
    const sim = new Simulation({ seed: 2, diskLatencyMinMs: 50, diskLatencyMaxMs: 50 });
    sim.runFor(2_000);
    const leader = sim.leader()!;
    const term = sim.view(leader).term;
    const lastDurable = sim.node(leader).storage.lastIndex();
    sim.act({ type: 'client', request: { clientId: 'c', node: leader, op: 'put', key: 'k', value: 'v' } });
    sim.runFor(5);
    expect(sim.node(leader).persisting).not.toBeNull();
    sim.act({ type: 'crash', node: leader });
    expect(sim.view(leader).role).toBe('down');
    expect(sim.node(leader).storage.lastIndex()).toBe(lastDurable);
    expect(sim.node(leader).storage.hardStateNow().term).toBe(term);
    sim.act({ type: 'restart', node: leader });
    expect(sim.view(leader).role).toBe('follower');
  });

  it('a torn write keeps the entries before the hard state: never a commit index over entries it did not write', () => {
    let tornWithHardState = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const sim = new Simulation({ seed, tornWriteRate: 1, diskLatencyMinMs: 20, diskLatencyMaxMs: 20 });
      sim.runFor(2_000);
      const leader = sim.leader()!;
      const follower = sim.nodeIds.find((id) => id !== leader)!;
      // A write commits; more go out at once, the first in the append that tells the follower of
      // that commit: it writes it with a new commit index, and crashes meanwhile.
      const committed = sim.view(leader).commitIndex;
      sim.act({ type: 'client', request: { clientId: 'x', node: leader, op: 'put', key: 'x', value: 'v' } });
      sim.runUntil(() => sim.view(leader).commitIndex > committed, 1_000);
      for (const key of ['a', 'b', 'c']) sim.act({ type: 'client', request: { clientId: key, node: leader, op: 'put', key, value: 'v' } });
      const writing = () => sim.node(follower).persisting;
      sim.runUntil(() => (writing()?.entries.length ?? 0) > 0 && writing()?.hardState !== null, 1_000);
      const rd = writing();
      if (!rd || rd.entries.length === 0 || rd.hardState === null) continue;
      sim.act({ type: 'crash', node: follower });
      const disk = sim.node(follower).storage;
      if (disk.hardStateNow().commit !== rd.hardState.commit) continue;
      tornWithHardState++;
      expect(disk.lastIndex(), `seed ${seed}`).toBeGreaterThanOrEqual(rd.entries[rd.entries.length - 1]!.index);
    }
    expect(tornWithHardState).toBeGreaterThan(3);
  });

  it('clients get the API answers: 409 with the leader hint from a follower, 200 from the leader', () => {
    const sim = new Simulation({ seed: 3 });
    sim.runFor(2_000);
    const leader = sim.leader()!;
    const follower = sim.nodeIds.find((id) => id !== leader)!;
    const a = sim.submit({ clientId: 'c', node: follower, op: 'put', key: 'k', value: 'v' });
    const b = sim.submit({ clientId: 'c', node: leader, op: 'put', key: 'k', value: 'v' });
    const c = sim.submit({ clientId: 'c', node: leader, op: 'put', key: ' ', value: 'v' });
    sim.runFor(200);
    expect(sim.request(a)!.response).toEqual({ status: 409, body: { ok: false, error: 'not_leader', message: 'not leader', leaderId: leader, leader: `sim://${leader}` } });
    expect(sim.request(b)!.response).toEqual({ status: 200, body: { ok: true, message: 'stored', key: 'k' } });
    expect(sim.request(c)!.response!.status).toBe(400);
  });
});
