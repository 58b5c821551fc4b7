/**
 * For tests that need network namespaces (root, iproute2, nftables): they run on every `npm test`
 * and fail with the one-line reason where namespaces cannot be made, unless RAFT_KV_SKIP_NETNS=1
 * says, explicitly, to skip them.
 */
import { beforeAll, describe } from 'vitest';
import { netnsUnsupportedReason } from '../../src/netns/commands';

export const skipNetnsVariable = 'RAFT_KV_SKIP_NETNS';
const optedOut = process.env[skipNetnsVariable] === '1';

/** `describe`, or `describe.skip` (saying so once) when the run opted out of namespace tests. */
export function describeNetns(name: string, body: () => void): void {
  if (optedOut) {
    console.log(`${skipNetnsVariable}=1: skipping "${name}" (network namespace tests)`);
    describe.skip(name, body);
    return;
  }
  describe(name, () => {
    beforeAll(async () => {
      const reason = await netnsUnsupportedReason();
      if (reason) throw new Error(`cannot run network namespace tests: ${reason}; set ${skipNetnsVariable}=1 to skip them`);
    });
    body();
  });
}

/** A fresh namespace prefix for one test cluster (rkvt + 4 random characters). */
export function testPrefix(): string {
  return `rkvt${Math.random().toString(36).slice(2, 6).padEnd(4, '0')}`;
}
