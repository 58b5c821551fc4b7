/** The simulation the playground builds from a page setup, and the protocol toggles' mapping to core's switches. */
import { defaultRaftConfig } from '@raft-kv/core';
import type { SimConfig, SimConfigInput } from '@raft-kv/core/sim';
import { commitRuleBug, unsafeOf } from './bug-zoo';
import type { ProtocolToggles, RunSetup } from './protocol';
import { protocolNames } from './protocol';

/** The core switches behind the toggles (all on: the real protocol), with the bug-zoo options switched on. */
export function protocolRaft(p: ProtocolToggles, bugs: readonly string[] = []): NonNullable<SimConfigInput['raft']> {
  return {
    preVote: p.preVote,
    checkQuorum: p.checkQuorum,
    leaderNoop: p.leaderNoop,
    fastBacktracking: p.fastBacktracking,
    unsafe: unsafeOf(p.commitRule ? bugs : [...bugs, commitRuleBug]),
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
    raft: protocolRaft(setup.protocol, setup.bugs),
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
    commitRule: raft.unsafe?.[commitRuleBug] !== true,
  };
}

/**
 * A scenario's own settings, with every rule the learner switched off switched off too, and every
 * bug the learner switched on switched on: the scenario decides what it needs, the learner can only
 * take protections away (so turning a rule off and running its scenario shows what the rule prevents).
 */
export function withRulesOff(config: SimConfigInput, learner: ProtocolToggles, learnerBugs: readonly string[] = []): SimConfigInput {
  const own = protocolOf({ raft: config.raft ?? {}, localReads: config.localReads ?? false });
  const effective = { ...own };
  for (const name of protocolNames) effective[name] = own[name] && learner[name];
  const raft = protocolRaft(effective, learnerBugs);
  return { ...config, raft: { ...config.raft, ...raft, unsafe: { ...config.raft?.unsafe, ...raft.unsafe } }, localReads: !effective.readIndex };
}
