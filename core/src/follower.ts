/** The receiver side of AppendEntries (Figure 2) and InstallSnapshot (Figure 13). */
import type { AppendEntries, AppendEntriesResponse, AppendRejectReason, InstallSnapshot, InstallSnapshotResponse } from './messages';
import type { Raft } from './raft';
import { isSameSnapshot } from './types';

export function handleAppendEntries(r: Raft, m: AppendEntries): void {
  const log = r.log;
  // Entries up to our commit index already match the leader's (Leader Completeness), so an old or
  // duplicated message that starts there only tells the leader what we have.
  if (r.tracing) r.note('Committed prefix', 'prevLogIndex < commitIndex', { prevLogIndex: m.prevLogIndex, commitIndex: log.committed }, m.prevLogIndex < log.committed, m.prevLogIndex < log.committed ? `reply true, matchIndex = ${log.committed}` : 'go on');
  if (m.prevLogIndex < log.committed) return accept(r, m, log.committed, 0);
  const matches = log.matchTerm(m.prevLogIndex, m.prevLogTerm);
  if (r.tracing) noteConsistencyCheck(r, m, matches);
  if (!matches) return rejectMismatch(r, m);
  const unsafe = r.config.unsafe;
  const { truncatedFrom, truncatedCount, appended } = log.appendFromLeader(m.entries, unsafe.truncateMatchingEntries === true);
  if (r.tracing) noteAppend(r, m, truncatedFrom, truncatedCount, appended.length);
  if (truncatedCount > 0) r.emit({ type: 'entriesTruncated', fromIndex: truncatedFrom, count: truncatedCount, leader: m.from });
  if (appended.length > 0 || truncatedCount > 0) r.configAppended(appended, truncatedFrom);
  const lastNew = m.prevLogIndex + m.entries.length;
  // Entries past the last new one are not known to match the leader's: they must not commit here.
  const commitBound = unsafe.commitPastLastNewEntry === true ? log.lastIndex() : lastNew;
  const before = log.committed;
  const target = Math.min(m.leaderCommit, commitBound);
  if (r.tracing) noteFollowerCommit(r, m.leaderCommit, before, lastNew, target, commitBound !== lastNew);
  if (log.commitTo(target)) r.emit({ type: 'commitAdvanced', from: before, to: log.committed });
  accept(r, m, lastNew, m.entries.length);
}

/** Receiver step 2 with the term this log holds at prevLogIndex ("none" past its end or compacted). */
function noteConsistencyCheck(r: Raft, m: AppendEntries, matches: boolean): void {
  const values = { prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm, myTermAtPrevLogIndex: r.log.term(m.prevLogIndex) ?? 'none', myLastIndex: r.log.lastIndex() };
  r.note('AppendEntries receiver 2', 'myTermAtPrevLogIndex != prevLogTerm', values, !matches, matches ? 'logs match up to prevLogIndex: go on' : 'reply false');
}

function noteAppend(r: Raft, m: AppendEntries, truncatedFrom: number, truncatedCount: number, appended: number): void {
  const conflict = { conflicts: truncatedCount, from: truncatedFrom };
  r.note('AppendEntries receiver 3', 'conflicts > 0', conflict, truncatedCount > 0,
    truncatedCount > 0 ? `delete ${truncatedCount} entr${truncatedCount === 1 ? 'y' : 'ies'} from index ${truncatedFrom} on` : 'no conflicting entry: delete nothing');
  const first = m.prevLogIndex + m.entries.length - appended + 1;
  const last = m.prevLogIndex + m.entries.length;
  r.note('AppendEntries receiver 4', 'newEntries > 0', { newEntries: appended, sent: m.entries.length }, appended > 0,
    appended > 0 ? `append ${appended === 1 ? `entry ${last}` : `entries ${first}-${last}`}` : 'nothing new to append');
}

function noteFollowerCommit(r: Raft, leaderCommit: number, commitIndex: number, lastNewIndex: number, target: number, unsafe: boolean): void {
  const advances = target > commitIndex;
  const bound = unsafe ? ' (unsafe: bounded by my last index, not the last new entry)' : '';
  r.note('AppendEntries receiver 5', 'leaderCommit > commitIndex', { leaderCommit, commitIndex, lastNewIndex }, leaderCommit > commitIndex,
    advances ? `commitIndex = min(leaderCommit, lastNewIndex) = ${target}${bound}` : leaderCommit > commitIndex ? `commitIndex stays ${commitIndex}: min(leaderCommit, lastNewIndex) = ${target}${bound}` : `commitIndex stays ${commitIndex}`);
}

function accept(r: Raft, m: AppendEntries, matchIndex: number, count: number): void {
  r.send(appendResponse(r, m, { success: true, matchIndex }));
  if (count > 0) r.emit({ type: 'appendAccepted', leader: m.from, prevLogIndex: m.prevLogIndex, count, matchIndex });
}

/** Receiver step 2: reply false with a hint so the leader can skip a whole term per round trip. */
function rejectMismatch(r: Raft, m: AppendEntries): void {
  const log = r.log;
  const lastLogIndex = log.lastIndex();
  let reason: AppendRejectReason;
  let conflictIndex: number;
  let conflictTerm: number;
  if (m.prevLogIndex > lastLogIndex) {
    reason = 'missing_entries';
    conflictIndex = lastLogIndex + 1;
    conflictTerm = 0;
  } else {
    reason = 'term_mismatch';
    conflictTerm = log.term(m.prevLogIndex) ?? 0;
    conflictIndex = Math.max(log.committed + 1, log.firstIndexOfTermAt(m.prevLogIndex));
  }
  r.send(appendResponse(r, m, { success: false, rejectedIndex: m.prevLogIndex, conflictIndex, conflictTerm, rejectReason: reason }));
  r.emit({
    type: 'appendRejected', leader: m.from, reason, prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm,
    conflictIndex, conflictTerm, lastLogIndex,
  });
}

export function rejectStaleAppend(r: Raft, m: AppendEntries): void {
  r.send(appendResponse(r, m, { success: false, rejectedIndex: m.prevLogIndex, rejectReason: 'stale_term' }));
  r.emit({
    type: 'appendRejected', leader: m.from, reason: 'stale_term', prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm,
    conflictIndex: 0, conflictTerm: 0, lastLogIndex: r.log.lastIndex(),
  });
}

/** Another node claims leadership of the term this node leads: refuse, say why, change nothing. */
export function rejectConflictingLeader(r: Raft, m: AppendEntries | InstallSnapshot): void {
  if (r.tracing) r.note('Election Safety', 'role == leader && term == currentTerm', { role: r.role, term: m.term, currentTerm: r.term }, true, `refuse ${m.from}: I lead this term`);
  const prevLogIndex = m.type === 'AppendEntries' ? m.prevLogIndex : m.meta.index;
  const prevLogTerm = m.type === 'AppendEntries' ? m.prevLogTerm : m.meta.term;
  if (m.type === 'AppendEntries') {
    r.send(appendResponse(r, m, { success: false, rejectedIndex: prevLogIndex, rejectReason: 'conflicting_leader' }));
  } else {
    r.send(snapshotResponse(r, m, { success: false }));
  }
  r.emit({
    type: 'appendRejected', leader: m.from, reason: 'conflicting_leader', prevLogIndex, prevLogTerm,
    conflictIndex: 0, conflictTerm: 0, lastLogIndex: r.log.lastIndex(),
  });
}

function appendResponse(r: Raft, m: AppendEntries, fields: Partial<AppendEntriesResponse>): AppendEntriesResponse {
  return {
    type: 'AppendEntriesResponse',
    from: r.id,
    to: m.from,
    term: r.term,
    success: false,
    matchIndex: 0,
    rejectedIndex: 0,
    conflictIndex: 0,
    conflictTerm: 0,
    lastLogIndex: r.log.lastIndex(),
    seq: m.seq,
    ...fields,
  };
}

/**
 * InstallSnapshot receiver (Figure 13, in chunks): if our log already holds what the snapshot
 * covers, say so; otherwise keep the chunk when it is the next one we need (it is made durable
 * before the answer goes out), and install the snapshot when the last chunk is in. A chunk that is
 * not the next one (duplicated, reordered, or the start of a transfer we already half hold) is
 * answered with how many chunks we hold, so the leader sends the right one.
 */
export function handleInstallSnapshot(r: Raft, m: InstallSnapshot): void {
  const { index, term, chunkCount } = m.meta;
  const log = r.log;
  if (r.tracing) r.note('InstallSnapshot covered', 'lastIncludedIndex <= commitIndex', { lastIncludedIndex: index, commitIndex: log.committed }, index <= log.committed, index <= log.committed ? `reply: I hold everything up to ${log.committed}` : 'go on');
  if (index <= log.committed) return r.send(snapshotResponse(r, m, { nextChunk: chunkCount, matchIndex: log.committed }));
  const holds = log.matchTerm(index, term);
  const retain = holds && r.config.unsafe.snapshotDiscardsLog !== true;
  if (r.tracing) {
    const values = { lastIncludedIndex: index, lastIncludedTerm: term, myTermAtLastIncludedIndex: log.term(index) ?? 'none' };
    r.note('InstallSnapshot receiver 6', 'myTermAtLastIncludedIndex == lastIncludedTerm', values, holds,
      retain ? `retain my log, commitIndex = ${index}, reply` : holds ? 'install it anyway (unsafe: snapshot discards the log)' : 'go on: the snapshot is needed');
  }
  if (retain) {
    // We have the entry the snapshot ends with, so everything before it matches: just commit.
    const before = log.committed;
    log.commitTo(index);
    r.emit({ type: 'commitAdvanced', from: before, to: index });
    return r.send(snapshotResponse(r, m, { nextChunk: chunkCount, matchIndex: index }));
  }
  let incoming = r.incoming;
  if (!incoming || !isSameSnapshot(incoming.meta, m.meta)) {
    // A snapshot completed a moment ago is installed with the next Ready; a newer one starts after
    // that (its chunk 0 would replace the other's chunks before they are installed).
    if (m.chunk !== 0 || log.unstable.snapshot !== null) return r.send(snapshotResponse(r, m, { nextChunk: 0 }));
    incoming = r.incoming = { meta: m.meta, received: 0 };
  }
  if (r.tracing) {
    const next = m.chunk === incoming.received;
    r.note('InstallSnapshot chunks', 'chunk == nextChunk', { chunk: m.chunk, nextChunk: incoming.received, chunkCount }, next, next ? `keep chunk ${m.chunk + 1} of ${chunkCount}` : `reply: send chunk ${incoming.received + 1} next`);
  }
  if (m.chunk !== incoming.received) return r.send(snapshotResponse(r, m, { nextChunk: incoming.received }));
  log.unstable.chunks.push({ meta: m.meta, chunk: m.chunk, data: m.data });
  incoming.received++;
  r.emit({ type: 'snapshotChunkReceived', from: m.from, index, chunk: m.chunk, chunkCount });
  if (r.tracing) r.note('InstallSnapshot receiver 7', 'received == chunkCount', { received: incoming.received, chunkCount }, incoming.received === chunkCount, incoming.received === chunkCount ? `discard the log, install the snapshot at index ${index}` : 'wait for the next chunk');
  if (incoming.received < chunkCount) return r.send(snapshotResponse(r, m, { nextChunk: incoming.received }));
  r.incoming = null;
  log.restore(m.meta);
  r.emit({ type: 'snapshotInstalled', from: m.from, index, snapshotTerm: term });
  r.configRestored(index, m.meta.config);
  r.send(snapshotResponse(r, m, { nextChunk: chunkCount, matchIndex: index }));
}

export function rejectStaleSnapshot(r: Raft, m: InstallSnapshot): void {
  r.send(snapshotResponse(r, m, { success: false }));
}

function snapshotResponse(r: Raft, m: InstallSnapshot, fields: Partial<InstallSnapshotResponse>): InstallSnapshotResponse {
  return {
    type: 'InstallSnapshotResponse', from: r.id, to: m.from, term: r.term, success: true,
    snapshotIndex: m.meta.index, nextChunk: 0, matchIndex: 0, seq: m.seq, ...fields,
  };
}
