/**
 * Live mode's view math: what the real nodes and the supervisor said, turned into the same
 * NodeSnapshot the simulator's engine builds, so the ring, the logs and the panels draw both
 * alike. Pure functions over plain data (the wire types of core/src/live.ts); no sockets, no
 * clock, no DOM.
 */
import type { LiveClusterNode, LiveFaults, LiveNodeStatus, NodeId } from '@raft-kv/core';
import { describeCommand } from '../engine/narrate';
import type { EntryView, FollowerProgressView, LiveDownReason, MemberRole, NodeSnapshot } from '../engine/protocol';
import { displayRoleOf } from '../engine/snapshot';

/** How many of the newest indexes live mode aligns (a status carries a few more entries than this). */
export const liveLogWindowSize = 30;

/** The page's line to one node: its status stream (socket.io) and the newest status it sent. */
export interface NodeLink {
  /** 'connecting' until the first attempt ends; 'disconnected' after a failure or a loss. */
  socket: 'connecting' | 'connected' | 'disconnected';
  /** The newest status, kept after a disconnect: its durable part is what the node's disk held. */
  status: LiveNodeStatus | null;
  /** A status arrived since the socket last connected (a status from an earlier life does not count). */
  fresh: boolean;
  /** Page time (ms since the session started) the newest status arrived. */
  receivedAt: number;
}

export const emptyLink = (): NodeLink => ({ socket: 'connecting', status: null, fresh: false, receivedAt: -Infinity });

/** The supervisor's answer to the last fault command, kept until every node has reported since. */
export interface FaultOverlay {
  faults: Record<NodeId, LiveFaults>;
  /** Page time the answer arrived. */
  at: number;
}

/**
 * Whether a node is down, and why. The supervisor knows whether the process runs; the stream
 * knows whether the page hears it. A stream that delivers statuses proves the process runs even
 * before the supervisor's next answer says so (after a restart), but a process the supervisor
 * reports stopped is down even if its stream has not noticed yet (just after a kill).
 */
export function downReason(process: LiveClusterNode['state'] | 'unknown', link: NodeLink): LiveDownReason | null {
  if (process === 'stopped') return 'stopped';
  if (link.socket === 'connected' && link.fresh && link.status) return null;
  if (process === 'starting') return 'starting';
  if (link.socket === 'connecting') return 'connecting';
  return 'unreachable';
}

/** The newest `size` indexes any node holds (durable only, for a node that is down): the columns all rows share. */
export function liveLogWindow(nodes: readonly Pick<NodeSnapshot, 'up' | 'lastIndex' | 'durable'>[], size = liveLogWindowSize): { lo: number; hi: number } {
  let hi = 0;
  for (const n of nodes) hi = Math.max(hi, n.up ? n.lastIndex : n.durable.lastIndex);
  return { lo: Math.max(1, hi - size + 1), hi };
}

/** The entries of a status's tail inside the window; an entry is on disk when the node's durable log reaches it. */
export function windowEntries(status: Pick<LiveNodeStatus, 'entries' | 'durable'>, window: { lo: number; hi: number }, upTo = Infinity): EntryView[] {
  const out: EntryView[] = [];
  for (const e of status.entries) {
    if (e.index < window.lo || e.index > window.hi || e.index > upTo) continue;
    out.push({ index: e.index, term: e.term, label: describeCommand(e.command), durable: e.index <= status.durable.lastIndex && e.index > status.durable.snapshotIndex });
  }
  return out;
}

export function votesView(votes: LiveNodeStatus['votes']): NodeSnapshot['votes'] {
  if (!votes) return null;
  const out: Record<NodeId, 'granted' | 'rejected'> = {};
  for (const [peer, granted] of Object.entries(votes)) out[peer] = granted ? 'granted' : 'rejected';
  return out;
}

export function progressView(progress: LiveNodeStatus['progress'], self: NodeId): Record<NodeId, FollowerProgressView> | null {
  if (!progress) return null;
  const out: Record<NodeId, FollowerProgressView> = {};
  for (const [peer, p] of Object.entries(progress)) if (peer !== self) out[peer] = { match: p.match, next: p.next, state: p.state };
  return out;
}

/** The faults a node applies: the supervisor's newer answer until the node itself reports after it. */
export function faultsOf(id: NodeId, link: NodeLink, overlay: FaultOverlay | null): LiveFaults {
  if (overlay && overlay.faults[id] && !(link.fresh && link.receivedAt > overlay.at)) return overlay.faults[id]!;
  return link.status?.faults ?? {};
}

/** Directed links that deliver nothing, as "from>to" (the simulator's notation): a.dropTo b and b.dropFrom a both cut a->b. */
export function cutLinksOf(faults: Record<NodeId, LiveFaults>, ids: readonly NodeId[]): string[] {
  const cut = new Set<string>();
  for (const id of ids) {
    const f = faults[id];
    if (!f) continue;
    for (const to of f.dropTo ?? []) if (to !== id && ids.includes(to)) cut.add(`${id}>${to}`);
    for (const from of f.dropFrom ?? []) if (from !== id && ids.includes(from)) cut.add(`${from}>${id}`);
  }
  return [...cut].sort();
}

const noDisk = { term: 0, vote: null, commit: 0, lastIndex: 0, snapshotIndex: 0 };
const noApplies = { last: [], count: 0, increasing: true };

export interface NodeInput {
  id: NodeId;
  /** The supervisor's entry for the node (undefined before its first answer). */
  cluster: LiveClusterNode | undefined;
  link: NodeLink;
  faults: LiveFaults;
}

/**
 * One node as the views draw it. Up: everything from its newest status. Down (stopped,
 * starting, unreachable): what its disk held at its last status, as the simulator shows a crashed
 * node (memory, the KV map and the role are gone).
 */
export function liveNodeSnapshot(input: NodeInput, window: { lo: number; hi: number }): NodeSnapshot {
  const { id, cluster, link, faults } = input;
  const s = link.status;
  const reason = downReason(cluster?.state ?? 'unknown', link);
  const live: NonNullable<NodeSnapshot['live']> = {
    process: cluster?.state ?? 'unknown',
    pid: cluster?.pid ?? null,
    connected: link.socket === 'connected',
    downReason: reason,
    kvUrl: cluster?.kvUrl ?? s?.kvUrl ?? '',
    raftUrl: cluster?.raftUrl ?? s?.raftUrl ?? '',
    kvTruncated: reason === null && s !== null && s.kvTruncated,
    dropTo: faults.dropTo ?? [],
    dropFrom: faults.dropFrom ?? [],
    tickMs: s?.tickMs ?? 0,
  };
  if (reason === null && s) {
    return {
      id, up: true, role: s.role, displayRole: displayRoleOf(s.role), term: s.term, votedFor: s.votedFor, leaderId: s.leaderId,
      commitIndex: s.commitIndex, lastApplied: s.lastApplied, lastIndex: s.lastIndex, snapshotIndex: s.snapshotIndex,
      logLength: s.lastIndex - s.snapshotIndex, durable: s.durable, timer: s.timer, votes: votesView(s.votes), preVote: s.role === 'preCandidate',
      progress: progressView(s.progress, id), entries: windowEntries(s, window), kv: s.kv, persisting: s.persisting,
      applyLog: s.applyLog, lastHeartbeatAgoMs: s.lastHeartbeatAgoMs, live,
    };
  }
  const d = s?.durable ?? noDisk;
  return {
    id, up: false, role: 'down', displayRole: 'down', term: d.term, votedFor: d.vote, leaderId: null, commitIndex: d.commit, lastApplied: 0,
    lastIndex: d.lastIndex, snapshotIndex: d.snapshotIndex, logLength: d.lastIndex - d.snapshotIndex, durable: d, timer: null, votes: null,
    preVote: false, progress: null, entries: s ? windowEntries(s, window, d.lastIndex) : [], kv: null, persisting: false,
    applyLog: s?.applyLog ?? noApplies, lastHeartbeatAgoMs: -1, live,
  };
}

/** Every node of the cluster, in the supervisor's order, with the window their logs share. */
export function liveNodes(inputs: readonly NodeInput[]): { nodes: NodeSnapshot[]; logWindow: { lo: number; hi: number } } {
  const heads = inputs.map((i) => {
    const up = downReason(i.cluster?.state ?? 'unknown', i.link) === null;
    const d = i.link.status?.durable ?? noDisk;
    return { up, lastIndex: i.link.status?.lastIndex ?? 0, durable: d };
  });
  const window = liveLogWindow(heads);
  const config = clusterConfiguration(inputs);
  const nodes = inputs.map((input) => liveNodeSnapshot(input, window));
  return { nodes: config ? nodes.map((n) => ({ ...n, member: memberRoleIn(config, n.id) })) : nodes, logWindow: window };
}

/**
 * The membership the cluster is in, as the simulator's page marks it: the configuration of the
 * leader with the highest term, else (nobody leads) the newest configuration any node up reports.
 * Null before any node has answered.
 */
export function clusterConfiguration(inputs: readonly NodeInput[]): { voters: readonly NodeId[]; learners: readonly NodeId[] } | null {
  const statuses = inputs.filter((i) => downReason(i.cluster?.state ?? 'unknown', i.link) === null).map((i) => i.link.status).filter((s) => s !== null && s !== undefined);
  const leaders = statuses.filter((s) => s.role === 'leader').sort((a, b) => b.term - a.term);
  const source = leaders[0] ?? [...statuses].sort((a, b) => b.configIndex - a.configIndex)[0];
  return source ? { voters: source.voters, learners: source.learners } : null;
}

const memberRoleIn = (config: { voters: readonly NodeId[]; learners: readonly NodeId[] }, id: NodeId): MemberRole =>
  config.voters.includes(id) ? 'voter' : config.learners.includes(id) ? 'learner' : 'none';

/** Where a client request goes: a node by id, or "the leader" (the live leader with the highest term, else the first node up). */
export function clientNode(target: NodeId | 'leader', nodes: readonly NodeSnapshot[]): NodeSnapshot | undefined {
  if (target !== 'leader') return nodes.find((n) => n.id === target);
  let best: NodeSnapshot | undefined;
  for (const n of nodes) if (n.displayRole === 'leader' && (!best || n.term > best.term)) best = n;
  return best ?? nodes.find((n) => n.up) ?? nodes[0];
}
