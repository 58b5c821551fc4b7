/**
 * A follower whose disk is wiped (the data directory removed while it is down) and that restarts
 * on an idle cluster: it must catch up by snapshot, with nothing more written. The leader knew it
 * to hold entries up to some index; its answers now say its log is empty. Before the leader took
 * that for what it is, it went on offering entries past the old match, and the follower waited for
 * the leader's next compaction to pass that point: on an idle cluster, forever.
 */
import fs from 'node:fs';
import path from 'node:path';
import { stableLeader } from '@raft-kv/core/scenarios';
import { describe, expect, it } from 'vitest';
import { clusterPerTest } from './support/process-cluster';
import { until } from './support/in-process-node';

const cluster = clusterPerTest();
const writes = 40;

describe('a follower whose disk was wiped', () => {
  it('catches up by snapshot on an idle cluster', async () => {
    // Every 10 applied entries a snapshot, and the log compacted all the way up to it.
    const c = await cluster({ nodes: 3, env: { RAFT_SNAPSHOT_THRESHOLD: '10', RAFT_SNAPSHOT_RETAIN_ENTRIES: '0' } });
    const leader = await stableLeader(c);
    for (let i = 0; i < writes; i++) expect((await c.put(leader, `k${i}`, `v${i}`)).status).toBe(200);
    const follower = c.nodeIds.find((id) => id !== leader)!;
    const commit = (await c.status(leader)).commitIndex;
    await until(`${follower} to apply up to ${commit}`, async () => (await c.status(follower)).lastApplied >= commit, 10_000);
    // The leader's log no longer reaches back to the start: the follower can only come back by snapshot.
    await until(`a snapshot on ${leader}`, async () => (await c.snapshotIndex(leader)) > 0, 10_000);

    await c.kill(follower);
    fs.rmSync(path.join(c.dataDir, follower), { recursive: true, force: true });
    await c.restart(follower);

    // Nothing is written from here on.
    await until(`${follower} to apply up to ${commit} again`, async () => (await c.status(follower)).lastApplied >= commit, 15_000);
    expect(await c.snapshotIndex(follower)).toBeGreaterThan(0);
    for (const i of [0, writes - 1]) {
      const read = await c.get(follower, `k${i}`, { stale: true });
      expect(read.body).toMatchObject({ ok: true, value: `v${i}` });
    }
  }, 60_000);
});
