/**
 * The supervisor's record of the network it simulates: each node's LiveFaults, changed by the
 * page's LiveFaultCommands (core/src/live.ts). Pure data; the supervisor pushes each node's entry
 * to its /admin/faults, and again when the node restarts (a restart does not heal the network).
 *
 * A message a -> b is lost when b is in a.dropTo or a is in b.dropFrom, so:
 *   isolate x          x.dropTo = x.dropFrom = every other node
 *   cut a -> b         a.dropTo += b            (bothWays: and b.dropTo += a)
 *   heal a -> b        a.dropTo -= b, b.dropFrom -= a   (bothWays: and the same for b -> a)
 *   healAll            every node {}
 */
import type { LiveFaultCommand, LiveFaults, NodeId } from '@raft-kv/core';

interface Sets {
  to: Set<NodeId>;
  from: Set<NodeId>;
}

export class FaultBook {
  private readonly book = new Map<NodeId, Sets>();
  private readonly ids: NodeId[] = [];

  constructor(ids: readonly NodeId[]) {
    for (const id of ids) this.add(id);
  }

  /** A node started later (a server being added): no faults yet; an isolation from now on includes it. */
  add(id: NodeId): void {
    if (this.book.has(id)) throw new RangeError(`node ${JSON.stringify(id)} is already in the book`);
    this.ids.push(id);
    this.book.set(id, { to: new Set(), from: new Set() });
  }

  /** Applies a command; returns the nodes whose faults changed. Throws RangeError on an unknown or repeated node. */
  apply(command: LiveFaultCommand): NodeId[] {
    const before = new Map(this.ids.map((id) => [id, JSON.stringify(this.of(id))]));
    switch (command.type) {
      case 'isolate': {
        const x = this.sets(command.node);
        const others = this.ids.filter((id) => id !== command.node);
        x.to = new Set(others);
        x.from = new Set(others);
        break;
      }
      case 'cut':
        this.pair(command.from, command.to);
        this.sets(command.from).to.add(command.to);
        if (command.bothWays) this.sets(command.to).to.add(command.from);
        break;
      case 'heal':
        this.pair(command.from, command.to);
        this.healDirection(command.from, command.to);
        if (command.bothWays) this.healDirection(command.to, command.from);
        break;
      case 'healAll':
        for (const sets of this.book.values()) {
          sets.to.clear();
          sets.from.clear();
        }
        break;
    }
    return this.ids.filter((id) => JSON.stringify(this.of(id)) !== before.get(id));
  }

  of(id: NodeId): Required<LiveFaults> {
    const s = this.sets(id);
    return { dropTo: [...s.to].sort(), dropFrom: [...s.from].sort() };
  }

  all(): Record<NodeId, Required<LiveFaults>> {
    return Object.fromEntries(this.ids.map((id) => [id, this.of(id)]));
  }

  isClear(id: NodeId): boolean {
    const s = this.sets(id);
    return s.to.size === 0 && s.from.size === 0;
  }

  private healDirection(a: NodeId, b: NodeId): void {
    this.sets(a).to.delete(b);
    this.sets(b).from.delete(a);
  }

  private pair(a: NodeId, b: NodeId): void {
    this.sets(a);
    this.sets(b);
    if (a === b) throw new RangeError(`a link needs two different nodes (got ${a} twice)`);
  }

  private sets(id: NodeId): Sets {
    const s = this.book.get(id);
    if (!s) throw new RangeError(`no node ${JSON.stringify(id)}`);
    return s;
  }
}
