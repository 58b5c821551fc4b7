/**
 * Scenarios that need the simulator's fine control (the paper's figures, partial partitions,
 * unsafe options): scripted directly over a Simulation through a SimControl.
 */
import type { SimConfigInput } from '../sim/config';
import type { SimAction, Simulation } from '../sim/simulation';

/**
 * How a script moves a simulation: act on it and let simulated time pass. runFor/runUntil are
 * async so that a UI can advance the same script at its own pace and animate it.
 */
export interface SimControl {
  /** Read the world through it; change it only through act/runFor/runUntil. */
  readonly sim: Simulation;
  act(action: SimAction): number | undefined;
  runFor(ms: number): Promise<void>;
  /** Resolves true once done() holds, false if maxMs of simulated time passed first. */
  runUntil(done: () => boolean, maxMs: number): Promise<boolean>;
}

export interface SimScenarioContext extends SimControl {
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

/** Lets other script coroutines (concurrent clients) run before the simulation moves on. */
const yieldTurn = (): Promise<void> => Promise.resolve();

/** The plain control: runs the simulation as fast as it can (tests, fuzz). */
export function directControl(sim: Simulation): SimControl {
  return {
    sim,
    act: (action) => sim.act(action),
    runFor: async (ms) => {
      await yieldTurn();
      sim.runFor(ms);
    },
    runUntil: async (done, maxMs) => {
      await yieldTurn();
      return sim.runUntil(done, maxMs);
    },
  };
}

export function directContext(sim: Simulation, narrate: (text: string) => void = () => {}): SimScenarioContext {
  return { ...directControl(sim), narrate };
}
