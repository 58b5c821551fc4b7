/**
 * A run: the simulation, the script of actions it replays, and what the engine derives from it
 * (the panel's clients retrying, the background load). Everything that changes the world happens
 * in `microStep`, one thing at a time, in an order that depends only on the run itself:
 *
 *   - a script entry is applied once the simulation has taken its recorded number of steps, at its
 *     recorded time;
 *   - every `gridMs` of simulated time (the "grid") the clients and the load generator take a turn;
 *   - otherwise the simulation runs its next task.
 *
 * How fast the page plays, where its frames stop, and whether it got there by time travel never
 * changes what happens: a link or a scenario file opened elsewhere reaches the same state hash.
 */
import type { SimCheckpoint, SimConfigInput } from '@raft-kv/core/sim';
import { Simulation, cloneState } from '@raft-kv/core/sim';
import { assert } from '@raft-kv/core';
import type { ClientsState } from './clients';
import { emptyClients, startRequest, tickClients } from './clients';
import type { LearnerAction, RunSetup, ScriptEntry } from './protocol';

/** How often (simulated ms) the clients and the load generator act. */
export const gridMs = 10;
/** The background load cycles over this many keys: three writes, then a read. */
const loadKeys = 8;
/** Load operations one grid turn may send (a rate above 1 per grid catches up over several turns). */
const loadPerTurnMax = 4;

export interface LoadState {
  opsPerSec: number;
  /** The last load slot sent (slot k is due at k * 1000 / opsPerSec ms). */
  lastSlot: number;
}

/** What the engine keeps besides the simulation: plain data, copied into every checkpoint. */
export interface RunState {
  /** Script entries applied so far. */
  applied: number;
  /** Micro-steps taken so far: a position in the run that orders every change (step back uses it). */
  micro: number;
  /** Grid turns taken so far (the next is at (gridDone + 1) * gridMs). */
  gridDone: number;
  load: LoadState;
  clients: ClientsState;
}

export interface RunCheckpoint {
  readonly at: number;
  readonly steps: number;
  readonly micro: number;
  readonly sim: SimCheckpoint;
  readonly state: RunState;
}

const slotOf = (now: number, opsPerSec: number): number => (opsPerSec > 0 ? Math.floor((now * opsPerSec) / 1000 + 1e-9) : 0);

export class Run {
  readonly sim: Simulation;
  readonly setup: RunSetup;
  state: RunState;
  /** The script being replayed and extended: the current branch's (the timeline owns it). */
  script: readonly ScriptEntry[] = [];
  /** Events recorded so far (never rewound): "something visible happened" when it moves. */
  events = 0;

  constructor(setup: RunSetup, config: SimConfigInput) {
    this.setup = setup;
    // The pseudocode view reads the core's decision traces; tracing changes no decision (same state hash).
    this.sim = new Simulation({ ...config, raft: { ...config.raft, traceDecisions: true } });
    this.state = { applied: 0, micro: 0, gridDone: 0, load: { opsPerSec: Math.max(0, setup.loadOpsPerSec), lastSlot: 0 }, clients: emptyClients() };
    this.sim.subscribe(() => this.events++);
  }

  get now(): number {
    return this.sim.now;
  }

  /** The next script entry not applied yet. */
  pending(): ScriptEntry | undefined {
    return this.script[this.state.applied];
  }

  private nextGridAt(): number {
    return (this.state.gridDone + 1) * gridMs;
  }

  /** When the next micro-step happens. */
  nextAt(): number {
    const grid = this.nextGridAt();
    const entry = this.pending();
    if (entry && this.sim.steps >= entry.step) return Math.min(grid, Math.max(entry.at, this.sim.now));
    return Math.min(grid, this.sim.nextEventTime() ?? Infinity);
  }

  /** One thing happens: a due script entry, a grid turn, or the simulation's next task. */
  microStep(): void {
    const sim = this.sim;
    const grid = this.nextGridAt();
    const entry = this.pending();
    const entryDue = entry !== undefined && sim.steps >= entry.step;
    if (entryDue && entry.at < grid) {
      // Only the clock moves: the step count says every task due by then ran before the entry was
      // first applied. When the learner acted at a task it had stepped to, the clock is already
      // there, and tasks due at that same instant still wait, as they did then: so the clock is
      // run only when the entry is later (running it to `now` would run those tasks first).
      if (entry.at > sim.now) sim.runUntilTime(entry.at);
      this.applyEntry(entry);
      return;
    }
    this.state.micro++;
    const task = sim.nextEventTime();
    if (!entryDue && task !== undefined && task <= grid) {
      sim.step();
      return;
    }
    this.gridTurn(grid);
  }

  /**
   * Runs until `target` (simulated ms), then sets the clock there. Stops early, returning false,
   * as soon as `stop()` holds after a micro-step.
   */
  advance(target: number, stop?: () => boolean): boolean {
    while (this.nextAt() <= target) {
      this.microStep();
      if (stop?.()) return false;
    }
    this.sim.runUntilTime(target);
    return true;
  }

  /**
   * Applies the script entry that is next: the caller has just appended it, or replay reached it.
   * Either way it is one micro-step, counted here: so a moment has the same micro count in the run
   * that recorded the entry and in every replay of it (checkpoints of the one are compared with
   * positions in the other: step back, seek to a violation, a branch's shared checkpoints).
   * Returns what the simulation returned (a client request's id).
   */
  applyEntry(entry: ScriptEntry): number | undefined {
    assert(this.script[this.state.applied] === entry, 'script entries are applied in order');
    this.state.micro++;
    this.state.applied++;
    return this.perform(entry.action);
  }

  private perform(action: LearnerAction): number | undefined {
    switch (action.type) {
      case 'sim':
        return this.sim.act(action.action);
      case 'request':
        return startRequest(this.state.clients, this.sim, action).id;
      case 'setLoad':
        this.state.load = { opsPerSec: Math.max(0, action.opsPerSec), lastSlot: slotOf(this.sim.now, action.opsPerSec) };
        return undefined;
    }
  }

  private gridTurn(grid: number): void {
    this.sim.runUntilTime(grid);
    this.state.gridDone++;
    this.fireLoad();
    tickClients(this.state.clients, this.sim);
  }

  /** A steady stream of operations to the leader: three writes, then a read, over eight keys. */
  private fireLoad(): void {
    const load = this.state.load;
    if (load.opsPerSec <= 0) return;
    const slot = slotOf(this.sim.now, load.opsPerSec);
    const from = Math.max(load.lastSlot + 1, slot - loadPerTurnMax + 1);
    load.lastSlot = Math.max(load.lastSlot, slot);
    const leader = this.sim.leader();
    if (!leader) return;
    for (let s = from; s <= slot; s++) {
      const key = `load${s % loadKeys}`;
      const request = s % 4 === 3
        ? { clientId: 'load', node: leader, op: 'get' as const, key }
        : { clientId: 'load', node: leader, op: 'put' as const, key, value: String(s) };
      this.sim.act({ type: 'client', request });
    }
  }

  get loadOpsPerSec(): number {
    return this.state.load.opsPerSec;
  }

  checkpoint(): RunCheckpoint {
    return { at: this.sim.now, steps: this.sim.steps, micro: this.state.micro, sim: this.sim.checkpoint(), state: cloneState(this.state) };
  }

  restore(cp: RunCheckpoint): void {
    this.sim.restore(cp.sim);
    this.state = cloneState(cp.state);
  }
}
