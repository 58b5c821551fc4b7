/**
 * The shared scenarios (A1-H1, P1-P5, S1, S2, K of docs/scenarios.md) on real node processes: each
 * scenario runs unchanged against a fresh cluster of its own (ports, temp data dir), and every
 * process is killed afterwards, even when the scenario fails.
 */
import { allScenarios } from '@raft-kv/core/scenarios';
import { describe, it } from 'vitest';
import { clusterPerTest } from './support/process-cluster';

const startCluster = clusterPerTest();

describe('shared scenarios on real processes', () => {
  for (const scenario of allScenarios.filter((s) => s.worlds.includes('process'))) {
    it(`${scenario.id}: ${scenario.title}`, async () => {
      const cluster = await startCluster(scenario.cluster);
      await scenario.run({ d: cluster, narrate: () => {} });
    });
  }
});
