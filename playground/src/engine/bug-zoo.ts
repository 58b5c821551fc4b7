/**
 * The bug zoo in the playground: core's unsafe options (core/src/sim/bug-zoo.ts: the rule each
 * breaks) with their scripted demonstrations (core/src/scenarios/bug-zoo.ts: one script run with the
 * bug on and with the rule kept), as the page lists them, and the verdict of the one on screen.
 */
import type { BugName } from '@raft-kv/core/sim';
import { bugZoo, zooBug } from '@raft-kv/core/sim';
import type { SimConfig, SimConfigInput } from '@raft-kv/core/sim';
import type { SimScenario } from '@raft-kv/core/scenarios';
import { bugZooScenarios } from '@raft-kv/core/scenarios';
import type { LinearizabilityView, ScenarioRun, ScenarioStatus, ZooEntryView, ZooVerdictView } from './protocol';

/** The option the commit-rule switch stands for: one setting with two switches on the page. */
export const commitRuleBug: BugName = 'commitOldTermByCount';

export const zooCatalog: readonly ZooEntryView[] = Object.freeze(bugZoo.map((b) => ({
  name: b.name, rule: b.rule, effect: b.effect, bugScenario: bugZooScenarios[b.name].bug.id, ruleScenario: bugZooScenarios[b.name].rule.id,
})));

/** Every demonstration, bug and rule runs, in the zoo's order. */
export const zooScenarios: readonly SimScenario[] = bugZoo.flatMap((b) => [bugZooScenarios[b.name].bug, bugZooScenarios[b.name].rule]);

/** Which option and which of its runs a guided scenario is, if it is one of the zoo's. */
export function zooRunOf(scenarioId: string): { entry: ZooEntryView; variant: 'bug' | 'rule' } | undefined {
  for (const entry of zooCatalog) {
    if (entry.bugScenario === scenarioId) return { entry, variant: 'bug' };
    if (entry.ruleScenario === scenarioId) return { entry, variant: 'rule' };
  }
  return undefined;
}

/** Keeps only names of real options, sorted and without repeats (links and files come from outside). */
export function knownBugs(names: readonly string[]): BugName[] {
  return [...new Set(names)].filter((n): n is BugName => zooBug(n) !== undefined).sort();
}

/** The unsafe options a simulation runs with. */
export function bugsOf(config: Pick<SimConfig, 'raft'> | SimConfigInput): BugName[] {
  const unsafe = config.raft?.unsafe ?? {};
  return knownBugs(Object.entries(unsafe).filter(([, on]) => on === true).map(([name]) => name));
}

/** The options as core's `unsafe` record. */
export function unsafeOf(bugs: readonly string[]): Partial<Record<BugName, true>> {
  return Object.fromEntries(knownBugs(bugs).map((name) => [name, true]));
}

/**
 * The verdict of the zoo run on screen: the bug's run passes when a checker caught what it broke
 * (the invariant checker, the linearizability checker, or, for a bug that only stops progress, the
 * script's own check); the rule's run passes when nothing went wrong. The rule's run failing with
 * the option on (the commit rule switched off before Figure 8) is the rule broken too; failing
 * with it off, it is some other protection switched off, and the scenario's own verdict says so.
 */
export function zooVerdict(
  run: ScenarioRun | null, status: Readonly<Record<string, ScenarioStatus>>, bugsOn: readonly string[], violations: number, lin: LinearizabilityView,
): ZooVerdictView | null {
  const found = run && zooRunOf(run.id);
  if (!found) return null;
  const { entry } = found;
  const s = status[run.id] ?? 'idle';
  const brokeIt = s === 'pass' ? found.variant === 'bug' : s === 'fail' && found.variant === 'rule' && bugsOn.includes(entry.name);
  if (s === 'fail' && found.variant === 'rule' && !brokeIt) return null;
  const caughtAs: ZooVerdictView['caughtAs'] = [];
  if (brokeIt) {
    if (violations > 0) caughtAs.push('safety');
    if (lin.verdict === 'not_linearizable') caughtAs.push('linearizability');
    if (caughtAs.length === 0) caughtAs.push('progress');
  }
  return { bug: entry.name, rule: entry.rule, variant: brokeIt ? 'bug' : found.variant, status: brokeIt ? 'pass' : s, caughtAs };
}

/** The sentence a finished zoo run adds to its narration when the script did not name the rule itself. */
export function zooClosingLine(scenarioId: string): string | null {
  const found = zooRunOf(scenarioId);
  if (!found) return null;
  return found.variant === 'bug' ? `The rule broken: ${found.entry.rule}.` : `The rule kept: ${found.entry.rule}.`;
}
