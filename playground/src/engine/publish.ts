/**
 * Publishing: turns the engine's state into the plain snapshot the page draws, at most one at a
 * time (the page acknowledges each before the next goes, so a busy page never works through a
 * backlog of stale ones).
 */
import type { InFlightMessage } from '@raft-kv/core/sim';
import { clientViews } from './clients';
import { messageStory } from './explain';
import type { Feed, ScenarioNote } from './feed';
import type {
  BranchView, ChallengeView, LinearizabilityView, LoadedRun, MarkView, PseudocodeView, ScenarioRun, ScenarioStatus, ScriptEntry, SimSnapshot,
} from './protocol';
import type { Run } from './run';
import { bugsOf, zooCatalog, zooVerdict } from './bug-zoo';
import { safetyPanel } from './checks';
import { guidedScenarios } from './scenarios';
import { protocolOf } from './sim-config';
import { lastIndexOfAll, logWindow, messageView, nodeSnapshot, withMembership } from './snapshot';
import type { Timeline } from './timeline';
import { describeAction } from './script';

const clientRequestsShown = 12;

export interface PublishInput {
  run: Run;
  timeline: Timeline;
  playing: boolean;
  speed: number;
  feed: Feed;
  notes: readonly ScenarioNote[];
  verbose: boolean;
  linearizability: LinearizabilityView;
  challenges: ChallengeView[];
  scenarioStatus: Record<string, ScenarioStatus>;
  scenarioRun: ScenarioRun | null;
  inspected: InFlightMessage | null;
  /** The pseudocode view's content (engine/pseudocode.ts). */
  pseudocode: PseudocodeView | null;
  logLo: number | null;
  loaded: LoadedRun | null;
}

function branchViews(timeline: Timeline): BranchView[] {
  return timeline.branches.map((b) => ({
    id: b.id, name: b.name, forkAt: b.forkAt, horizon: b.horizon, actions: b.script.length, current: b === timeline.current,
  }));
}

function marks(script: readonly ScriptEntry[]): MarkView[] {
  return script.map((e) => ({ at: e.at, label: describeAction(e.action) }));
}

export function buildSnapshot(seq: number, p: PublishInput): SimSnapshot {
  const { run, timeline } = p;
  const sim = run.sim;
  const window = logWindow(sim, p.logLo);
  const script = timeline.current.script;
  const bugs = bugsOf(sim.config);
  return {
    seq,
    setup: { ...run.setup, protocol: { ...run.setup.protocol } },
    clock: {
      now: sim.now,
      steps: sim.steps,
      playing: p.playing,
      speed: p.speed,
      horizon: Math.max(timeline.horizon, sim.now),
      inPast: timeline.isInPast(run),
    },
    nodes: withMembership(sim, sim.nodeIds.map((id) => nodeSnapshot(sim, id, window))),
    cutLinks: [...sim.network.cutLinks].sort(),
    network: { ...sim.network.config },
    messages: sim.inFlight().map(messageView),
    logWindow: window,
    feed: p.feed.build(sim.eventLog, p.notes, p.verbose),
    verboseFeed: p.verbose,
    violations: sim.violations.map((v) => ({ at: v.at, node: v.node, property: v.property, message: v.message })),
    linearizability: p.linearizability,
    client: clientViews(run.state.clients, sim, clientRequestsShown),
    loadOpsPerSec: run.loadOpsPerSec,
    scenarios: guidedScenarios.map((s) => s.info),
    scenarioStatus: { ...p.scenarioStatus },
    scenarioRun: p.scenarioRun,
    lab: {
      stateHash: sim.stateHash(),
      protocol: protocolOf(sim.config),
      bugs,
      zoo: zooCatalog,
      zooVerdict: zooVerdict(p.scenarioRun, p.scenarioStatus, bugs, sim.violations.length, p.linearizability),
      branches: branchViews(timeline),
      marks: marks(script),
      safety: safetyPanel(sim),
      challenges: p.challenges,
      story: p.inspected ? messageStory(p.inspected, sim) : null,
      pseudocode: p.pseudocode,
      script: script.slice(0, run.state.applied),
      loaded: p.loaded,
      logRange: { first: 1, last: lastIndexOfAll(sim) },
      followLog: p.logLo === null,
    },
  };
}
