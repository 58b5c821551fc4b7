/**
 * Scenarios that need the simulator's fine control (the paper's figures, partial partitions,
 * unsafe options): scripted directly over a Simulation. The context's runFor/runUntil are async
 * so a UI can advance the same script at its own pace and animate it.
 */
import type { SimConfigInput } from '../sim/config';
import type { SimAction, Simulation } from '../sim/simulation';

export interface SimScenarioContext {
  /** Read the world through it; change it only through act/runFor/runUntil. */
  sim: Simulation;
  act(action: SimAction): number | undefined;
  runFor(ms: number): Promise<void>;
  /** Resolves true once done() holds, false if maxMs of simulated time passed first. */
  runUntil(done: () => boolean, maxMs: number): Promise<boolean>;
  narrate(text: string): void;
}

export interface SimScenario {
  id: string;
  title: string;
  summary: string;
  /** The simulation to build for it (node count, network, unsafe options...). */
  sim: SimConfigInput;
  /** Resolves on pass; throws ScenarioFailure on fail. */
  run(ctx: SimScenarioContext): Promise<void>;
}

/** The plain context: runs the simulation as fast as it can (tests, fuzz). */
export function directContext(sim: Simulation, narrate: (text: string) => void = () => {}): SimScenarioContext {
  return {
    sim,
    act: (action) => sim.act(action),
    runFor: async (ms) => sim.runFor(ms),
    runUntil: async (done, maxMs) => sim.runUntil(done, maxMs),
    narrate,
  };
}
