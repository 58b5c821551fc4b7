/**
 * The bug zoo's demonstrations: for every unsafe option (sim/bug-zoo.ts has the rule each breaks
 * and how the fuzzer catches it), a scripted simulator run that shows the bug doing its damage
 * deterministically, and the same script with the rule in place. The playground can run `bug` as a
 * guided scenario when the option is switched on; each ends by naming the rule it broke.
 */
import type { BugName } from '../sim/bug-zoo';
import { bugNames } from '../sim/bug-zoo';
import type { BugScenarios } from './bug-zoo-script';
import { acceptStaleTermAppends, commitPastLastNewEntry, matchFromNextIndex, snapshotDiscardsLog, truncateMatchingEntries } from './bug-zoo-log';
import { ackAppendBeforePersist, keepElectionTimerOnVote, readBeforeApplied, skipVoteLogCheck, voteBeforePersist } from './bug-zoo-votes';
import { figure8Safe, figure8Unsafe } from './figure8';
import { ownTermRuleSafe, ownTermRuleUnsafe } from './membership';
import type { SimScenario } from './sim-scenario';
import { staleReadSafe, staleReadUnsafe } from './paper';

export type { BugScenarios } from './bug-zoo-script';

export const bugZooScenarios: { readonly [K in BugName]-?: BugScenarios } = {
  commitOldTermByCount: { bug: figure8Unsafe, rule: figure8Safe },
  skipVoteLogCheck,
  readWithoutQuorumCheck: { bug: staleReadUnsafe, rule: staleReadSafe },
  truncateMatchingEntries,
  commitPastLastNewEntry,
  acceptStaleTermAppends,
  matchFromNextIndex,
  snapshotDiscardsLog,
  voteBeforePersist,
  ackAppendBeforePersist,
  readBeforeApplied,
  keepElectionTimerOnVote,
  configChangeBeforeOwnTermCommit: { bug: ownTermRuleUnsafe, rule: ownTermRuleSafe },
};

/** The demonstrations with the bug on, in the zoo's order. */
export const bugDemonstrations: readonly SimScenario[] = bugNames.map((name) => bugZooScenarios[name].bug);
