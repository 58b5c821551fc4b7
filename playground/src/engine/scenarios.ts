/**
 * The guided scenarios: core's A-H, persistence and kill-leader scripts (written once for every
 * world) and the simulator-only scenarios from the Raft paper. Each becomes a GuidedScenario: the
 * simulation it needs plus a run over the page's paced world.
 */
import type { Scenario, SimScenario } from '@raft-kv/core/scenarios';
import { allScenarios } from '@raft-kv/core/scenarios';
import type { SimConfigInput } from '@raft-kv/core/sim';
import { pacedContext, pacedDriver } from './paced-driver';
import type { PacedWorld } from './paced-driver';
import { guidedPaperScenarios, morePaperScenarios } from './paper-catalog';
import type { RunSetup, ScenarioInfo } from './protocol';
import { playgroundSimConfig } from './sim-config';

export interface GuidedScenario {
  info: ScenarioInfo;
  /** The simulation to build, from the page's setup (seed, unsafe toggle). */
  simConfig(setup: RunSetup): SimConfigInput;
  run(world: PacedWorld, narrate: (text: string) => void): Promise<void>;
}

const checklistIds = new Set(['A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'D1', 'E1', 'F1', 'F2', 'G1', 'H1']);

export function fromClusterScenario(s: Scenario): GuidedScenario {
  return {
    info: { id: s.id, title: s.title, summary: s.summary, group: checklistIds.has(s.id) ? 'checklist' : 'persistence' },
    simConfig: (setup) => {
      const config = playgroundSimConfig({ ...setup, nodeCount: s.cluster.nodes });
      return s.cluster.snapshotThreshold ? { ...config, snapshotThreshold: s.cluster.snapshotThreshold } : config;
    },
    run: (world, narrate) => s.run({ d: pacedDriver(world), narrate }),
  };
}

export function fromSimScenario(s: SimScenario, group: 'paper' | 'lab'): GuidedScenario {
  return {
    info: { id: s.id, title: s.title, summary: s.summary, group },
    simConfig: (setup) => {
      // The scenario's own settings win (a scripted figure may depend on its seed); the page's
      // unsafe toggle is added on top, so turning it on shows what the rule prevents.
      const base = playgroundSimConfig({ ...setup, nodeCount: s.sim.nodeCount ?? setup.nodeCount });
      const unsafe = { ...s.sim.raft?.unsafe, ...(setup.unsafeCommitOldTerm ? { commitOldTermByCount: true } : {}) };
      return { ...base, ...s.sim, seed: s.sim.seed ?? setup.seed, eventLogMax: base.eventLogMax, raft: { ...s.sim.raft, unsafe } };
    },
    run: (world, narrate) => s.run(pacedContext(world, narrate)),
  };
}

export const guidedScenarios: readonly GuidedScenario[] = [
  ...allScenarios.map(fromClusterScenario),
  ...guidedPaperScenarios.map((s) => fromSimScenario(s, 'paper')),
  ...morePaperScenarios.map((s) => fromSimScenario(s, 'lab')),
];

export function guidedScenario(id: string): GuidedScenario | undefined {
  return guidedScenarios.find((s) => s.info.id === id);
}
