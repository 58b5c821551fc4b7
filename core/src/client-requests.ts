/**
 * Client requests a replica is working on, as plain data (the simulator checkpoints them): writes
 * wait for the entry proposed at their index, linearizable reads for their ReadIndex context and
 * then for this replica to apply that index. The host names each request with a ticket and hears
 * the answer through ReplicaIo.answer; a host-side timeout ends a request with `expire`.
 */
import { none } from './types';

/** The host's name for one client request (unique per replica life). */
export type Ticket = number;

export interface PendingWrite {
  ticket: Ticket;
  /** The term the entry was proposed in: another term at that index means it was replaced. */
  term: number;
}

/** What a read asks for: one key, or the keys with a prefix (at most `limit`, in key order). */
export type ReadQuery = { kind: 'get'; key: string } | { kind: 'range'; prefix: string; limit: number };

export interface PendingRead {
  ticket: Ticket;
  query: ReadQuery;
  /** Known once the read index is confirmed. */
  index: number | null;
}

/** A leadership transfer a client waits on: answered once this node sees `target` lead. */
export interface PendingTransfer {
  ticket: Ticket;
  target: string;
}

type Pending = { kind: 'write'; index: number } | { kind: 'read'; context: string } | { kind: 'transfer' };

export class ClientRequests {
  readonly writesByIndex = new Map<number, PendingWrite[]>();
  readonly readsByContext = new Map<string, PendingRead>();
  transfers: PendingTransfer[] = [];
  private readonly byTicket = new Map<Ticket, Pending>();

  get size(): number {
    return this.byTicket.size;
  }

  addWrite(ticket: Ticket, index: number, term: number): void {
    this.claim(ticket, { kind: 'write', index });
    const waiting = this.writesByIndex.get(index);
    if (waiting) waiting.push({ ticket, term });
    else this.writesByIndex.set(index, [{ ticket, term }]);
  }

  addRead(ticket: Ticket, context: string, query: ReadQuery): void {
    this.claim(ticket, { kind: 'read', context });
    this.readsByContext.set(context, { ticket, query, index: null });
  }

  addTransfer(ticket: Ticket, target: string): void {
    this.claim(ticket, { kind: 'transfer' });
    this.transfers.push({ ticket, target });
  }

  /** Removes and returns the transfers `decide` settles (it returns true for those). */
  takeTransfers(decide: (t: PendingTransfer) => boolean): PendingTransfer[] {
    if (this.transfers.length === 0) return none();
    const settled = this.transfers.filter(decide);
    if (settled.length === 0) return none();
    this.transfers = this.transfers.filter((t) => !settled.includes(t));
    for (const t of settled) this.byTicket.delete(t.ticket);
    return settled;
  }

  private claim(ticket: Ticket, pending: Pending): void {
    if (this.byTicket.has(ticket)) throw new RangeError(`ticket ${ticket} is already waiting`);
    this.byTicket.set(ticket, pending);
  }

  /** The writes waiting for the entry at `index` (removed). */
  takeWrites(index: number): PendingWrite[] {
    const waiting = this.writesByIndex.get(index);
    if (!waiting) return none();
    this.writesByIndex.delete(index);
    for (const w of waiting) this.byTicket.delete(w.ticket);
    return waiting;
  }

  confirmRead(context: string, index: number): void {
    const read = this.readsByContext.get(context);
    if (read && read.index === null) read.index = index;
  }

  /** Removes and returns the read waiting on `context`, if any. */
  takeRead(context: string): PendingRead | undefined {
    const read = this.readsByContext.get(context);
    if (!read) return undefined;
    this.readsByContext.delete(context);
    this.byTicket.delete(read.ticket);
    return read;
  }

  /** Removes and returns every confirmed read whose index is applied. */
  takeServableReads(appliedIndex: number): PendingRead[] {
    if (this.readsByContext.size === 0) return none();
    const ready: PendingRead[] = [];
    for (const [context, read] of this.readsByContext) {
      if (read.index === null || read.index > appliedIndex) continue;
      this.readsByContext.delete(context);
      this.byTicket.delete(read.ticket);
      ready.push(read);
    }
    return ready;
  }

  /** Forgets a request (its timeout fired); says what it was, or undefined if already answered. */
  take(ticket: Ticket): Pending['kind'] | undefined {
    const pending = this.byTicket.get(ticket);
    if (!pending) return undefined;
    this.byTicket.delete(ticket);
    if (pending.kind === 'read') {
      this.readsByContext.delete(pending.context);
      return 'read';
    }
    if (pending.kind === 'transfer') {
      this.transfers = this.transfers.filter((t) => t.ticket !== ticket);
      return 'transfer';
    }
    const rest = (this.writesByIndex.get(pending.index) ?? []).filter((w) => w.ticket !== ticket);
    if (rest.length === 0) this.writesByIndex.delete(pending.index);
    else this.writesByIndex.set(pending.index, rest);
    return 'write';
  }
}

/** A read context names the replica's life and the request, so an answer never reaches another life. */
export const readContext = (prefix: string, ticket: Ticket): string => `${prefix}:${ticket}`;
