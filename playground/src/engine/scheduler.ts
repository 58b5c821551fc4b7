/** Timers for the engine. The real one uses the platform's clock; tests use ManualScheduler. */
import type { Scheduler } from './engine';

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  later: (fn, ms) => setTimeout(fn, ms),
  cancel: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** A clock that moves only when told: engine tests run frames deterministically. */
export class ManualScheduler implements Scheduler {
  private time = 0;
  private nextId = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  later(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, fn });
    return id;
  }

  cancel(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves the clock forward by `ms`, firing timers in order (including ones they set). */
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.fireNext(end));
    this.time = end;
  }

  /**
   * Like advance, but lets pending promise continuations run after each timer, as a browser does
   * between tasks (a guided scenario's script continues between two engine frames).
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.time + ms;
    while (this.fireNext(end)) await new Promise((resolve) => setTimeout(resolve, 0));
    this.time = end;
  }

  private fireNext(end: number): boolean {
    let next: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
    if (!next) return false;
    this.timers.delete(next[0]);
    this.time = Math.max(this.time, next[1].at);
    next[1].fn();
    return true;
  }
}
