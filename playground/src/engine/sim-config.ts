/** The simulation the playground builds from a page setup, and the protocol toggles' mapping to core's switches. */
import { defaultRaftConfig } from '@raft-kv/core';
import type { SimConfig, SimConfigInput } from '@raft-kv/core/sim';
import type { ProtocolToggles, RunSetup } from './protocol';
import { protocolNames } from './protocol';

/** The core switches behind the toggles (all on: the real protocol). */
export function protocolRaft(p: ProtocolToggles): NonNullable<SimConfigInput['raft']> {
  return {
    preVote: p.preVote,
    checkQuorum: p.checkQuorum,
    leaderNoop: p.leaderNoop,
    fastBacktracking: p.fastBacktracking,
    unsafe: p.commitRule ? {} : { commitOldTermByCount: true },
  };
}

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
    raft: protocolRaft(setup.protocol),
    localReads: !setup.protocol.readIndex,
    network: { lossRate: setup.lossRate },
  };
}

/** What a simulation's settings amount to, as toggles (a guided scenario may set its own). */
export function protocolOf(config: Pick<SimConfig, 'raft' | 'localReads'>): ProtocolToggles {
  const raft = { ...defaultRaftConfig, ...config.raft };
  return {
    preVote: raft.preVote,
    checkQuorum: raft.checkQuorum,
    leaderNoop: raft.leaderNoop,
    fastBacktracking: raft.fastBacktracking,
    readIndex: !config.localReads,
    commitRule: raft.unsafe?.commitOldTermByCount !== true,
  };
}

/**
 * A scenario's own settings, with every rule the learner switched off switched off too: the
 * scenario decides what it needs, the learner can only take protections away (so turning a rule
 * off and running its scenario shows what the rule prevents).
 */
export function withRulesOff(config: SimConfigInput, learner: ProtocolToggles): SimConfigInput {
  const own = protocolOf({ raft: config.raft ?? {}, localReads: config.localReads ?? false });
  const effective = { ...own };
  for (const name of protocolNames) effective[name] = own[name] && learner[name];
  const raft = protocolRaft(effective);
  return { ...config, raft: { ...config.raft, ...raft, unsafe: { ...config.raft?.unsafe, ...raft.unsafe } }, localReads: !effective.readIndex };
}
