/**
 * The `[apply] index=N` lines a replica printed in this life: the newest few, how many in all,
 * and whether every one was greater than the one before (exactly once per index, in order).
 * O(1) per entry and bounded, so a long-running node keeps only what observers show.
 */

/** How many of the newest applied indexes are kept. */
export const applyLogLinesMax = 20;

export interface ApplyLogView {
  last: number[];
  count: number;
  increasing: boolean;
}

export class ApplyLog {
  private readonly ring: number[] = [];
  private next = 0;
  count = 0;
  increasing = true;
  private previous = 0;

  note(index: number): void {
    if (this.count > 0 && index <= this.previous) this.increasing = false;
    this.previous = index;
    this.count++;
    if (this.ring.length < applyLogLinesMax) this.ring.push(index);
    else this.ring[this.next] = index;
    this.next = (this.next + 1) % applyLogLinesMax;
  }

  /** The newest indexes, oldest first. */
  last(): number[] {
    return this.ring.length < applyLogLinesMax ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  view(): ApplyLogView {
    return { last: this.last(), count: this.count, increasing: this.increasing };
  }
}
