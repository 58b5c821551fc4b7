/** The simulation the playground builds from a page setup (seed, node count, unsafe toggle). */
import type { SimConfigInput } from '@raft-kv/core/sim';
import type { RunSetup } from './protocol';

/**
 * The core's defaults (100 ms heartbeats, 600-1200 ms election timeouts, 5-15 ms links, as the
 * real nodes use), with a short event log: the feed shows only recent events, and every
 * time-travel checkpoint copies the log.
 */
export function playgroundSimConfig(setup: RunSetup): SimConfigInput {
  return {
    seed: setup.seed,
    nodeCount: setup.nodeCount,
    eventLogMax: 600,
    raft: setup.unsafeCommitOldTerm ? { unsafe: { commitOldTermByCount: true } } : {},
  };
}
