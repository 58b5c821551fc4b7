/**
 * Where WAL records are written: on the event loop while the disk is fast, in the thread pool once
 * most recent writes on the loop were slow, with a probe on the loop now and then (wal-write-mode.ts);
 * and writes made on the loop are as durable as the others.
 */
import { stableLeader } from '@raft-kv/core/scenarios';
import { describe, expect, it, vi } from 'vitest';
import { WalWriteMode } from '../src/host/wal-write-mode';
import { DiskStorage } from '../src/storage/disk-storage';
import { call, startTestNode, until } from './support/in-process-node';
import type { ProcessCluster } from './support/process-cluster';
import { clusterPerTest } from './support/process-cluster';

/** The host's counters from GET /raft/status. */
async function statsOf(c: ProcessCluster, id: string): Promise<{ persists: number; walWritesOnLoop: number }> {
  return (await c.rawStatus(id)).stats as { persists: number; walWritesOnLoop: number };
}

/** Records `n` writes on the loop, each taking `ms`. */
function took(mode: WalWriteMode, n: number, ms: number): void {
  for (let i = 0; i < n; i++) mode.tookSync(ms);
}

describe('WalWriteMode', () => {
  it('writes on the loop while at most half of the latest writes were slow', () => {
    const mode = new WalWriteMode(2, 8, 100);
    expect(mode.syncAt(0, 1)).toBe(true);
    took(mode, 8, 0.2);
    took(mode, 4, 50); // a burst behind a snapshot's flush: half the window, not more
    expect(mode.diskSlow).toBe(false);
    expect(mode.syncAt(1, 1)).toBe(true);
    took(mode, 1, 2.5);
    expect(mode.diskSlow).toBe(true);
    expect(mode.syncAt(2, 1)).toBe(true); // the first probe
    expect(mode.syncAt(3, 1)).toBe(false);
  });

  it('probes the disk on the loop at most once per interval, and comes back once the probes are fast', () => {
    const mode = new WalWriteMode(2, 8, 100);
    took(mode, 8, 10);
    const onLoop: number[] = [];
    for (let now = 0; now < 1000; now += 10) {
      if (!mode.syncAt(now, 1)) continue;
      onLoop.push(now);
      mode.tookSync(0.2);
    }
    // Four fast probes (0, 100, 200, 300 ms) leave 4 of 8 slow, which is no longer over half.
    expect(onLoop.slice(0, 5)).toEqual([0, 100, 200, 300, 310]);
    expect(onLoop.length).toBe(4 + 69);
    expect(mode.diskSlow).toBe(false);
  });

  it('sends a record of several entries to the pool once most writes took over a quarter of the bound, a single entry only past the bound', () => {
    const mode = new WalWriteMode(2, 8, 100);
    took(mode, 8, 0.5); // exactly a quarter: fast for both
    expect([mode.syncAt(0, 1), mode.syncAt(0, 20)]).toEqual([true, true]);
    took(mode, 5, 1.2); // a disk syncing in ~1 ms: 5 of 8 over 0.5 ms, none over 2
    expect([mode.diskSlow, mode.diskSlowForBatches]).toEqual([false, true]);
    expect(mode.syncAt(1, 1)).toBe(true);
    expect(mode.syncAt(1, 0)).toBe(true); // a hard state alone
    expect(mode.syncAt(2, 20)).toBe(true); // the first probe for batches
    expect(mode.syncAt(3, 20)).toBe(false);
    expect(mode.syncAt(3, 1)).toBe(true);
    took(mode, 8, 0.3); // the disk got fast again: the window forgets the slow writes
    expect(mode.syncAt(4, 20)).toBe(true);
    expect(mode.diskSlowForBatches).toBe(false);
  });

  it('counts a write exactly at the bound as fast, and never writes on the loop when set to 0', () => {
    const bounded = new WalWriteMode(2, 2, 100);
    took(bounded, 2, 2);
    expect(bounded.diskSlow).toBe(false);
    const never = new WalWriteMode(0);
    expect([never.syncAt(0, 1), never.syncAt(0, 2)]).toEqual([false, false]);
    expect(() => new WalWriteMode(-1)).toThrow();
  });
});

const startCluster = clusterPerTest();

describe('WAL records written on the loop', () => {
  it('are durable: all three nodes SIGKILLed and restarted still hold every acknowledged write', async () => {
    // The bound at its maximum: every write goes on the loop, however busy the machine is.
    const c = await startCluster({ nodes: 3, env: { RAFT_FSYNC: 'on', RAFT_WAL_SYNC_WRITE_MS: '1000' } });
    const leader = await stableLeader(c);
    for (let i = 0; i < 20; i++) expect((await c.put(leader, `k${i}`, `v${i}`)).status).toBe(200);
    for (const id of ['n1', 'n2', 'n3']) {
      const stats = await statsOf(c, id);
      expect(stats.persists).toBeGreaterThan(0);
      expect(stats.walWritesOnLoop).toBe(stats.persists);
    }
    for (const id of ['n1', 'n2', 'n3']) await c.kill(id);
    for (const id of ['n1', 'n2', 'n3']) await c.restart(id);
    const next = await stableLeader(c);
    for (let i = 0; i < 20; i++) expect((await c.get(next, `k${i}`)).body.value).toBe(`v${i}`);
  });

  it('are not made at all with RAFT_WAL_SYNC_WRITE_MS=0', async () => {
    const c = await startCluster({ nodes: 3, env: { RAFT_WAL_SYNC_WRITE_MS: '0' } });
    const leader = await stableLeader(c);
    for (let i = 0; i < 5; i++) expect((await c.put(leader, `k${i}`, 'v')).status).toBe(200);
    for (const id of ['n1', 'n2', 'n3']) {
      const stats = await statsOf(c, id);
      expect(stats.persists).toBeGreaterThan(0);
      expect(stats.walWritesOnLoop).toBe(0);
    }
  });
});

describe('a failed WAL write', () => {
  for (const [where, env] of [['on the loop', {}], ['in the thread pool', { RAFT_WAL_SYNC_WRITE_MS: '0' }]] as const) {
    it(`stops the node, and the write is not acknowledged (${where})`, async () => {
      const t = await startTestNode({ ...env, RAFT_FSYNC: 'on' });
      try {
        await until('n1 to lead', async () => (await call(`${t.kv}/health`)).body.state === 'leader');
        const failure = new Error('EIO: simulated disk failure');
        // A Ready that writes nothing (a commit index alone) never reaches the disk, so it cannot fail.
        const storage = t.node.storage;
        const persist = storage.persist.bind(storage);
        vi.spyOn(storage, 'persist').mockImplementation((batch) => {
          if (DiskStorage.isNoop(batch)) return persist(batch);
          throw failure;
        });
        vi.spyOn(t.node.storage, 'persistAsync').mockImplementation((_batch, done) => void setImmediate(() => done(failure)));
        const put = call(`${t.kv}/set`, { method: 'PUT', body: JSON.stringify({ key: 'k', value: 'v' }) }).then((r) => r.status, () => 'no answer');
        await until('the node to stop on the failure', () => t.fatal.length > 0);
        expect(t.fatal).toEqual([failure]);
        expect(await put).not.toBe(200);
      } finally {
        vi.restoreAllMocks();
        await t.stop();
      }
    });
  }
});
