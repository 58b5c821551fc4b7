/**
 * Runs a shared run (a link's, or a scenario file's) from its setup to its moment, checking what it
 * expects on the way: the one runner the page and the tests use, so a file's verdict is the same
 * everywhere.
 */
import type { Expectation, ExpectationResult, SharedRun } from './protocol';
import { Run } from './run';
import { playgroundSimConfig } from './sim-config';
import { displayRoleOf } from './snapshot';
import { Timeline } from './timeline';

/** Checks one expectation against the run as it is now. */
export function evaluate(e: Expectation, run: Run): ExpectationResult {
  const sim = run.sim;
  const result = (ok: boolean, actual: string): ExpectationResult => ({ expectation: e, ok, actual });
  // A node an `addNode` of the script starts may not be there yet (or ever, in an edited file).
  if ('node' in e && e.node !== null && e.check !== 'leader' && !sim.nodeIds.includes(e.node)) return result(false, `there is no ${e.node} at this moment`);
  switch (e.check) {
    case 'leader': {
      const leader = sim.leader();
      return result(leader === e.node, leader ? `${leader} leads` : 'no leader');
    }
    case 'role': {
      const role = displayRoleOf(sim.view(e.node).role);
      return result(role === e.role, `${e.node} is ${role}`);
    }
    case 'term': {
      const term = sim.view(e.node).term;
      return result(term === e.term, `${e.node} is in term ${term}`);
    }
    case 'commitIndexAtLeast': {
      const commit = sim.view(e.node).commitIndex;
      return result(commit >= e.index, `${e.node}'s commit index is ${commit}`);
    }
    case 'value': {
      const node = sim.node(e.node);
      const value = node.up ? node.kv.get(e.key) ?? null : null;
      return result(node.up && value === e.value, node.up ? `${e.node} has ${e.key}=${value ?? '(none)'}` : `${e.node} is down`);
    }
    case 'safety': {
      const violated = [...new Set(sim.violations.map((v) => v.property))].sort();
      return result(JSON.stringify(violated) === JSON.stringify(e.violated), violated.length ? `violated: ${violated.join(', ')}` : 'no violation');
    }
    case 'stateHash': {
      const hash = sim.stateHash();
      return result(hash === e.hash, `state hash ${hash}`);
    }
  }
}

export interface Replayed {
  run: Run;
  timeline: Timeline;
  results: ExpectationResult[];
  verdict: 'pass' | 'fail' | 'replayed';
}

/** Where a shared run stops: its moment, or its last action and last check. */
export function stopTime(shared: SharedRun): number {
  if (shared.at !== undefined) return shared.at;
  return Math.max(0, ...shared.script.map((e) => e.at), ...(shared.expect ?? []).map((e) => e.at));
}

/**
 * Runs a shared run from its setup to its moment, checking each expectation at its time. The
 * timeline takes a checkpoint every half second of simulated time, so the page can scrub back.
 */
export function replayShared(shared: SharedRun): Replayed {
  const run = new Run(shared.setup, playgroundSimConfig(shared.setup));
  const timeline = new Timeline(run, undefined, [...shared.script]);
  const checkpointClock = () => run.now * 1000;
  const checks = [...(shared.expect ?? [])].sort((a, b) => a.at - b.at);
  const end = Math.max(stopTime(shared), ...checks.map((e) => e.at));
  const results: ExpectationResult[] = [];
  let next = 0;
  for (let t = Math.min(500, end); ; t = Math.min(t + 500, end)) {
    while (next < checks.length && checks[next]!.at <= t) {
      run.advance(checks[next]!.at);
      results.push(evaluate(checks[next]!, run));
      next++;
    }
    run.advance(t);
    timeline.record(run, checkpointClock);
    if (t >= end) break;
  }
  const verdict = checks.length === 0 ? 'replayed' : results.every((r) => r.ok) ? 'pass' : 'fail';
  return { run, timeline, results, verdict };
}

