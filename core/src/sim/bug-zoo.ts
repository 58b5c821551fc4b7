/**
 * The bug zoo: every unsafe option of the core (config.ts), the rule it breaks, and how the fuzzer
 * catches it: the node count and fault mix that expose it, and the seeds among which a run must
 * fail. core/test/bug-zoo.test.ts runs exactly those seeds with the option on (one must fail, in the
 * way the bug breaks things) and off (all must pass); `npm run fuzz -- --unsafe <name>` searches
 * from seed 1 and says how many seeds it took. Each option's scripted demonstration is in
 * scenarios/bug-zoo.ts. A record keyed by option, so a new option does not compile without its entry.
 */
import type { UnsafeOptions } from '../config';
import type { FailureKind, FuzzOptions } from './fuzz';

export type BugName = keyof UnsafeOptions;

/** Node count and settings over runFuzz's defaults. */
export type BugMix = { nodes: number } & Partial<Pick<FuzzOptions, 'faultWeights' | 'cluster' | 'failovers' | 'faultIntervalMs'>>;

export interface ZooBug {
  name: BugName;
  /** The rule it breaks. */
  rule: string;
  /** What goes wrong when it bites, in a sentence. */
  effect: string;
  /** How a failing run reports it (any of these). */
  caughtAs: readonly FailureKind[];
  /** Why the mix differs from the defaults, when it does. */
  mixNote: string | null;
  fuzz: BugMix;
  /**
   * Seeds [first, last] (with `fuzz`) among which a run must fail, and every one pass with the
   * option off: from 1 to the first failing seed when that is within the first 30, else the 10
   * seeds ending at it (to keep the test short). Null when the fuzzer does not reach the bug within
   * 1000 seeds: then `mixNote` says why, and its scripted demonstration is what catches it.
   */
  seeds: readonly [number, number] | null;
}

/** Classic Raft as in the paper: no PreVote, no CheckQuorum (their lease hides some bugs, or their effect). */
const classicRaft = { preVote: false, checkQuorum: false } as const;

const zoo: { [K in BugName]-?: Omit<ZooBug, 'name'> } = {
  commitOldTermByCount: {
    rule: 'a leader commits only entries of its own term by counting replicas (5.4.2, Figure 8)',
    effect: 'a leader commits an old-term entry that a later leader, whose log ends in a newer term, overwrites',
    caughtAs: ['safety'],
    mixNote: 'five nodes of classic Raft without the new leader\'s no-op (leaderNoop off: the no-op of its own term is what lets a new leader commit old entries safely at once, and it follows them within a round trip, which hides the bug), one entry per AppendEntries, new leaders isolated at once, and no failover check (without PreVote a restarted node deposes a new leader, which that check would report first)',
    fuzz: {
      nodes: 5,
      cluster: { raft: { ...classicRaft, entriesPerMessageMax: 1, leaderNoop: false } },
      failovers: 0,
      faultWeights: { isolateNewLeader: 8, crashLeader: 4, loss: 3, restart: 6, heal: 6, pause: 6, reconfigureOnElection: 0 },
    },
    seeds: [531, 540],
  },
  skipVoteLogCheck: {
    rule: 'a vote goes only to a candidate whose log is at least as up-to-date (5.4.1)',
    effect: 'a leader is elected without entries that were committed, and overwrites them',
    caughtAs: ['safety', 'linearizability'],
    mixNote: null,
    fuzz: { nodes: 3 },
    seeds: [1, 2],
  },
  readWithoutQuorumCheck: {
    rule: 'a ReadIndex read waits for a heartbeat round that proves the leader still leads (thesis 6.4)',
    effect: 'a deposed leader that has not noticed yet answers reads with old values',
    caughtAs: ['linearizability'],
    mixNote: 'CheckQuorum off: with it a cut-off leader steps down before a new one can be elected, which hides the bug',
    fuzz: { nodes: 3, cluster: { raft: { checkQuorum: false } }, faultWeights: { isolate: 5, partition: 5 } },
    seeds: [14, 23],
  },
  truncateMatchingEntries: {
    rule: 'a follower truncates its log only at the first entry that conflicts with the leader\'s (Figure 2, AppendEntries step 3)',
    effect: 'a delayed or duplicated AppendEntries deletes entries the leader already counted, and a committed entry is lost',
    caughtAs: ['safety', 'linearizability', 'progress'],
    mixNote: null,
    fuzz: { nodes: 3 },
    seeds: [1, 4],
  },
  commitPastLastNewEntry: {
    rule: 'a follower commits up to min(leaderCommit, index of the last new entry) (Figure 2, AppendEntries step 5)',
    effect: 'a follower commits and applies an old leader\'s entries that follow the ones the leader checked',
    caughtAs: ['safety'],
    mixNote: 'one entry per AppendEntries, more message loss and leader crashes: the old tail must outlive an append that ends before it',
    fuzz: { nodes: 3, cluster: { raft: { entriesPerMessageMax: 1 } }, faultWeights: { loss: 8, crashLeader: 4 } },
    seeds: [13, 22],
  },
  acceptStaleTermAppends: {
    rule: 'a follower rejects AppendEntries from an older term (Figure 2, AppendEntries step 1)',
    effect: 'a deposed leader overwrites entries that the new leader committed',
    caughtAs: ['safety', 'linearizability'],
    mixNote: 'classic Raft, heartbeats every 6 ticks, many leader crashes and long reordering that never calms down: an append from a leader that just crashed must arrive after the new leader\'s first entry and before the follower hears it is committed',
    fuzz: {
      nodes: 3,
      cluster: { raft: { ...classicRaft, heartbeatTicks: 6 } },
      faultWeights: { crashLeader: 8, reorder: 8, calm: 0, loss: 4 },
    },
    seeds: [171, 180],
  },
  matchFromNextIndex: {
    rule: 'matchIndex comes from the entries the acknowledged AppendEntries carried (Figure 2, rules for leaders)',
    effect: 'the leader counts entries still in flight and commits entries that are not on a majority',
    caughtAs: ['safety', 'linearizability', 'progress'],
    mixNote: null,
    fuzz: { nodes: 3 },
    seeds: [1, 1],
  },
  snapshotDiscardsLog: {
    rule: 'a follower that already holds a snapshot\'s last entry keeps the entries after it (Figure 13, step 6)',
    effect: 'a follower drops entries the leader counted as replicated; the leader never sends them again',
    caughtAs: ['safety', 'progress'],
    mixNote: 'a snapshot every 3 entries and followers paused often: a paused follower wakes up to the appends and then the snapshot its leader sent meanwhile, and answers the appends first',
    fuzz: { nodes: 3, cluster: { snapshotThreshold: 3 }, faultWeights: { pause: 8 } },
    seeds: [5, 14],
  },
  voteBeforePersist: {
    rule: 'the term and vote are on stable storage before a vote is answered (Figure 2, persistent state)',
    effect: 'a node that crashes right after voting forgets the vote and votes again in the same term: two leaders',
    caughtAs: ['safety'],
    mixNote: 'five nodes, voters crashed right after they vote (a failpoint) and restarted soon, and partitions',
    fuzz: { nodes: 5, faultWeights: { crashAfterVote: 10, restart: 10, partition: 6, crashLeader: 4 } },
    seeds: [3, 12],
  },
  ackAppendBeforePersist: {
    rule: 'a follower acknowledges entries only once they are on stable storage (Figure 2, persistent state)',
    effect: 'a follower that crashes right after acknowledging loses entries the leader counted, and a committed entry is lost',
    caughtAs: ['safety', 'linearizability', 'progress'],
    mixNote: 'followers crashed right after they accept entries (a failpoint), and more leader crashes',
    fuzz: { nodes: 3, faultWeights: { crashAfterAppend: 6, crashLeader: 4 } },
    seeds: [1, 1],
  },
  readBeforeApplied: {
    rule: 'a read is served only once the node has applied up to the read index (thesis 6.4, step 4)',
    effect: 'a follower whose state machine lags answers with a value older than an acknowledged write',
    caughtAs: ['linearizability'],
    mixNote: null,
    fuzz: { nodes: 3 },
    seeds: [22, 31],
  },
  keepElectionTimerOnVote: {
    rule: 'granting a vote restarts the election timer (Figure 2, rules for followers)',
    effect: 'a voter starts an election right after voting and deposes the leader it just elected',
    caughtAs: ['progress'],
    mixNote: 'five leader crashes after healing instead of one: each is an election in a calm network, which must give a stable leader',
    fuzz: { nodes: 3, failovers: 5 },
    seeds: [25, 34],
  },
  configChangeBeforeOwnTermCommit: {
    rule: 'a leader starts a membership change only once it has committed an entry of its own term (Ongaro, 2015)',
    effect: 'two single-server changes proposed in different terms commit with majorities that do not overlap: two leaders in one term',
    caughtAs: ['safety', 'progress'],
    mixNote: 'four voters of classic Raft without the new leader\'s no-op (so a new leader has not committed in its term for a while), servers added and promoted often, and every new leader changing the voters at once (a failpoint): the fuzzer sees the cluster split between two configurations that both committed, whose nodes never agree again (the scripted run shows the two leaders of one term)',
    fuzz: {
      nodes: 4,
      cluster: { raft: { ...classicRaft, leaderNoop: false } },
      failovers: 0,
      faultWeights: { addServer: 8, removeServer: 4, promote: 8, reconfigureOnElection: 10, crashLeader: 8, isolate: 4, restart: 6, heal: 6, partition: 4 },
    },
    seeds: [85, 94],
  },
};

export const bugZoo: readonly ZooBug[] = Object.entries(zoo).map(([name, bug]) => ({ name: name as BugName, ...bug }));

export const bugNames: readonly BugName[] = bugZoo.map((b) => b.name);

export function zooBug(name: string): ZooBug | undefined {
  return bugZoo.find((b) => b.name === name);
}

/** runFuzz's input for one seed of a bug's mix, with the bug on or off. */
export function zooFuzzOptions(bug: ZooBug, seed: number, on: boolean): Pick<FuzzOptions, 'seed' | 'nodes'> & Partial<FuzzOptions> {
  const { nodes, ...mix } = bug.fuzz;
  return { seed, nodes, ...mix, unsafe: on ? { [bug.name]: true } : {} };
}
