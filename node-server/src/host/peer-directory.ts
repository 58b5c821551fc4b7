/**
 * How this node reaches the other members. Who the members are is the core's business (the latest
 * configuration in its log); their addresses come from two places:
 * - the configuration itself, for members added at run time: the leader that added one wrote its
 *   URLs into the log, so every node learns them from there, the same on every node;
 * - the environment (PEERS, PEER_IDS, PEER_KV_URLS), for the members this node was started with.
 * The log's address wins when both name one: it is the cluster's own record, written after the
 * environment was. Addresses stay known after a member leaves, for the hints and lines that still
 * name it; a node that is re-added with new URLs gets the new ones.
 */
import type { Configuration, NodeId } from '@raft-kv/core';
import { membersOf } from '@raft-kv/core';
import type { PeerConfig } from '../config';

export class PeerDirectory {
  private readonly fromEnv: ReadonlyMap<NodeId, PeerConfig>;
  private readonly fromLog = new Map<NodeId, PeerConfig>();
  /** Every id named by the environment or by a configuration this node has seen. */
  private readonly known = new Set<NodeId>();

  constructor(private readonly self: NodeId, env: readonly PeerConfig[]) {
    this.fromEnv = new Map(env.map((p) => [p.id, p]));
    for (const p of env) this.known.add(p.id);
  }

  /** Notes a configuration's members and the addresses it carries. */
  learn(config: Configuration): void {
    for (const id of membersOf(config)) this.known.add(id);
    for (const [id, address] of Object.entries(config.addresses)) {
      this.known.add(id);
      this.fromLog.set(id, { id, raftUrl: address.raftUrl, kvUrl: address.kvUrl });
    }
  }

  /** How to reach `id`, or null when neither the log nor the environment says. */
  address(id: NodeId): PeerConfig | null {
    return this.fromLog.get(id) ?? this.fromEnv.get(id) ?? null;
  }

  /** Whether `id` is another node this one has heard of (from the environment or a configuration). */
  knows(id: NodeId): boolean {
    return id !== this.self && this.known.has(id);
  }

  /** The addresses of `ids`, and the ids that have none. */
  resolve(ids: readonly NodeId[]): { peers: PeerConfig[]; unknown: NodeId[] } {
    const peers: PeerConfig[] = [];
    const unknown: NodeId[] = [];
    for (const id of ids) {
      const address = this.address(id);
      if (address) peers.push(address);
      else unknown.push(id);
    }
    return { peers, unknown };
  }
}
