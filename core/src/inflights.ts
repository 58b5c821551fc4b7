/**
 * The pipelining window of one follower: the last index of each AppendEntries sent but not yet
 * acknowledged, oldest first, bounded by inflightMessagesMax.
 */
import { assert, fail } from './assert';

export class Inflights {
  private readonly lastIndexes: number[] = [];

  constructor(readonly capacity: number) {}

  get count(): number {
    return this.lastIndexes.length;
  }

  isFull(): boolean {
    return this.lastIndexes.length >= this.capacity;
  }

  add(lastIndex: number): void {
    assert(!this.isFull(), 'inflights: add when full');
    const newest = this.lastIndexes[this.lastIndexes.length - 1];
    if (!(newest === undefined || lastIndex > newest)) fail(`inflights: ${lastIndex} not after ${newest}`);
    this.lastIndexes.push(lastIndex);
  }

  /** Frees every message whose entries are all acknowledged (last index <= index). */
  freeTo(index: number): void {
    let freed = 0;
    while (freed < this.lastIndexes.length && this.lastIndexes[freed]! <= index) freed++;
    if (freed > 0) this.lastIndexes.splice(0, freed);
  }

  reset(): void {
    this.lastIndexes.length = 0;
  }
}
