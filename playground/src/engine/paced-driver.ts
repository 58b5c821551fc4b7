/**
 * The guided-run worlds: core's SimDriver (for A-H, P, S, K) and a SimScenarioContext (for the
 * paper's scenarios) over the page's simulation, with time passing through the Pacer, so a guided
 * run reaches the same verdict as the tests, at the learner's pace.
 */
import { SimDriver } from '@raft-kv/core/scenarios';
import type { SimControl, SimScenarioContext } from '@raft-kv/core/scenarios';
import type { SimAction, Simulation } from '@raft-kv/core/sim';
import type { Pacer } from './pacer';

/** What the drivers need from the engine: the current simulation and a way to act on it. */
export interface PacedWorld {
  readonly sim: Simulation;
  readonly pacer: Pacer;
  act(action: SimAction): number | undefined;
  /** A guided run may change the playback speed (Start here slows down when the election begins). */
  setSpeed?(speed: number): void;
}

export function pacedControl(world: PacedWorld): SimControl {
  return {
    get sim() {
      return world.sim;
    },
    act: (action) => world.act(action),
    runFor: async (ms) => {
      await world.pacer.wait(world.sim.now, world.sim.now + ms);
    },
    runUntil: (done, maxMs) => world.pacer.wait(world.sim.now, world.sim.now + maxMs, done),
  };
}

export const pacedDriver = (world: PacedWorld): SimDriver => new SimDriver(pacedControl(world));

export function pacedContext(world: PacedWorld, narrate: (text: string) => void): SimScenarioContext {
  const control = pacedControl(world);
  return {
    get sim() {
      return control.sim;
    },
    act: control.act,
    runFor: control.runFor,
    runUntil: control.runUntil,
    narrate,
  };
}
