/**
 * ReadIndex (Raft thesis 6.4): a linearizable read without writing to the log. The leader notes
 * its commit index, confirms it is still leader by hearing from a majority in response to messages
 * sent after the read arrived, then the reader waits until it has applied that index.
 *
 * Confirmation uses message sequence numbers: each message a leader sends carries a larger `seq`,
 * which followers echo. A read registered when the last seq sent was s is confirmed once a
 * majority (the leader included) answered some message with seq > s.
 */
import type { ReadIndex, ReadIndexResponse } from './messages';
import { majorityMatchIndex } from './quorum';
import type { Raft } from './raft';
import type { NodeId } from './types';

export interface ReadState {
  context: string;
  /** Serve the read once this node has applied this index. */
  index: number;
}

export type ReadDropReason = 'not_leader' | 'no_leader' | 'leadership_lost';

export interface DroppedRead {
  context: string;
  reason: ReadDropReason;
}

interface PendingRead {
  context: string;
  from: NodeId;
  index: number;
  seq: number;
}

export class ReadIndexQueue {
  /** Reads that arrived before the leader committed an entry of its term (its commit index may be stale). */
  waitingForCommit: { context: string; from: NodeId }[] = [];
  pending: PendingRead[] = [];
  /** A read was registered since the last broadcast: send heartbeats when the host takes a Ready. */
  heartbeatNeeded = false;
  /** Outputs for the next Ready. */
  readStates: ReadState[] = [];
  droppedReads: DroppedRead[] = [];

  dropAll(r: Raft, reason: ReadDropReason): void {
    const all = [...this.waitingForCommit, ...this.pending];
    this.waitingForCommit = [];
    this.pending = [];
    this.heartbeatNeeded = false;
    for (const read of all) dropRead(r, read.context, read.from, reason);
  }
}

/** The local API: a read requested by this node's own client. */
export function requestRead(r: Raft, context: string): { ok: true } | { ok: false; reason: ReadDropReason } {
  if (r.role === 'leader') {
    registerRead(r, context, r.id);
    return { ok: true };
  }
  if (r.tracing) r.note('ReadIndex 3', 'role == leader', { role: r.role, leader: r.lead }, false, r.lead === null ? 'refuse: no leader known' : `forward the read to leader ${r.lead}`);
  if (r.lead === null) return { ok: false, reason: 'no_leader' };
  const message: ReadIndex = { type: 'ReadIndex', from: r.id, to: r.lead, term: r.term, context };
  r.messages.push({ message, waitForPersist: false });
  if (r.tracing) r.tracer!.sent(message);
  return { ok: true };
}

export function handleReadIndexRequest(r: Raft, m: ReadIndex): void {
  if (r.tracing) r.note('ReadIndex 3', 'role == leader', { role: r.role }, r.role === 'leader', r.role === 'leader' ? `register ${m.from}'s read` : 'refuse: not the leader');
  if (r.role !== 'leader') return dropRead(r, m.context, m.from, 'not_leader');
  registerRead(r, m.context, m.from);
}

export function handleReadIndexResponse(r: Raft, m: ReadIndexResponse): void {
  if (m.success) r.reads.readStates.push({ context: m.context, index: m.index });
  else r.reads.droppedReads.push({ context: m.context, reason: 'not_leader' });
}

function registerRead(r: Raft, context: string, from: NodeId): void {
  if (r.tracing) {
    const ready = r.hasCommittedInTerm();
    const values = { commitIndex: r.log.committed, termOfCommitIndex: r.log.term(r.log.committed) ?? 'none', currentTerm: r.term };
    r.note('ReadIndex 1', 'termOfCommitIndex == currentTerm', values, ready, ready ? `readIndex = ${r.log.committed}` : 'wait until an entry of my term commits');
  }
  if (!r.hasCommittedInTerm()) {
    r.reads.waitingForCommit.push({ context, from });
    return;
  }
  const read = { context, from, index: r.log.committed, seq: r.seq };
  const atOnce = r.isSoleVoter() || r.config.unsafe.readWithoutQuorumCheck === true;
  if (r.tracing) {
    const result = r.isSoleVoter() ? 'I am the only voter: confirmed at once' : atOnce ? 'serve at once (unsafe: no heartbeat round)' : `send heartbeats; confirm once a majority answers one with seq > ${r.seq}`;
    r.note('ReadIndex 2', 'voters == 1', { voters: r.voters.length }, r.isSoleVoter(), result);
  }
  if (atOnce) return serveRead(r, read);
  r.reads.pending.push(read);
  r.reads.heartbeatNeeded = true;
}

export function serveReadsWaitingForCommit(r: Raft): void {
  if (r.reads.waitingForCommit.length === 0 || !r.hasCommittedInTerm()) return;
  const waiting = r.reads.waitingForCommit;
  r.reads.waitingForCommit = [];
  for (const read of waiting) registerRead(r, read.context, read.from);
}

export function releaseConfirmedReads(r: Raft): void {
  const pending = r.reads.pending;
  if (pending.length === 0) return;
  const confirmedSeq = majorityMatchIndex(r.voters, (id) => (id === r.id ? Infinity : r.progress.get(id)!.ackedSeq));
  let served = 0;
  if (r.tracing) {
    const confirms = pending[0]!.seq < confirmedSeq;
    r.note('ReadIndex 2', 'majorityAckedSeq > readSeq', { majorityAckedSeq: confirmedSeq, readSeq: pending[0]!.seq }, confirms, confirms ? 'a majority still follows me: the read is confirmed' : 'not yet confirmed');
  }
  while (served < pending.length && pending[served]!.seq < confirmedSeq) serveRead(r, pending[served++]!);
  if (served > 0) pending.splice(0, served);
}

function serveRead(r: Raft, read: PendingRead): void {
  r.emit({ type: 'readIndexConfirmed', context: read.context, index: read.index });
  if (read.from === r.id) r.reads.readStates.push({ context: read.context, index: read.index });
  else r.send({ type: 'ReadIndexResponse', from: r.id, to: read.from, term: r.term, context: read.context, success: true, index: read.index });
}

function dropRead(r: Raft, context: string, from: NodeId, reason: ReadDropReason): void {
  r.emit({ type: 'readDropped', context, reason });
  if (from === r.id) r.reads.droppedReads.push({ context, reason });
  else r.send({ type: 'ReadIndexResponse', from: r.id, to: from, term: r.term, context, success: false, index: 0 });
}
