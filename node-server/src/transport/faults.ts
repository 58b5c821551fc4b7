/**
 * Injected network faults (core/src/live.ts, LiveFaults): which peers this node sends nothing to
 * (`dropTo`: no requests, and its answers to their requests are lost) and which it ignores
 * (`dropFrom`: their requests are refused before stepping, and their answers to its requests are
 * discarded). The transport and the RPC routes consult it; /admin/faults replaces it.
 */
import type { LiveFaults, NodeId } from '@raft-kv/core';

export class PeerFaults {
  private to = new Set<NodeId>();
  private from = new Set<NodeId>();

  constructor(private readonly peerIds: readonly NodeId[]) {}

  /** This node sends nothing to `peer`. (A Set lookup only when some fault is set: it runs per message.) */
  dropsTo(peer: NodeId): boolean {
    return this.to.size > 0 && this.to.has(peer);
  }

  /** This node ignores what `peer` sends. */
  dropsFrom(peer: NodeId): boolean {
    return this.from.size > 0 && this.from.has(peer);
  }

  /** Replaces the setting ({} heals). Unknown peers are an error (a typo must not heal silently). */
  set(faults: LiveFaults): void {
    const check = (ids: readonly NodeId[] | undefined): Set<NodeId> => {
      for (const id of ids ?? []) if (!this.peerIds.includes(id)) throw new RangeError(`${JSON.stringify(id)} is not a peer`);
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

  describe(): string {
    const f = this.get();
    if (f.dropTo.length === 0 && f.dropFrom.length === 0) return 'none (healed)';
    return `dropTo=[${f.dropTo.join(',')}] dropFrom=[${f.dropFrom.join(',')}]`;
  }
}
