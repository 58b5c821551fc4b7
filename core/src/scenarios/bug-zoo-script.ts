/**
 * How a bug-zoo scenario is written: one script, run with the unsafe option on (the bug: it passes
 * when the checkers catch what goes wrong) and off (the rule in place: it passes when nothing does).
 */
import { checkLinearizability } from '../check/linearizability';
import type { BugName } from '../sim/bug-zoo';
import { zooBug } from '../sim/bug-zoo';
import type { SimConfigInput } from '../sim/config';
import type { Violation } from '../sim/invariants';
import { check } from './helpers';
import type { SimScenario, SimScenarioContext } from './sim-scenario';
import { checkNoViolations } from './sim-helpers';

export interface BugScript {
  /** What the run shows, with the bug on; the rule's name is added with it off. */
  title: string;
  /** The story, with the bug on. */
  summary: string;
  /** The simulation (the unsafe option is added on top when the bug is on). */
  sim: SimConfigInput;
  /** `bug` says whether the option is on. It ends by calling caught() or kept(). */
  run(ctx: SimScenarioContext, bug: boolean): Promise<void>;
}

export interface BugScenarios {
  /** The script with the bug on: passes when the checkers catch it. */
  bug: SimScenario;
  /** The same script with the rule in place: passes when nothing goes wrong. */
  rule: SimScenario;
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function bugScenarios(name: BugName, script: BugScript): BugScenarios {
  const rule = zooBug(name)!.rule;
  const build = (bug: boolean): SimScenario => ({
    id: `bug-${kebab(name)}${bug ? '' : '-off'}`,
    title: bug ? `Bug: ${script.title}` : `The rule kept: ${rule}`,
    summary: bug
      ? `${script.summary} The rule it breaks: ${rule}.`
      : `The same script with the rule in place (${rule}): nothing goes wrong.`,
    sim: { ...script.sim, raft: { ...script.sim.raft, unsafe: bug ? { [name]: true } : {} } },
    run: (ctx) => script.run(ctx, bug),
  });
  return { bug: build(true), rule: build(false) };
}

/** The bug run's end: the checker (or the history) caught it; says which rule was broken. */
export function caught(ctx: SimScenarioContext, name: BugName, what: string): void {
  ctx.narrate(`Caught: ${what}. The rule broken: ${zooBug(name)!.rule}.`);
}

/** The first invariant violation of one of `properties`, or a scenario failure. */
export function violationOf(ctx: SimScenarioContext, properties: readonly Violation['property'][]): Violation {
  const found = ctx.sim.violations.find((v) => properties.includes(v.property));
  check(found !== undefined, `expected the invariant checker to report ${properties.join(' or ')}; it reported ${ctx.sim.violations.map((v) => v.property).join(', ') || 'nothing'}`);
  return found;
}

/** Checks that the client history is not linearizable; returns the checker's explanation. */
export function historyBroken(ctx: SimScenarioContext): string {
  const verdict = checkLinearizability(ctx.sim.history);
  check(verdict.verdict === 'not_linearizable', `expected the linearizability checker to reject the history; it says ${verdict.verdict}`);
  return (verdict.failure?.explanation.split('\n')[0] ?? 'not linearizable').replace(/\.+$/, '');
}

/** The rule run's end: no invariant violated and a linearizable history. */
export function kept(ctx: SimScenarioContext, story: string): void {
  checkNoViolations(ctx);
  const verdict = checkLinearizability(ctx.sim.history);
  check(verdict.verdict === 'linearizable', `history not linearizable: ${verdict.failure?.explanation ?? verdict.verdict}`);
  ctx.narrate(story);
}
