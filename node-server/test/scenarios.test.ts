/**
 * The shared scenarios (A1-H1, P1-P5, S1, S2, K from SCENARIOS.md) on real node processes: each
 * scenario runs unchanged against a fresh cluster of its own (ports, temp data dir), and every
 * process is killed afterwards, even when the scenario fails.
 */
import { allScenarios } from '@raft-kv/core/scenarios';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster, liveProcesses } from './support/process-cluster';

let cluster: ProcessCluster | null = null;

afterEach(async (context) => {
  if (!cluster) return;
  const failed = context.task.result?.state === 'fail';
  if (failed) for (const id of cluster.nodeIds) console.log(`---- ${id} log tail (${cluster.dataDir}) ----\n${cluster.logTail(id, 30)}`);
  await cluster.destroy(failed);
  cluster = null;
});

afterAll(() => {
  expect(liveProcesses().map((c) => c.pid)).toEqual([]);
});

describe('shared scenarios on real processes', () => {
  for (const scenario of allScenarios.filter((s) => s.worlds.includes('process'))) {
    it(`${scenario.id}: ${scenario.title}`, async () => {
      cluster = await ProcessCluster.start(scenario.cluster);
      await scenario.run({ d: cluster, narrate: () => {} });
    });
  }
});
