/**
 * How the store talks to the engine. The page uses a Web Worker; tests (and any host without
 * workers) run the engine in the same thread (inline-transport.ts). Either way: commands in,
 * snapshots out.
 */
import type { EngineOptions } from './engine';
import type { EngineCommand, SimSnapshot } from './protocol';

export type ToWorker = { type: 'init'; options: EngineOptions } | { type: 'command'; command: EngineCommand } | { type: 'ack' };

export interface Transport {
  send(command: EngineCommand): void;
  /** Starts the engine; snapshots arrive through `onSnapshot`. */
  start(options: EngineOptions, onSnapshot: (snapshot: SimSnapshot) => void): void;
  stop(): void;
}

/**
 * The engine in a Web Worker. Snapshots are applied once per animation frame and acknowledged, and
 * the engine waits for the acknowledgement before posting the next, so the page never works
 * through a backlog of stale snapshots.
 */
export class WorkerTransport implements Transport {
  private worker: Worker | null = null;
  private latest: SimSnapshot | null = null;
  private frame = 0;

  start(options: EngineOptions, onSnapshot: (snapshot: SimSnapshot) => void): void {
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module', name: 'raft-simulation' });
    this.worker = worker;
    const apply = () => {
      this.frame = 0;
      const snapshot = this.latest;
      this.latest = null;
      if (snapshot) onSnapshot(snapshot);
      worker.postMessage({ type: 'ack' } satisfies ToWorker);
    };
    worker.onmessage = (event: MessageEvent<SimSnapshot>) => {
      this.latest = event.data;
      if (this.frame === 0) this.frame = requestAnimationFrame(apply);
    };
    worker.postMessage({ type: 'init', options: { ...options, backPressure: true } } satisfies ToWorker);
  }

  send(command: EngineCommand): void {
    this.worker?.postMessage({ type: 'command', command } satisfies ToWorker);
  }

  stop(): void {
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    this.worker?.terminate();
    this.worker = null;
  }
}
