/**
 * The A-H checklist (the shared scenarios A1-H1, unchanged) on a namespaced cluster: each node in a
 * network namespace of its own with its own address, peers named by address, clients coming from
 * the client namespace, and TLS on both ports (mutual TLS between peers). Each scenario gets a
 * fresh cluster; its namespaces, processes and data are removed afterwards, also when it fails.
 */
import { checklistScenarios } from '@raft-kv/core/scenarios';
import { afterEach, expect, it } from 'vitest';
import { describeNetns } from './support/netns';
import { NetnsDriver } from './support/netns-driver';

let driver: NetnsDriver | null = null;

afterEach(async (context) => {
  if (!driver) return;
  const failed = context.task.result?.state === 'fail';
  if (failed) for (const id of driver.nodeIds) console.log(`---- ${id} log tail (${driver.dataDir}) ----\n${driver.logTail(id, 30)}`);
  await driver.destroy(failed);
  driver = null;
});

describeNetns('A-H on a namespaced cluster with TLS', () => {
  for (const scenario of checklistScenarios.filter((s) => s.worlds.includes('process'))) {
    it(`${scenario.id}: ${scenario.title}`, async () => {
      driver = await NetnsDriver.start({ ...scenario.cluster, tls: true });
      expect(driver.kvUrl('n1')).toBe('https://198.18.0.11:8080');
      await scenario.run({ d: driver, narrate: () => {} });
    });
  }
});
