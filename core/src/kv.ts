/**
 * The replicated KV state machine. Hosts apply committed entries here in log order, exactly once;
 * the browser and the server share it, so they apply identically.
 */
import { fail } from './assert';
import type { Command, Entry } from './types';

export type ApplyResult =
  | { op: 'set'; key: string; value: string }
  | { op: 'delete'; key: string; existed: boolean }
  | { op: 'noop' };

export class KvStateMachine {
  private readonly data = new Map<string, string>();
  /** Index of the last entry applied (or restored from a snapshot). */
  appliedIndex = 0;

  get(key: string): string | undefined {
    return this.data.get(key);
  }

  get size(): number {
    return this.data.size;
  }

  entries(): [string, string][] {
    return [...this.data.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  apply(entry: Entry): ApplyResult {
    if (entry.index !== this.appliedIndex + 1) fail(`apply out of order: entry ${entry.index} after ${this.appliedIndex}`);
    this.appliedIndex = entry.index;
    return this.applyCommand(entry.command);
  }

  private applyCommand(command: Command): ApplyResult {
    switch (command.op) {
      case 'set':
        this.data.set(command.key, command.value);
        return { op: 'set', key: command.key, value: command.value };
      case 'delete':
        // Deleting a missing key is a committed no-op: the apply loop must never wedge on it.
        return { op: 'delete', key: command.key, existed: this.data.delete(command.key) };
      case 'noop':
        return { op: 'noop' };
    }
  }

  /** Serializes the whole map. Insertion order is itself a function of the applied log, so equal
   *  states give equal snapshots without sorting. */
  snapshot(): string {
    return JSON.stringify({ appliedIndex: this.appliedIndex, entries: [...this.data] });
  }

  restore(data: string, index: number): void {
    this.data.clear();
    if (data !== '') {
      const parsed = JSON.parse(data) as { entries: [string, string][] };
      for (const [key, value] of parsed.entries) this.data.set(key, value);
    }
    this.appliedIndex = index;
  }
}
