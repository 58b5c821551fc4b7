/**
 * Live mode's wire contract: what a real node streams to the playground over socket.io, and how
 * the supervisor of `npm start` is driven. Real nodes and the simulator describe a node with the
 * same fields, so the playground renders both with the same views.
 *
 * Node (socket.io server on its Raft port, default path /socket.io):
 *   - on connect and whenever something changes (at most every `liveStatusIntervalMs`):
 *     event 'status' with a LiveNodeStatus;
 *   - event 'events' with LiveEvent[] (core events, oldest first, batched).
 *   CORS: the KV and Raft ports allow the origins configured on the node (the supervisor's page).
 *
 * Node fault injection (Raft port), off unless the node starts with it enabled, loopback callers
 * only, and the cluster token (`Authorization: Bearer <token>`, as on the RPCs) when one is set:
 *   GET  /admin/faults -> LiveFaults
 *   POST /admin/faults  body LiveFaults (replaces the current setting; {} heals)
 *   `dropTo`: this node sends nothing to these peers (requests, and answers to their requests).
 *   `dropFrom`: this node ignores what these peers send (their requests, and answers to its own).
 *   A one-way cut a->b is a.dropTo=[b]; isolating x is x.dropTo = x.dropFrom = every peer.
 *
 * Supervisor (`npm start`, serves the built playground on its own origin):
 *   GET  /api/cluster -> LiveCluster
 *   POST /api/nodes/:id/kill     (SIGKILL)      -> { ok: true }
 *   POST /api/nodes/:id/restart  (same id, data) -> { ok: true }
 *   POST /api/faults  body LiveFaultCommand      -> { ok: true, faults: Record<NodeId, LiveFaults> }
 */
import type { RaftEvent } from './events';
import type { NodeState } from './node-state';
import type { Entry, NodeId, Role } from './types';

/** How many of the newest log entries a node includes in each status. */
export const liveLogTail = 40;
/** Most KV pairs a status carries (kvTruncated says when there were more). */
export const liveKvMax = 200;
/** Statuses are sent at most this often. */
export const liveStatusIntervalMs = 100;

export interface LiveFaults {
  dropTo?: NodeId[];
  dropFrom?: NodeId[];
}

/** A real node's state: the NodeState every world shares, plus what only a real node has. */
export interface LiveNodeStatus extends NodeState {
  kvUrl: string;
  raftUrl: string;
  /** Epoch ms on the node when this status was taken. */
  at: number;
  role: Role;
  /** How long one tick of the election timer is. */
  tickMs: number;
  /** The newest entries (at most liveLogTail), oldest first. */
  entries: Entry[];
  kv: [string, string][];
  kvTruncated: boolean;
  faults: LiveFaults;
  peers: { id: NodeId; kvUrl: string; raftUrl: string }[];
}

export interface LiveEvent {
  /** Epoch ms on the node. */
  at: number;
  event: RaftEvent;
}

export interface LiveClusterNode {
  id: NodeId;
  kvUrl: string;
  raftUrl: string;
  /** The node's socket.io endpoint (its Raft port). */
  observeUrl: string;
  /** Whether the supervisor's process for it is running. */
  state: 'running' | 'stopped' | 'starting';
  pid: number | null;
}

export interface LiveCluster {
  nodes: LiveClusterNode[];
}

export type LiveFaultCommand =
  | { type: 'isolate'; node: NodeId }
  | { type: 'cut'; from: NodeId; to: NodeId; bothWays: boolean }
  | { type: 'heal'; from: NodeId; to: NodeId; bothWays: boolean }
  | { type: 'healAll' };
