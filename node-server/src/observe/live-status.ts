/**
 * A real node described in live mode's schema (LiveNodeStatus, core/src/live.ts): the fields the
 * playground's simulator snapshot has, read from the core, the node host, the disk and the KV map.
 * Pure reading; the KV part is cached by applied index, because listing the map sorts all of it.
 */
import type { LiveNodeStatus } from '@raft-kv/core';
import { liveKvMax, liveLogTail } from '@raft-kv/core';
import type { NodeConfig } from '../config';
import type { NodeHost } from '../host/node-host';
import type { DiskStorage } from '../storage/disk-storage';
import type { PeerFaults } from '../transport/faults';

export interface LiveStatusSources {
  config: Pick<NodeConfig, 'nodeId' | 'kvUrl' | 'raftUrl' | 'tickMs' | 'peers'>;
  host: NodeHost;
  storage: DiskStorage;
  faults: PeerFaults;
}

export class LiveStatusReader {
  private kvAt = -1;
  private kv: { pairs: [string, string][]; truncated: boolean } = { pairs: [], truncated: false };
  private readonly peers: LiveNodeStatus['peers'];

  constructor(private readonly sources: LiveStatusSources) {
    this.peers = sources.config.peers.map((p) => ({ id: p.id, kvUrl: p.kvUrl, raftUrl: p.raftUrl }));
  }

  read(): LiveNodeStatus {
    const { config, host, storage, faults } = this.sources;
    const s = host.raft.status();
    const tailFrom = Math.max(s.firstIndex, s.lastIndex - liveLogTail + 1);
    const entries = tailFrom <= s.lastIndex ? host.raft.entries(tailFrom, s.lastIndex + 1) ?? [] : [];
    const kv = this.kvView();
    const campaigning = s.role === 'candidate' || s.role === 'preCandidate';
    return {
      id: config.nodeId,
      kvUrl: config.kvUrl,
      raftUrl: config.raftUrl,
      at: Date.now(),
      role: s.role,
      term: s.term,
      votedFor: s.vote,
      leaderId: s.leaderId,
      commitIndex: s.commitIndex,
      lastApplied: host.kv.appliedIndex,
      firstIndex: s.firstIndex,
      lastIndex: s.lastIndex,
      snapshotIndex: s.snapshotIndex,
      snapshotTerm: s.snapshotTerm,
      durable: { ...storage.durable() },
      timer: s.role === 'leader' ? null : { elapsed: s.electionElapsed, timeout: s.electionTimeout },
      tickMs: config.tickMs,
      votes: campaigning ? s.votes : null,
      progress: s.progress,
      entries,
      kv: kv.pairs,
      kvTruncated: kv.truncated,
      persisting: host.isPersisting,
      applyLog: { last: host.applyLog.last(), count: host.applyLog.count, increasing: host.applyLog.increasing },
      lastHeartbeatAgoMs: host.lastHeartbeatAgoMs(),
      faults: faults.get(),
      peers: this.peers,
    };
  }

  private kvView(): { pairs: [string, string][]; truncated: boolean } {
    const kv = this.sources.host.kv;
    if (kv.appliedIndex !== this.kvAt) {
      this.kvAt = kv.appliedIndex;
      const all = kv.entries();
      this.kv = { pairs: all.length > liveKvMax ? all.slice(0, liveKvMax) : all, truncated: all.length > liveKvMax };
    }
    return this.kv;
  }
}
