/**
 * The benchmark's probe against a real cluster: the snapshot columns of bench:cluster and
 * bench:scale come from it, and they read 0 for a long time unnoticed after the node began writing
 * its manifests asynchronously.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { key8, value256 } from '../bench/http-load';
import { OurCluster } from '../bench/ours';
import { freePortBase, waitFor } from '../bench/proc';

/** OurCluster at the defaults but for a snapshot every few entries. */
class FrequentSnapshots extends OurCluster {
  protected override launch(i: number, command: string, args: readonly string[], options: { cwd?: string | URL; env?: NodeJS.ProcessEnv }): void {
    super.launch(i, command, args, { ...options, env: { ...options.env, RAFT_SNAPSHOT_THRESHOLD: '20' } });
  }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raft-kv-probe-'));
let cluster: FrequentSnapshots | null = null;

afterAll(async () => {
  await cluster?.stopAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the benchmark probe', () => {
  it('counts the snapshots a node writes, with their bytes and time', async () => {
    cluster = new FrequentSnapshots(dir, await freePortBase([0, 1, 2, 1000, 1001, 1002, 2000, 2001, 2002]));
    cluster.startAll();
    const leader = await cluster.waitForLeader(30_000);
    for (let n = 0; n < 50; n++) expect((await cluster.put(leader, key8(n), value256(key8(n)))).ok).toBe(true);
    const reading = await waitFor('a snapshot in the probe', 20_000, async () => {
      const r = await cluster!.probe(leader);
      return r && r.snapshotFiles.count >= 2 ? r : undefined;
    });
    expect(reading.snapshotFiles.bytes).toBeGreaterThan(0);
    expect(reading.snapshotFiles.ms).toBeGreaterThan(0);
    expect(reading.walWrites.count).toBeGreaterThanOrEqual(50);
  });
});
