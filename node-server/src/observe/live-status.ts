/**
 * A real node described in live mode's schema (LiveNodeStatus, core/src/live.ts): the fields the
 * playground's simulator snapshot has, read from the core, the node host, the disk and the KV map.
 * Pure reading; the KV part is cached by applied index, because listing the map sorts all of it.
 */
import type { LiveNodeStatus } from '@raft-kv/core';
import { liveKvMax, liveLogTail } from '@raft-kv/core';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import type { PeerFaults } from '../transport/faults';

export interface LiveStatusSources {
  config: Pick<NodeConfig, 'nodeId' | 'kvUrl' | 'raftUrl' | 'tickMs'>;
  host: NodeHost;
  faults: PeerFaults;
}

export class LiveStatusReader {
  private kvAt = -1;
  private kv: { pairs: [string, string][]; truncated: boolean } = { pairs: [], truncated: false };
  constructor(private readonly sources: LiveStatusSources) {}

  read(): LiveNodeStatus {
    const { config, host, faults } = this.sources;
    const state = host.describe();
    const tailFrom = Math.max(state.firstIndex, state.lastIndex - liveLogTail + 1);
    const entries = tailFrom <= state.lastIndex ? host.raft.entries(tailFrom, state.lastIndex + 1) ?? [] : [];
    const kv = this.kvView();
    // A running node is never down: its role is the core's.
    const role = state.role === 'down' ? 'follower' : state.role;
    return {
      ...state, role, kvUrl: config.kvUrl, raftUrl: config.raftUrl, at: Date.now(), tickMs: config.tickMs,
      entries, kv: kv.pairs, kvTruncated: kv.truncated, faults: faults.get(),
      peers: host.peers().map((p) => ({ id: p.id, kvUrl: p.kvUrl, raftUrl: p.raftUrl })),
    };
  }

  private kvView(): { pairs: [string, string][]; truncated: boolean } {
    const kv = this.sources.host.replica.kv;
    if (kv.appliedIndex !== this.kvAt) {
      this.kvAt = kv.appliedIndex;
      const all = kv.entries();
      this.kv = { pairs: all.length > liveKvMax ? all.slice(0, liveKvMax) : all, truncated: all.length > liveKvMax };
    }
    return this.kv;
  }
}
