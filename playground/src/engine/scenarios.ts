/**
 * The guided scenarios: a first run for newcomers ("Start here"), core's A-H, persistence and
 * kill-leader scripts (written once for every world), the simulator-only scenarios from the Raft
 * paper, and one scenario per protocol rule that passes with the rule and fails without it. Each
 * becomes a GuidedScenario: the simulation it needs plus a run over the page's paced world.
 *
 * They stay TypeScript (a scenario file holds actions at fixed times, see scenario-file.ts): each
 * of them waits for conditions ("until a leader is elected") and picks its targets from the state
 * it finds ("kill whoever leads"), which fixed times cannot express.
 */
import type { Scenario, SimScenario } from '@raft-kv/core/scenarios';
import { allScenarios, membershipScenarios, protocolScenarios } from '@raft-kv/core/scenarios';
import type { SimConfigInput } from '@raft-kv/core/sim';
import { zooClosingLine, zooScenarios } from './bug-zoo';
import { pacedContext, pacedDriver } from './paced-driver';
import type { PacedWorld } from './paced-driver';
import { guidedPaperScenarios, morePaperScenarios } from './paper-catalog';
import type { ProtocolName, RunSetup, ScenarioInfo } from './protocol';
import { toggleScenario } from './scenario-ids';
import { playgroundSimConfig, withRulesOff } from './sim-config';
import { startHere } from './start-here';

export interface GuidedScenario {
  info: ScenarioInfo;
  /** The simulation to build, from the page's setup (seed, node count, the rules switched off). */
  simConfig(setup: RunSetup): SimConfigInput;
  run(world: PacedWorld, narrate: (text: string) => void): Promise<void>;
}

const toggleOf = (id: string): ProtocolName | undefined => (Object.keys(toggleScenario) as ProtocolName[]).find((name) => toggleScenario[name] === id);

/** A guided run starts without the page's background load and message loss: the script decides. */
const quiet = (setup: RunSetup): RunSetup => ({ ...setup, loadOpsPerSec: 0, lossRate: 0 });

const checklistIds = new Set(['A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'D1', 'E1', 'F1', 'F2', 'G1', 'H1']);

export function fromClusterScenario(s: Scenario): GuidedScenario {
  return {
    info: { id: s.id, title: s.title, summary: s.summary, group: checklistIds.has(s.id) ? 'checklist' : 'persistence' },
    simConfig: (setup) => {
      const config = playgroundSimConfig({ ...quiet(setup), nodeCount: s.cluster.nodes });
      return s.cluster.snapshotThreshold ? { ...config, snapshotThreshold: s.cluster.snapshotThreshold } : config;
    },
    run: (world, narrate) => s.run({ d: pacedDriver(world), narrate }),
  };
}

export function fromSimScenario(s: SimScenario, group: ScenarioInfo['group']): GuidedScenario {
  const toggle = toggleOf(s.id);
  return {
    info: { id: s.id, title: s.title, summary: s.summary, group, ...(toggle ? { toggle } : {}) },
    simConfig: (setup) => {
      // The scenario's own settings win (a scripted figure may depend on its seed); the rules the
      // learner switched off are switched off on top, so running it shows what the rule prevents.
      const base = playgroundSimConfig({ ...quiet(setup), nodeCount: s.sim.nodeCount ?? setup.nodeCount });
      const own = { ...base, ...s.sim, seed: s.sim.seed ?? setup.seed, eventLogMax: base.eventLogMax, network: { ...base.network, ...s.sim.network } };
      return withRulesOff({ ...own, raft: { ...s.sim.raft }, localReads: s.sim.localReads ?? false }, setup.protocol, setup.bugs);
    },
    run: (world, narrate) => s.run(pacedContext(world, narrate)),
  };
}

/**
 * A bug-zoo run ends by naming its rule, broken or kept, in the narration and so in the feed (most
 * scripts name it themselves; the others get the line here).
 */
function namingTheRule(g: GuidedScenario): GuidedScenario {
  const closing = zooClosingLine(g.info.id);
  if (!closing) return g;
  return {
    ...g,
    async run(world, narrate) {
      let named = false;
      const rule = closing.slice(closing.indexOf(':') + 2, -1);
      await g.run(world, (text) => {
        named ||= text.includes(rule);
        narrate(text);
      });
      if (!named) narrate(closing);
    },
  };
}

const listed = [
  startHere,
  ...allScenarios.map(fromClusterScenario),
  ...guidedPaperScenarios.map((s) => fromSimScenario(s, 'paper')),
  ...protocolScenarios.map((s) => fromSimScenario(s, 'protocol')),
  ...morePaperScenarios.map((s) => fromSimScenario(s, 'lab')),
  ...membershipScenarios.map((s) => fromSimScenario(s, 'membership')),
];
const listedIds = new Set(listed.map((s) => s.info.id));

/** Every guided run, once each: the zoo's demonstrations that are not listed elsewhere already (Figure 8 is) come last. */
export const guidedScenarios: readonly GuidedScenario[] = [
  ...listed,
  ...zooScenarios.filter((s) => !listedIds.has(s.id)).map((s) => fromSimScenario(s, 'zoo')),
].map(namingTheRule);

export function guidedScenario(id: string): GuidedScenario | undefined {
  return guidedScenarios.find((s) => s.info.id === id);
}
