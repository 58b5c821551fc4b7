/**
 * The one interface every world implements so that a scenario is written once and runs in the
 * simulator, in the browser playground and against real node processes. Times are milliseconds on
 * the driver's own clock (simulated or real).
 */
import type { ApiResponse } from '../api';
import type { DisplayRole, NodeState } from '../node-state';
import type { NodeId } from '../types';

/**
 * What a scenario reads of a node: a part of the NodeState every world shares, with the role as the
 * HTTP API reports it (a pre-vote candidate is a follower, as /health says).
 */
export type NodeStatus = Pick<NodeState, 'id' | 'term' | 'leaderId' | 'commitIndex' | 'lastApplied' | 'logLength' | 'lastHeartbeatAgoMs'> & {
  role: DisplayRole;
};

export interface ClusterDriver {
  readonly nodeIds: readonly NodeId[];
  now(): number;
  /** Lets time pass (simulated time runs; real time waits). Used only between polls. */
  sleep(ms: number): Promise<void>;
  status(id: NodeId): Promise<NodeStatus>;
  put(id: NodeId, key: string, value: string): Promise<ApiResponse>;
  get(id: NodeId, key: string, options?: { stale?: boolean }): Promise<ApiResponse>;
  del(id: NodeId, key: string): Promise<ApiResponse>;
  /** Kills the node at once (SIGKILL): volatile state is lost, what it made durable stays. */
  kill(id: NodeId): Promise<void>;
  /** Starts the node again with the same id and data. */
  restart(id: NodeId): Promise<void>;
  /** The leader hint a client should see for this node (its KV URL). */
  kvUrl(id: NodeId): string;
  /** The indexes of the node's `[apply] index=N` lines since it last started, in order. */
  appliedIndexes(id: NodeId): Promise<number[]>;
  /** Index of the node's durable snapshot (`snapshot.json` on disk), 0 when it has none. */
  snapshotIndex(id: NodeId): Promise<number>;
}

/** What a scenario needs from the cluster it runs on; each driver factory honours these. */
export interface ClusterOptions {
  nodes: number;
  /** RAFT_SNAPSHOT_THRESHOLD: entries between snapshots. */
  snapshotThreshold?: number;
}

export class ScenarioFailure extends Error {
  override name = 'ScenarioFailure';
}
