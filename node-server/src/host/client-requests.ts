/**
 * Client requests waiting on the Raft log: writes by the index their entry got, linearizable reads
 * by their ReadIndex context. Each is answered exactly once (by the log, or by its timeout), with
 * core's api builders, as in the simulator's startWrite / applyEntry / serveWaitingReads.
 */
import type { ApiResponse, Command, Entry } from '@raft-kv/core';
import { api } from '@raft-kv/core';

export type WriteCommand = Extract<Command, { op: 'set' | 'delete' }>;
type Resolve = (response: ApiResponse) => void;

interface PendingWrite {
  term: number;
  command: WriteCommand;
  resolve: Resolve;
  timer: NodeJS.Timeout;
}

interface PendingRead {
  key: string;
  /** Known once the read index is confirmed. */
  index: number | null;
  resolve: Resolve;
  timer: NodeJS.Timeout;
}

export class PendingWrites {
  private readonly byIndex = new Map<number, PendingWrite[]>();

  constructor(private readonly timeoutMs: number) {}

  /** Waits for the entry proposed at (index, term); answers 504 after the write timeout. */
  add(index: number, term: number, command: WriteCommand, resolve: Resolve): void {
    const pending: PendingWrite = { term, command, resolve, timer: setTimeout(() => this.timedOut(index, pending), this.timeoutMs) };
    const waiting = this.byIndex.get(index);
    if (waiting) waiting.push(pending);
    else this.byIndex.set(index, [pending]);
  }

  /**
   * The entry at `entry.index` was applied: with the proposal's term it is that write (200);
   * with another term the proposal was replaced and certainly did not commit (503).
   */
  applied(entry: Entry): void {
    const waiting = this.byIndex.get(entry.index);
    if (!waiting) return;
    this.byIndex.delete(entry.index);
    for (const w of waiting) {
      clearTimeout(w.timer);
      if (w.term !== entry.term) w.resolve(api.leadershipLost());
      else w.resolve(w.command.op === 'delete' ? api.deleted(w.command.key) : api.stored(w.command.key));
    }
  }

  /** The entry may still commit later: the client learns only that it was not applied in time. */
  private timedOut(index: number, pending: PendingWrite): void {
    const waiting = this.byIndex.get(index);
    if (!waiting) return;
    const rest = waiting.filter((w) => w !== pending);
    if (rest.length === 0) this.byIndex.delete(index);
    else this.byIndex.set(index, rest);
    pending.resolve(api.timeout());
  }

  clear(): void {
    for (const waiting of this.byIndex.values()) for (const w of waiting) clearTimeout(w.timer);
    this.byIndex.clear();
  }
}

export class PendingReads {
  private readonly byContext = new Map<string, PendingRead>();

  constructor(private readonly timeoutMs: number) {}

  /** Waits for the read index of `context`; answers 503 after the read timeout. */
  add(context: string, key: string, resolve: Resolve): void {
    const timer = setTimeout(() => this.failed(context, 'read not confirmed in time'), this.timeoutMs);
    this.byContext.set(context, { key, index: null, resolve, timer });
  }

  confirmed(context: string, index: number): void {
    const pending = this.byContext.get(context);
    if (pending && pending.index === null) pending.index = index;
  }

  failed(context: string, message: string): void {
    const pending = this.byContext.get(context);
    if (!pending) return;
    this.byContext.delete(context);
    clearTimeout(pending.timer);
    pending.resolve(api.unavailable(message));
  }

  /** Answers every confirmed read whose index this node has applied. */
  serve(appliedIndex: number, readLocal: (key: string) => ApiResponse): void {
    if (this.byContext.size === 0) return;
    for (const [context, read] of this.byContext) {
      if (read.index === null || read.index > appliedIndex) continue;
      this.byContext.delete(context);
      clearTimeout(read.timer);
      read.resolve(readLocal(read.key));
    }
  }

  clear(): void {
    for (const read of this.byContext.values()) clearTimeout(read.timer);
    this.byContext.clear();
  }
}
