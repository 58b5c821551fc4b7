/**
 * The verdicts the engine keeps on a run: the safety panel (each property of Figure 3, plus
 * commit monotonicity and apply order, from the simulator's invariant checker), the client
 * history's linearizability, and the challenges, which the engine verifies from what happens in
 * the run, never from a script.
 */
import { checkLinearizability } from '@raft-kv/core/check';
import type { Simulation, TimedEvent } from '@raft-kv/core/sim';
import type { ChallengeView, LinearizabilityView, SafetyProperty, ScriptEntry } from './protocol';
import type { Run } from './run';

// ---- the safety panel ---------------------------------------------------------------------------------

const properties: Omit<SafetyProperty, 'violations'>[] = [
  { id: 'election_safety', title: 'Election safety', rule: 'At most one leader per term.' },
  { id: 'log_matching', title: 'Log matching', rule: 'Two logs with an entry of the same index and term agree on it and on everything before it.' },
  { id: 'leader_completeness', title: 'Leader completeness', rule: 'A leader holds every entry committed in earlier terms.' },
  { id: 'state_machine_safety', title: 'State machine safety', rule: 'No two nodes commit or apply different entries at one index; a committed entry is never replaced.' },
  { id: 'commit_regressed', title: 'Commit monotonicity', rule: 'A node\'s commit index never goes back (within one run of the node).' },
  { id: 'apply_order', title: 'Apply order', rule: 'A node applies committed entries once each, in index order.' },
];

export function safetyPanel(sim: Simulation): SafetyProperty[] {
  const violations = sim.violations;
  return properties.map((p) => ({ ...p, violations: violations.flatMap((v, i) => (v.property === p.id ? [i] : [])) }));
}

// ---- linearizability ----------------------------------------------------------------------------------

/** The check reads the whole history; it waits at least this long, and 10 times its last duration. */
const linearizabilityEveryRealMs = 1000;
const linearizabilityStepBudgetPerKey = 200_000;

export class LinearizabilityWatch {
  view: LinearizabilityView = { verdict: 'empty', ops: 0, explanation: null };
  private checkedAtReal = -Infinity;
  private costMs = 0;

  reset(): void {
    this.view = { verdict: 'empty', ops: 0, explanation: null };
    this.checkedAtReal = -Infinity;
  }

  /** Checks again if the history grew and enough real time passed; `force` checks now. */
  update(sim: Simulation, realNow: () => number, force = false): LinearizabilityView {
    const history = sim.history;
    if (history.length === this.view.ops && this.view.verdict !== 'empty' && !force) return this.view;
    if (history.length === 0) return (this.view = { verdict: 'empty', ops: 0, explanation: null });
    const real = realNow();
    if (!force && real - this.checkedAtReal < Math.max(linearizabilityEveryRealMs, 10 * this.costMs)) return this.view;
    this.checkedAtReal = real;
    const result = checkLinearizability(history, { stepBudgetPerKey: linearizabilityStepBudgetPerKey });
    this.costMs = realNow() - real;
    const explanation = result.failure?.explanation ?? (result.unknownKeys.length ? `search budget exceeded for ${result.unknownKeys.join(', ')}` : null);
    return (this.view = { verdict: result.verdict, ops: history.length, explanation });
  }
}

// ---- challenges ---------------------------------------------------------------------------------------

interface ChallengeDef {
  id: string;
  title: string;
  hint: string;
}

export const challengeDefs: readonly ChallengeDef[] = [
  {
    id: 'second-leader',
    title: 'Get a second leader elected without crashing anyone',
    hint: 'Leaders are replaced when followers stop hearing them: cut links, isolate, or partition (no Kill).',
  },
  {
    id: 'split-vote',
    title: 'Cause a split vote: a term in which nobody wins',
    hint: 'Candidates split the votes when they time out together: kill the leader, then "Align" the election timers.',
  },
  {
    id: 'snapshot',
    title: 'Get a follower to need a snapshot',
    hint: 'The leader compacts its log every 50 applied entries: keep a follower away while clients write (background load helps).',
  },
  {
    id: 'lost-write',
    title: 'Make a committed write disappear',
    hint: 'Impossible with the safe rules. Turn the commit rule off and recreate Figure 8: crash leaders at the right moments.',
  },
  {
    id: 'stale-read',
    title: 'Get a stale read past the linearizability checker',
    hint: 'Impossible with ReadIndex. Turn it off, cut the leader away, write through the new one, read from the old one.',
  },
];

/**
 * Watches the learner's runs (every event, as it happens: the event log keeps only recent ones)
 * and marks each challenge done the first time a run achieves it. Done stays done for the visit;
 * guided runs are not watched (the scenario would do the work).
 */
export class ChallengeWatch {
  private readonly done = new Map<string, string>();
  private firstLeaderTerm: number | null = null;
  private candidates = new Map<number, Set<string>>();
  private leaderTerms = new Set<number>();
  private script: () => readonly ScriptEntry[] = () => [];
  private watching: Run | null = null;

  watch(run: Run, script: () => readonly ScriptEntry[]): void {
    this.watching = run;
    this.firstLeaderTerm = null;
    this.candidates = new Map();
    this.leaderTerms = new Set();
    this.script = script;
    run.sim.subscribe((e) => {
      if (this.watching === run) this.onEvent(e);
    });
  }

  /** A guided run is on screen: nothing counts until the learner's next run. */
  unwatch(): void {
    this.watching = null;
  }

  private achieve(id: string, how: string): void {
    if (!this.done.has(id)) this.done.set(id, how);
  }

  private onEvent({ at, event: e }: TimedEvent): void {
    const t = `${(at / 1000).toFixed(3)} s`;
    if (e.type === 'roleChanged' && e.to === 'leader') {
      this.leaderTerms.add(e.term);
      if (this.firstLeaderTerm === null) this.firstLeaderTerm = e.term;
      else if (e.term > this.firstLeaderTerm && !this.crashedAnyone()) this.achieve('second-leader', `${e.node} became leader of term ${e.term} at ${t}, and nobody was killed`);
    }
    if (e.type === 'roleChanged' && e.to === 'candidate') {
      // A later term starts: an earlier one with two candidates and no leader was a split vote.
      for (const [term, nodes] of this.candidates) {
        if (term < e.term && nodes.size >= 2 && !this.leaderTerms.has(term)) {
          this.achieve('split-vote', `${[...nodes].join(' and ')} split the votes of term ${term}: nobody won, and ${e.node} tried again in term ${e.term} (${t})`);
        }
      }
      const set = this.candidates.get(e.term) ?? new Set<string>();
      set.add(e.node);
      this.candidates.set(e.term, set);
    }
    if (e.type === 'snapshotSent') this.achieve('snapshot', `${e.node} sent ${e.to} a snapshot up to index ${e.index} at ${t}`);
    if (e.type === 'invariantViolated' && (e.property === 'state_machine_safety' || e.property === 'leader_completeness')) {
      this.achieve('lost-write', `the checker caught it at ${t}: ${e.message}`);
    }
  }

  /** A kill, or leadership handed over or the leader removed by request: the second leader would not be the network's doing. */
  private crashedAnyone(): boolean {
    return this.script().some((entry) => {
      if (entry.action.type !== 'sim') return false;
      const a = entry.action.action;
      return a.type === 'crash' || (a.type === 'client' && (a.request.op === 'transfer' || (a.request.op === 'config' && a.request.change?.type === 'remove')));
    });
  }

  /** The linearizability check runs apart from events: its verdict feeds the stale-read challenge. */
  noteLinearizability(view: LinearizabilityView): void {
    if (this.watching && view.verdict === 'not_linearizable') this.achieve('stale-read', `the checker rejected the history: ${view.explanation ?? 'not linearizable'}`);
  }

  views(): ChallengeView[] {
    return challengeDefs.map((c) => ({ ...c, achieved: this.done.has(c.id), how: this.done.get(c.id) ?? null }));
  }
}
