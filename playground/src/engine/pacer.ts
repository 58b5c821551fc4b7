/**
 * Lets a scenario script wait on the page's simulation clock. The scenario asks to wait (for some
 * simulated time, or until a condition holds); the engine's play loop moves time at the speed the
 * learner chose and settles the waits as they come due. So a guided scenario runs exactly like
 * the plain simulator run, only at a pace a person can watch (and pause, and step).
 */

interface Wait {
  deadline: number;
  /** Null: a plain sleep until the deadline. */
  done: (() => boolean) | null;
  resolve: (held: boolean) => void;
  reject: (error: Error) => void;
}

export class ScenarioAborted extends Error {
  override name = 'ScenarioAborted';
}

export class Pacer {
  private waits: Wait[] = [];

  get waiting(): boolean {
    return this.waits.length > 0;
  }

  /**
   * Resolves true once `done()` holds (checked after every simulation step), or at `deadline`
   * (simulated ms) with whatever `done()` says then; a plain sleep resolves true at the deadline.
   */
  wait(now: number, deadline: number, done: (() => boolean) | null = null): Promise<boolean> {
    if (done?.()) return Promise.resolve(true);
    if (!done && deadline <= now) return Promise.resolve(true);
    return new Promise((resolve, reject) => this.waits.push({ deadline, done, resolve, reject }));
  }

  /** The earliest deadline: the play loop never runs past it in one go. */
  nextDeadline(): number {
    let next = Infinity;
    for (const w of this.waits) next = Math.min(next, w.deadline);
    return next;
  }

  /** True when some condition-wait holds now (the play loop checks this after each step). */
  anyConditionHolds(): boolean {
    return this.waits.some((w) => w.done !== null && w.done());
  }

  /** Settles the waits that are due at `now`; returns whether any settled. */
  settle(now: number): boolean {
    const due: [Wait, boolean][] = [];
    this.waits = this.waits.filter((w) => {
      const held = w.done ? w.done() : false;
      if (held) due.push([w, true]);
      else if (now >= w.deadline) due.push([w, w.done ? false : true]);
      else return true;
      return false;
    });
    for (const [w, held] of due) w.resolve(held);
    return due.length > 0;
  }

  /** Rejects every wait: the scenario was stopped, or the world it ran in was replaced. */
  abort(reason: string): void {
    const waits = this.waits;
    this.waits = [];
    for (const w of waits) w.reject(new ScenarioAborted(reason));
  }
}
