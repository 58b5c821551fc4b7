/** One simulated server: durable storage that survives crashes, and a replica while it runs. */
import { KvStateMachine } from '../kv';
import type { Ready, RaftNode } from '../raft-node';
import type { Replica } from '../replica';
import { MemoryStorage } from '../storage';
import type { NodeId } from '../types';

/** What a crashed node's memory holds: nothing. */
const emptyKv = new KvStateMachine();

export class SimNode {
  readonly id: NodeId;
  readonly storage: MemoryStorage;
  /** Null while the node is down. */
  replica: Replica | null = null;
  /** Bumped on every start, so that work scheduled for an earlier life is ignored. */
  incarnation = 0;
  /** While the simulated clock is before this, the node is paused and runs nothing. */
  pausedUntil = 0;
  /** Indexes applied in this life, in order (what `[apply] index=N` lines would show). */
  applyLog: number[] = [];

  /** The voters this server starts with: the initial cluster's, or none for a server that joins later. */
  readonly initialVoters: NodeId[];

  constructor(id: NodeId, initialVoters: NodeId[]) {
    this.id = id;
    this.initialVoters = [...initialVoters];
    this.storage = new MemoryStorage(initialVoters);
  }

  get up(): boolean {
    return this.replica !== null;
  }

  get raft(): RaftNode | null {
    return this.replica?.raft ?? null;
  }

  /** The applied state machine (empty while down: it lived in memory). */
  get kv(): KvStateMachine {
    return this.replica?.kv ?? emptyKv;
  }

  /** The Ready being written to disk, if any. */
  get persisting(): Ready | null {
    return this.replica?.persistingReady ?? null;
  }
}
