/**
 * Injected network faults (core/src/live.ts, LiveFaults): which peers this node sends nothing to
 * (`dropTo`: no requests, and its answers to their requests are lost) and which it ignores
 * (`dropFrom`: their requests are refused before stepping, and their answers to its requests are
 * discarded). The transport and the RPC routes consult it; /admin/faults replaces it.
 *
 * With membership changes, a fault may name a node this one has not heard of yet (one that is
 * about to join): that is accepted, and takes effect if it ever becomes a peer; `unknown` says
 * which ones, for the log line. This node's own id and malformed ids are refused.
 */
import type { LiveFaults, NodeId } from '@raft-kv/core';
import { idPattern } from '../config';

export class PeerFaults {
  private to = new Set<NodeId>();
  private from = new Set<NodeId>();

  /** @param knows whether an id is a peer this node has heard of (the environment's or a member's) */
  constructor(private readonly self: NodeId, private readonly knows: (id: NodeId) => boolean) {}

  /** This node sends nothing to `peer`. (A Set lookup only when some fault is set: it runs per message.) */
  dropsTo(peer: NodeId): boolean {
    return this.to.size > 0 && this.to.has(peer);
  }

  /** This node ignores what `peer` sends. */
  dropsFrom(peer: NodeId): boolean {
    return this.from.size > 0 && this.from.has(peer);
  }

  /** Replaces the setting ({} heals). This node's own id, or one that is not a node id, is a RangeError. */
  set(faults: LiveFaults): void {
    const check = (ids: readonly NodeId[] | undefined): Set<NodeId> => {
      for (const id of ids ?? []) {
        if (id === this.self) throw new RangeError(`${JSON.stringify(id)} is this node`);
        if (!idPattern.safeParse(id).success) throw new RangeError(`${JSON.stringify(id)} is not a node id`);
      }
      return new Set(ids ?? []);
    };
    const to = check(faults.dropTo);
    const from = check(faults.dropFrom);
    this.to = to;
    this.from = from;
  }

  get(): Required<LiveFaults> {
    return { dropTo: [...this.to].sort(), dropFrom: [...this.from].sort() };
  }

  /** The ids in the setting that this node has not heard of (yet). */
  unknown(): NodeId[] {
    return [...new Set([...this.to, ...this.from])].filter((id) => !this.knows(id)).sort();
  }

  describe(): string {
    const f = this.get();
    if (f.dropTo.length === 0 && f.dropFrom.length === 0) return 'none (healed)';
    const unknown = this.unknown();
    const note = unknown.length > 0 ? ` (not a peer it knows of yet: ${unknown.join(',')})` : '';
    return `dropTo=[${f.dropTo.join(',')}] dropFrom=[${f.dropFrom.join(',')}]${note}`;
  }
}
