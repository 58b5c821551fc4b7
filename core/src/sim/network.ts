/**
 * The simulated network between Raft nodes: per-link cuts (one-way or both ways), loss,
 * duplication, latency and reordering, all drawn from the simulation's seeded PRNG.
 */
import type { Message } from '../messages';
import type { Prng } from '../prng';
import type { NodeId } from '../types';
import type { NetworkConfig } from './config';

export interface InFlightMessage {
  id: number;
  message: Message;
  sentAt: number;
  deliverAt: number;
  duplicate: boolean;
}

export type DropReason = 'link_cut' | 'loss' | 'node_down' | 'dropped_by_user';

const linkKey = (from: NodeId, to: NodeId): string => `${from}>${to}`;

export class Network {
  config: NetworkConfig;
  /** Directed links that deliver nothing, as "from>to". */
  readonly cutLinks = new Set<string>();
  /** Directed links on which every message takes this many ms longer, as "from>to". */
  readonly slowLinks = new Map<string, number>();
  readonly inFlight = new Map<number, InFlightMessage>();
  private nextId = 1;

  constructor(config: NetworkConfig) {
    this.config = { ...config };
  }

  isLinkUp(from: NodeId, to: NodeId): boolean {
    return !this.cutLinks.has(linkKey(from, to));
  }

  cut(from: NodeId, to: NodeId, bothWays: boolean): void {
    this.cutLinks.add(linkKey(from, to));
    if (bothWays) this.cutLinks.add(linkKey(to, from));
  }

  heal(from: NodeId, to: NodeId, bothWays: boolean): void {
    this.cutLinks.delete(linkKey(from, to));
    if (bothWays) this.cutLinks.delete(linkKey(to, from));
  }

  isolate(node: NodeId, all: readonly NodeId[]): void {
    for (const other of all) if (other !== node) this.cut(node, other, true);
  }

  healAll(): void {
    this.cutLinks.clear();
  }

  /** Every message from `from` to `to` takes `ms` longer (0: back to normal): a congested link. */
  slow(from: NodeId, to: NodeId, ms: number): void {
    if (ms > 0) this.slowLinks.set(linkKey(from, to), ms);
    else this.slowLinks.delete(linkKey(from, to));
  }

  /**
   * Puts a message on the wire. Returns the copies scheduled for delivery (none when it is lost
   * or its link is cut), or the reason it was dropped.
   */
  send(message: Message, now: number, prng: Prng): InFlightMessage[] | DropReason {
    if (!this.isLinkUp(message.from, message.to)) return 'link_cut';
    if (prng.chance(this.config.lossRate)) return 'loss';
    const copies = [this.schedule(message, now, prng, false)];
    if (prng.chance(this.config.duplicateRate)) copies.push(this.schedule(message, now, prng, true));
    return copies;
  }

  private schedule(message: Message, now: number, prng: Prng, duplicate: boolean): InFlightMessage {
    const { latencyMinMs, latencyMaxMs, reorderRate, reorderDelayMaxMs } = this.config;
    let latency = latencyMinMs + prng.next() * (latencyMaxMs - latencyMinMs) + (this.slowLinks.get(linkKey(message.from, message.to)) ?? 0);
    if (prng.chance(reorderRate)) latency += prng.next() * reorderDelayMaxMs;
    const flight: InFlightMessage = { id: this.nextId++, message, sentAt: now, deliverAt: now + latency, duplicate };
    this.inFlight.set(flight.id, flight);
    return flight;
  }

  /** Takes a message off the wire at delivery time; undefined if it was dropped meanwhile. */
  arrive(id: number): InFlightMessage | undefined {
    const flight = this.inFlight.get(id);
    if (flight) this.inFlight.delete(id);
    return flight;
  }

  drop(id: number): InFlightMessage | undefined {
    return this.arrive(id);
  }

  /** Holds a message in flight `ms` longer; the caller schedules its delivery at the new time. */
  delay(id: number, ms: number): InFlightMessage | undefined {
    const flight = this.inFlight.get(id);
    if (!flight || !(ms > 0)) return undefined;
    return this.reschedule(id, flight.deliverAt + ms);
  }

  /**
   * Puts a second copy of a message on the wire; it arrives one maximum latency after the
   * original (a retransmission the network made). The caller schedules its delivery.
   */
  duplicate(id: number): InFlightMessage | undefined {
    const flight = this.inFlight.get(id);
    if (!flight) return undefined;
    const copy: InFlightMessage = {
      id: this.nextId++, message: flight.message, sentAt: flight.sentAt, deliverAt: flight.deliverAt + this.config.latencyMaxMs, duplicate: true,
    };
    this.inFlight.set(copy.id, copy);
    return copy;
  }
  /** Moves a message's delivery to `deliverAt`; the caller schedules it. Undefined if it is no longer in flight. */
  reschedule(id: number, deliverAt: number): InFlightMessage | undefined {
    const flight = this.inFlight.get(id);
    if (flight) flight.deliverAt = deliverAt;
    return flight;
  }
}
