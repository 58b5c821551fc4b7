/** One simulated server: durable storage that survives crashes, and the volatile rest. */
import { KvStateMachine } from '../kv';
import type { Ready, RaftNode } from '../raft-node';
import { MemoryStorage } from '../storage';
import type { NodeId } from '../types';

export interface PendingWrite {
  requestId: number;
  index: number;
  term: number;
}

export interface PendingRead {
  requestId: number;
  /** Known once the read index is confirmed. */
  index: number | null;
}

export class SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  /** Null while the node is down. */
  raft: RaftNode | null = null;
  kv = new KvStateMachine();
  /** Bumped on every start, so that work scheduled for an earlier life is ignored. */
  incarnation = 0;
  /** The Ready being written to disk, if any. */
  persisting: Ready | null = null;
  /** Client requests this node is working on, by index (writes) and by context (reads). */
  writesByIndex = new Map<number, PendingWrite[]>();
  readsByContext = new Map<string, PendingRead>();
  /** Indexes applied in this life, in order (what `[apply] index=N` lines would show). */
  applyLog: number[] = [];
  /** When an AppendEntries from a current leader last arrived (-1: never in this life). */
  lastHeartbeatAt = -1;

  constructor(id: NodeId, voters: NodeId[]) {
    this.id = id;
    this.storage = new MemoryStorage(voters);
  }

  get up(): boolean {
    return this.raft !== null;
  }
}
