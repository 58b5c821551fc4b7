/**
 * Simulator and live cluster, one at a time on screen. Each mode has its own engine behind the
 * same Transport (commands in, snapshots out): the simulation's Web Worker, or the live session
 * over socket.io and HTTP. Commands go to the engine of the mode on screen.
 *
 * Leaving the simulator pauses it (its run and its snapshot are kept, and it plays again on the
 * way back if it was playing); leaving live mode closes the connections to the real nodes.
 */
import type { EngineOptions } from '../engine/engine';
import type { EngineCommand } from '../engine/protocol';
import type { Transport } from '../engine/transport';
import type { Mode, PlaygroundStore } from './store';
import { dropParked, receiveSnapshot, showMode } from './store';

export interface Engines {
  sim(): Transport;
  live(): Transport;
}

export class ModeSwitch {
  private sim: Transport | null = null;
  private live: Transport | null = null;
  private resumeSim = false;
  private readonly store: PlaygroundStore;
  private readonly engines: Engines;
  private readonly simOptions: EngineOptions;

  constructor(store: PlaygroundStore, engines: Engines, simOptions: EngineOptions) {
    this.store = store;
    this.engines = engines;
    this.simOptions = simOptions;
  }

  /** Starts the engine of the mode the store opened in. */
  start(): void {
    this.enter(this.store.getState().mode);
  }

  setMode(mode: Mode): void {
    const was = this.store.getState().mode;
    if (was === mode) return;
    if (was === 'sim') {
      this.resumeSim = this.store.getState().sim?.clock.playing ?? false;
      if (this.resumeSim) this.sim?.send({ type: 'pause' });
    }
    showMode(this.store, mode);
    if (was === 'live') {
      this.live?.stop();
      this.live = null;
      dropParked(this.store, 'live');
    }
    this.enter(mode);
  }

  send(command: EngineCommand): void {
    (this.store.getState().mode === 'live' ? this.live : this.sim)?.send(command);
  }

  stop(): void {
    this.sim?.stop();
    this.live?.stop();
    this.sim = this.live = null;
  }

  private enter(mode: Mode): void {
    if (mode === 'live') {
      const live = this.engines.live();
      this.live = live;
      live.start(this.simOptions, (snapshot) => { if (this.live === live) receiveSnapshot(this.store, snapshot, 'live'); });
      return;
    }
    if (!this.sim) {
      const sim = this.engines.sim();
      this.sim = sim;
      sim.start(this.simOptions, (snapshot) => receiveSnapshot(this.store, snapshot, 'sim'));
    } else if (this.resumeSim) {
      this.sim.send({ type: 'play' });
    }
  }
}
