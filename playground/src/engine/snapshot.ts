/**
 * Reads a Simulation and turns what the views need into plain data (NodeSnapshot, MessageView).
 * Read-only: nothing here changes the simulation, so building a snapshot never alters a run.
 */
import type { Entry, Message, NodeId } from '@raft-kv/core';
import type { InFlightMessage, Simulation } from '@raft-kv/core/sim';
import { describeCommand } from './narrate';
import type { DisplayRole, EntryView, MessageView, NodeSnapshot } from './protocol';

/** How many log indexes a snapshot carries for the aligned log view (the view scrolls over all of them). */
export const logWindowSize = 60;
/** How many `[apply]` lines of a node's life the snapshot carries. */
const applyLinesMax = 20;

export function displayRoleOf(role: NodeSnapshot['role']): DisplayRole {
  return role === 'preCandidate' ? 'follower' : role;
}

/** The highest index any node holds, durable or not. */
export function lastIndexOfAll(sim: Simulation): number {
  let hi = 0;
  for (const id of sim.nodeIds) {
    const node = sim.node(id);
    hi = Math.max(hi, node.raft ? node.raft.lastIndex : node.storage.lastIndex());
  }
  return hi;
}

/**
 * The indexes every log row shows, aligned: `size` of them from `lo`, or the newest `size` when
 * `lo` is null (the view follows the end of the logs).
 */
export function logWindow(sim: Simulation, lo: number | null = null, size = logWindowSize): { lo: number; hi: number } {
  const last = lastIndexOfAll(sim);
  if (lo === null) return { lo: Math.max(1, last - size + 1), hi: last };
  const from = Math.max(1, Math.min(lo, last - size + 1));
  return { lo: from, hi: Math.min(last, from + size - 1) };
}

function entryView(entry: Entry, durable: boolean): EntryView {
  const view: EntryView = { index: entry.index, term: entry.term, label: describeCommand(entry.command), durable };
  return entry.command.op === 'config' ? { ...view, config: true } : view;
}

function windowEntries(sim: Simulation, id: NodeId, lo: number, hi: number): EntryView[] {
  const node = sim.node(id);
  const storage = node.storage;
  // An entry is on disk when the storage holds the same index with the same term.
  const isDurable = (e: Entry) => storage.term(e.index) === e.term && e.index >= storage.firstIndex();
  if (node.raft) {
    const from = Math.max(lo, node.raft.firstIndex);
    const to = Math.min(hi, node.raft.lastIndex);
    if (from > to) return [];
    return (node.raft.entries(from, to + 1) ?? []).map((e) => entryView(e, isDurable(e)));
  }
  const from = Math.max(lo, storage.firstIndex());
  const to = Math.min(hi, storage.lastIndex());
  if (from > to) return [];
  return storage.entries(from, to + 1).map((e) => entryView(e, true));
}

/**
 * The answers a candidate (or pre-candidate) has received in the election it is running now: its
 * own record of them, so a refusal shows only once it has arrived (not when the voter decided).
 */
export function electionVotes(received: Record<NodeId, boolean> | null, self: NodeId): Record<NodeId, 'granted' | 'rejected'> {
  const votes: Record<NodeId, 'granted' | 'rejected'> = {};
  for (const [peer, granted] of Object.entries(received ?? {})) if (peer !== self) votes[peer] = granted ? 'granted' : 'rejected';
  return votes;
}

function applyLogView(indexes: readonly number[]): NodeSnapshot['applyLog'] {
  let increasing = true;
  for (let i = 1; i < indexes.length && increasing; i++) increasing = indexes[i]! > indexes[i - 1]!;
  return { last: indexes.slice(-applyLinesMax), count: indexes.length, increasing };
}

export function nodeSnapshot(sim: Simulation, id: NodeId, window: { lo: number; hi: number }): NodeSnapshot {
  const node = sim.node(id);
  const view = sim.view(id);
  const storage = node.storage;
  const hs = storage.hardStateNow();
  const durable = { term: hs.term, vote: hs.vote, commit: hs.commit, lastIndex: storage.lastIndex(), snapshotIndex: storage.firstIndex() - 1 };
  const status = node.raft?.status() ?? null;
  const role = view.role;
  const campaigning = role === 'candidate' || role === 'preCandidate';
  const preVote = role === 'preCandidate';
  const progress = status?.progress
    ? Object.fromEntries(Object.entries(status.progress).filter(([peer]) => peer !== id).map(([peer, p]) => [peer, { match: p.match, next: p.next, state: p.state }]))
    : null;
  return {
    id,
    up: view.up,
    role,
    displayRole: displayRoleOf(role),
    term: view.term,
    votedFor: view.votedFor,
    leaderId: view.leaderId,
    commitIndex: view.commitIndex,
    lastApplied: view.lastApplied,
    lastIndex: view.lastIndex,
    snapshotIndex: view.snapshotIndex,
    logLength: view.logLength,
    durable,
    timer: status && status.role !== 'leader' ? { elapsed: status.electionElapsed, timeout: status.electionTimeout } : null,
    votes: campaigning ? electionVotes(status?.votes ?? null, id) : null,
    preVote,
    progress,
    entries: windowEntries(sim, id, window.lo, window.hi),
    kv: node.raft ? node.kv.entries() : null,
    persisting: node.persisting !== null,
    applyLog: applyLogView(node.applyLog),
    lastHeartbeatAgoMs: view.lastHeartbeatAgoMs,
    ...(node.raft ? { config: { voters: [...node.raft.configuration.voters], learners: [...node.raft.configuration.learners] } } : {}),
  };
}

/**
 * Marks each node voter, learner or neither, in the membership the cluster is in: the leader's
 * configuration (the newest leader's, if a deposed one has not noticed yet), else, while nobody
 * leads, the configuration of the node with the most advanced log.
 */
export function withMembership(sim: Simulation, nodes: NodeSnapshot[]): NodeSnapshot[] {
  const up = nodes.filter((n) => n.up && n.config);
  const byLog = (a: NodeSnapshot, b: NodeSnapshot) => b.term - a.term || b.lastIndex - a.lastIndex;
  const source = [...up.filter((n) => n.role === 'leader')].sort(byLog)[0] ?? [...up].sort(byLog)[0];
  const config = source?.config ?? sim.node(sim.nodeIds[0]!).raft?.configuration;
  if (!config) return nodes;
  return nodes.map((n) => ({ ...n, member: config.voters.includes(n.id) ? 'voter' : config.learners.includes(n.id) ? 'learner' : 'none' }));
}

type Field = [string, string];

function messageFields(m: Message): Field[] {
  const f = (k: string, v: unknown): Field => [k, typeof v === 'string' ? v : JSON.stringify(v)];
  const base = [f('type', m.type), f('from', m.from), f('to', m.to), f('term', m.term)];
  switch (m.type) {
    case 'RequestVote':
      return [...base, f('lastLogIndex', m.lastLogIndex), f('lastLogTerm', m.lastLogTerm), f('preVote', m.preVote), ...(m.transfer ? [f('transfer', true)] : [])];
    case 'RequestVoteResponse':
      return [...base, f('voteGranted', m.voteGranted), f('preVote', m.preVote), ...(m.rejectReason ? [f('rejectReason', m.rejectReason)] : [])];
    case 'AppendEntries': {
      const entries = m.entries.map((e) => `${e.index}:t${e.term} ${describeCommand(e.command)}`);
      return [...base, f('prevLogIndex', m.prevLogIndex), f('prevLogTerm', m.prevLogTerm), f('leaderCommit', m.leaderCommit),
        f('entries', entries.length === 0 ? '(none: heartbeat)' : entries.slice(0, 8).join(', ') + (entries.length > 8 ? ` … (${entries.length})` : ''))];
    }
    case 'AppendEntriesResponse':
      return m.success
        ? [...base, f('success', true), f('matchIndex', m.matchIndex)]
        : [...base, f('success', false), f('rejectReason', m.rejectReason ?? ''), f('rejectedIndex', m.rejectedIndex),
          f('conflictIndex', m.conflictIndex), f('conflictTerm', m.conflictTerm), f('lastLogIndex', m.lastLogIndex)];
    case 'InstallSnapshot':
      return [...base, f('snapshotIndex', m.meta.index), f('snapshotTerm', m.meta.term), f('chunk', `${m.chunk + 1} of ${m.meta.chunkCount}`), f('bytes', m.data.length)];
    case 'InstallSnapshotResponse':
      return [...base, f('success', m.success), f('nextChunk', m.nextChunk), f('matchIndex', m.matchIndex)];
    case 'ReadIndex':
      return [...base, f('context', m.context)];
    case 'ReadIndexResponse':
      return [...base, f('success', m.success), f('index', m.index)];
    case 'TimeoutNow':
    case 'TimeoutNowResponse':
      return base;
  }
}

function verdictOf(m: Message): { granted: boolean; rejected: boolean } {
  switch (m.type) {
    case 'RequestVoteResponse': return { granted: m.voteGranted, rejected: !m.voteGranted };
    case 'AppendEntriesResponse': return { granted: m.success, rejected: !m.success };
    case 'ReadIndexResponse': return { granted: m.success, rejected: !m.success };
    default: return { granted: false, rejected: false };
  }
}

export function messageView(flight: InFlightMessage): MessageView {
  const m = flight.message;
  return {
    id: flight.id,
    type: m.type,
    from: m.from,
    to: m.to,
    term: m.term,
    sentAt: flight.sentAt,
    deliverAt: flight.deliverAt,
    heartbeat: m.type === 'AppendEntries' && m.entries.length === 0,
    ...verdictOf(m),
    preVote: (m.type === 'RequestVote' || m.type === 'RequestVoteResponse') && m.preVote,
    entryCount: m.type === 'AppendEntries' ? m.entries.length : 0,
    duplicate: flight.duplicate,
    fields: messageFields(m),
  };
}
