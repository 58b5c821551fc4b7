/** The engine in the page's own thread: for tests, and for hosts without Web Workers. */
import { Engine } from './engine';
import type { EngineOptions, Scheduler } from './engine';
import type { EngineCommand, SimSnapshot } from './protocol';
import type { Transport } from './transport';

/** Snapshots are delivered synchronously, on the given scheduler. */
export class InlineTransport implements Transport {
  engine: Engine | null = null;
  private readonly scheduler: Scheduler;

  constructor(scheduler: Scheduler) {
    this.scheduler = scheduler;
  }

  start(options: EngineOptions, onSnapshot: (snapshot: SimSnapshot) => void): void {
    this.engine = new Engine(options, this.scheduler, onSnapshot);
  }

  send(command: EngineCommand): void {
    this.engine?.handle(command);
  }

  stop(): void {
    this.engine?.dispose();
    this.engine = null;
  }
}
