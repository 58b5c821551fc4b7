/**
 * The leader side of log replication (5.3): batching (up to entriesPerMessageMax entries per
 * AppendEntries), pipelining (up to inflightMessagesMax in flight per follower), fast backtracking,
 * snapshots streamed in chunks to followers behind the compacted log, and the commit rule (5.3, 5.4.2).
 */
import type { AppendEntriesResponse, InstallSnapshotResponse } from './messages';
import type { Progress } from './progress';
import { majorityMatchIndex } from './quorum';
import type { Raft } from './raft';
import { releaseConfirmedReads, serveReadsWaitingForCommit } from './read-index';
import type { NodeId } from './types';

/**
 * Sends every follower the entries it is missing: called when the host takes a Ready, so proposals
 * made since the last Ready travel together. A new commit index alone sends nothing: followers learn
 * it from the next AppendEntries or heartbeat (as in the paper), which halves the messages under
 * steady load. Reads on followers do not wait for it, since ReadIndex's heartbeat round carries it.
 */
export function flushAppends(r: Raft): void {
  if (!r.appendPending) return;
  r.appendPending = false;
  // A leader that stepped down while handling this input (a removal that committed) sends nothing.
  if (r.role !== 'leader') return;
  for (const id of r.peers) {
    const pr = r.progress.get(id)!;
    if (pr.state === 'snapshot') sendSnapshotChunks(r, id, pr);
    else while (maybeSendAppend(r, id, pr));
  }
}

/** Sends one AppendEntries (or a snapshot) with new entries if flow control allows. */
function maybeSendAppend(r: Raft, to: NodeId, pr: Progress): boolean {
  if (pr.isPaused()) return false;
  const lastIndex = r.log.lastIndex();
  if (pr.next > lastIndex) return false;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = r.log.term(prevLogIndex);
  const entries = r.log.slice(pr.next, lastIndex + 1, r.config.entriesPerMessageMax);
  if (prevLogTerm === undefined || entries === undefined) return sendSnapshot(r, to, pr);
  const leaderCommit = r.log.committed;
  if (r.tracing) {
    const values = { follower: to, lastLogIndex: lastIndex, nextIndex: pr.next };
    const last = prevLogIndex + entries.length;
    r.note('Leaders 3', 'lastLogIndex >= nextIndex', values, true, `send ${to} AppendEntries with ${entries.length === 1 ? `entry ${last}` : `entries ${pr.next}-${last}`} after prevLogIndex ${prevLogIndex} (term ${prevLogTerm})`);
  }
  r.send({ type: 'AppendEntries', from: r.id, to, term: r.term, prevLogIndex, prevLogTerm, entries, leaderCommit, seq: ++r.seq });
  pr.sentEntries(entries.length, prevLogIndex + entries.length);
  return true;
}

/** The follower needs entries the log no longer holds: stream it the latest snapshot instead. */
function sendSnapshot(r: Raft, to: NodeId, pr: Progress): boolean {
  startSnapshot(r, to, pr);
  sendSnapshotChunks(r, to, pr);
  return false;
}

function startSnapshot(r: Raft, to: NodeId, pr: Progress): void {
  const snapshot = r.log.storage.snapshot();
  if (r.tracing) r.note('Leaders snapshot', 'nextIndex < firstIndex', { follower: to, nextIndex: pr.next, firstIndex: r.log.firstIndex(), snapshotIndex: snapshot.index }, true, `send ${to} the snapshot at index ${snapshot.index} in ${snapshot.chunkCount} chunks`);
  pr.becomeSnapshot(snapshot);
  r.emit({ type: 'snapshotSent', to, index: snapshot.index, snapshotTerm: snapshot.term, chunkCount: snapshot.chunkCount, fromChunk: 0 });
}

/**
 * Sends the chunks the window allows. A follower that already holds some chunks of the same
 * snapshot (it restarted halfway) answers chunk 0 with how many it has, and the stream resumes there.
 */
function sendSnapshotChunks(r: Raft, to: NodeId, pr: Progress): void {
  const storage = r.log.storage;
  // The leader took a newer snapshot meanwhile (and may have dropped the old one): send that one.
  if (storage.snapshot().index !== pr.pendingSnapshot) startSnapshot(r, to, pr);
  const meta = storage.snapshot();
  const count = pr.snapshotChunksToSend(r.config.snapshotChunksInflightMax);
  if (r.tracing && count > 0) {
    const values = { follower: to, nextChunk: pr.snapshotNext, acked: pr.snapshotAcked, window: r.config.snapshotChunksInflightMax, chunkCount: meta.chunkCount };
    r.note('Snapshot chunks', 'nextChunk - acked < window', values, true, `send ${to} chunk${count === 1 ? ` ${pr.snapshotNext + 1}` : `s ${pr.snapshotNext + 1}-${pr.snapshotNext + count}`} of ${meta.chunkCount}`);
  }
  for (let n = count; n > 0; n--) {
    const chunk = pr.snapshotNext++;
    r.send({ type: 'InstallSnapshot', from: r.id, to, term: r.term, meta, chunk, data: storage.snapshotChunk(chunk), seq: ++r.seq });
  }
}

/**
 * A heartbeat is an empty AppendEntries that starts at the follower's match index, so it never
 * fails the consistency check however many appends are still in flight, and carries the commit
 * index as far as the follower is known to hold entries.
 */
function sendHeartbeat(r: Raft, to: NodeId, pr: Progress): void {
  let prevLogIndex = pr.match;
  let prevLogTerm = r.log.term(prevLogIndex);
  if (prevLogTerm === undefined) {
    // The follower's match point is compacted: start at index 0, which always matches.
    prevLogIndex = 0;
    prevLogTerm = 0;
  }
  const leaderCommit = Math.min(r.log.committed, prevLogIndex);
  r.send({ type: 'AppendEntries', from: r.id, to, term: r.term, prevLogIndex, prevLogTerm, entries: [], leaderCommit, seq: ++r.seq });
}

export function sendHeartbeats(r: Raft): void {
  for (const id of r.peers) sendHeartbeat(r, id, r.progress.get(id)!);
  r.appendPending = true;
}

/** Once per tick: a follower whose appends or snapshot went unanswered for too long is probed again. */
export function tickFollowerRetransmits(r: Raft): void {
  for (const id of r.peers) {
    const pr = r.progress.get(id)!;
    const outstanding = pr.state === 'snapshot' || pr.probeSent || pr.match < pr.next - 1;
    if (!outstanding) {
      pr.stalledTicks = 0;
      continue;
    }
    pr.stalledTicks++;
    const limit = pr.state === 'snapshot' ? r.config.snapshotRetransmitTicks : r.config.appendRetransmitTicks;
    if (pr.stalledTicks < limit) continue;
    r.appendPending = true;
    if (pr.state === 'snapshot') {
      // Chunks were lost: send again from the first one the follower has not acknowledged.
      pr.stalledTicks = 0;
      pr.snapshotNext = pr.snapshotAcked;
      r.emit({ type: 'snapshotSent', to: id, index: pr.pendingSnapshot, snapshotTerm: r.log.storage.snapshot().term, chunkCount: pr.snapshotChunkCount, fromChunk: pr.snapshotAcked });
      continue;
    }
    // Messages were lost: fall back to probing from the last index we know the follower holds.
    if (r.tracing) r.note('Retransmit', 'stalledTicks >= retransmitTicks', { follower: id, stalledTicks: pr.stalledTicks, retransmitTicks: limit, matchIndex: pr.match }, true, `probe ${id} again from index ${pr.match + 1}`);
    pr.resetToProbe(pr.match + 1);
    r.emit({ type: 'followerBackedOff', follower: id, nextIndex: pr.next, matchIndex: pr.match, reason: 'appends unanswered' });
  }
}

export function handleAppendResponse(r: Raft, m: AppendEntriesResponse): void {
  const pr = r.progress.get(m.from);
  if (!pr) return;
  noteHeardFrom(r, pr, m.seq);
  // The response covers what its own request carried; how far we have sent since is not acknowledged.
  if (m.success) onAppendAccepted(r, m.from, pr, r.config.unsafe.matchFromNextIndex === true ? Math.max(m.matchIndex, pr.next - 1) : m.matchIndex);
  else onAppendRejected(r, m.from, pr, m);
}

export function handleSnapshotResponse(r: Raft, m: InstallSnapshotResponse): void {
  const pr = r.progress.get(m.from);
  if (!pr) return;
  noteHeardFrom(r, pr, m.seq);
  if (!m.success) return;
  // It holds everything the snapshot covers (it installed it, or already had it).
  if (m.matchIndex > 0) return onAppendAccepted(r, m.from, pr, m.matchIndex);
  if (pr.state !== 'snapshot' || m.snapshotIndex !== pr.pendingSnapshot) return;
  if (pr.snapshotAcknowledged(m.nextChunk)) r.appendPending = true;
}

function noteHeardFrom(r: Raft, pr: Progress, seq: number): void {
  pr.recentActive = true;
  if (seq > pr.ackedSeq) {
    pr.ackedSeq = seq;
    releaseConfirmedReads(r);
  }
}

function onAppendAccepted(r: Raft, id: NodeId, pr: Progress, matchIndex: number): void {
  const before = pr.match;
  const advanced = pr.maybeUpdate(matchIndex);
  if (advanced) pr.matchSeq = r.seq;
  if (r.tracing) {
    r.note('Leaders 3.1', 'success && reportedMatch > matchIndex', { follower: id, success: true, reportedMatch: matchIndex, matchIndex: before }, advanced,
      advanced ? `matchIndex[${id}] = ${pr.match}, nextIndex[${id}] = ${pr.next}` : `matchIndex[${id}] stays ${pr.match} (nothing new)`);
  }
  // A follower that holds the snapshot (even one it already had) is back in step.
  if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
  else if (!advanced) return;
  else if (pr.state === 'probe') pr.becomeReplicate();
  else if (pr.state === 'replicate') pr.inflights.freeTo(pr.match);
  if (advanced) maybeCommit(r);
  r.appendPending = true;
  // The transfer target has caught up: it may take over now.
  if (r.role === 'leader' && r.leadTransferee === id && pr.match === r.log.lastIndex()) {
    if (r.tracing) r.note('TimeoutNow', 'matchIndex == lastLogIndex', { target: id, matchIndex: pr.match, lastLogIndex: r.log.lastIndex() }, true, `${id} has caught up: send it TimeoutNow`);
    sendTimeoutNow(r, id);
  }
}

/**
 * Leadership transfer (thesis 3.10, etcd's MsgTransferLeader): stop taking writes, bring the
 * target up to date, then tell it to campaign (TimeoutNow). The leader gives up after an election
 * timeout (tickLeader). Returns false when the target cannot lead.
 */
export function transferLeadership(r: Raft, target: NodeId): 'started' | 'self' | 'not_voter' {
  if (target === r.id) return 'self';
  if (!r.voters.includes(target)) return 'not_voter';
  r.leadTransferee = target;
  r.transferElapsed = 0;
  const pr = r.progress.get(target)!;
  const caughtUp = pr.match === r.log.lastIndex();
  if (r.tracing) r.note('TimeoutNow', 'matchIndex == lastLogIndex', { target, matchIndex: pr.match, lastLogIndex: r.log.lastIndex() }, caughtUp, caughtUp ? `${target} has caught up: send it TimeoutNow` : `bring ${target} up to date first; refuse writes meanwhile`);
  r.emit({ type: 'transferStarted', target, caughtUp });
  if (caughtUp) sendTimeoutNow(r, target);
  else r.appendPending = true;
  return 'started';
}

function sendTimeoutNow(r: Raft, target: NodeId): void {
  r.send({ type: 'TimeoutNow', from: r.id, to: target, term: r.term });
  r.emit({ type: 'timeoutNowSent', target });
}

function onAppendRejected(r: Raft, id: NodeId, pr: Progress, m: AppendEntriesResponse): void {
  // A higher term already made us step down; a conflicting leader's refusal says nothing about the log.
  if (m.rejectReason === 'stale_term' || m.rejectReason === 'conflicting_leader') return;
  const hint = nextIndexHint(r, m);
  const before = pr.next;
  // Only a rejection with hints (conflictIndex > 0) says where the follower's log ends.
  const lost = m.conflictIndex > 0 && pr.maybeForgetMatch(m.lastLogIndex, m.seq, Math.min(m.rejectedIndex, hint));
  const moved = lost || pr.maybeDecreaseTo(m.rejectedIndex, hint);
  if (r.tracing) noteBackOff(r, id, m, before, moved ? pr.next : before, moved);
  if (!moved) return;
  r.emit({ type: 'followerBackedOff', follower: id, nextIndex: pr.next, matchIndex: pr.match, reason: m.rejectReason ?? 'rejected' });
  r.appendPending = true;
}

function noteBackOff(r: Raft, id: NodeId, m: AppendEntriesResponse, before: number, after: number, moved: boolean): void {
  const values = { follower: id, rejectedIndex: m.rejectedIndex, conflictIndex: m.conflictIndex, conflictTerm: m.conflictTerm, nextIndex: before };
  r.note('Leaders 3.2', 'success == false', { follower: id, success: false, reason: m.rejectReason ?? 'rejected' }, true, moved ? `nextIndex[${id}] = ${after}, retry` : 'an older rejection: nextIndex stays');
  if (r.config.fastBacktracking && moved) r.note('Fast backtracking', 'conflictIndex > 0', values, m.conflictIndex > 0, `skip to nextIndex ${after} in one round trip`);
}

/**
 * Where to retry after a rejection: just past our last entry of the follower's conflicting term if
 * we have that term, else the first index of that term in the follower's log, or just past its end.
 */
function nextIndexHint(r: Raft, m: AppendEntriesResponse): number {
  // Figure 2 without the optimization: one entry back per rejection.
  if (!r.config.fastBacktracking) return m.rejectedIndex;
  let next = m.conflictIndex;
  if (m.conflictTerm > 0) {
    const i = r.log.lastIndexWithTermAtMost(m.conflictTerm, m.rejectedIndex);
    if (i > 0 && r.log.term(i) === m.conflictTerm) next = i + 1;
  }
  return Math.min(next, m.lastLogIndex + 1);
}

/**
 * Commit rule: the highest index stored on a majority, but only if its entry is from the current
 * term (5.4.2, Figure 8). Returns whether the commit index advanced.
 */
export function maybeCommit(r: Raft): boolean {
  const index = majorityMatchIndex(r.voters, (id) => r.progress.get(id)!.match);
  if (r.tracing) noteCommitRule(r, index);
  if (index <= r.log.committed) return false;
  if (r.log.term(index) !== r.term && r.config.unsafe.commitOldTermByCount !== true) return false;
  const before = r.log.committed;
  r.log.commitTo(index);
  r.emit({ type: 'commitAdvanced', from: before, to: index });
  serveReadsWaitingForCommit(r);
  if (before < r.membership.index && r.membership.index <= index) r.configCommitted();
  return true;
}

/** Leaders rule 4 with N = the majority's matchIndex, every voter's matchIndex, and N's term. */
function noteCommitRule(r: Raft, n: number): void {
  let matchIndex = '';
  for (const id of r.voters) matchIndex += `${matchIndex === '' ? '' : ' '}${id}=${r.progress.get(id)!.match}`;
  const termOfN = r.log.term(n) ?? 'none';
  const values = { N: n, matchIndex, commitIndex: r.log.committed, termOfN, currentTerm: r.term };
  const ownTerm = termOfN === r.term;
  const unsafe = r.config.unsafe.commitOldTermByCount === true;
  const holds = n > r.log.committed && ownTerm;
  let result: string;
  if (n <= r.log.committed) result = `commitIndex stays ${r.log.committed}`;
  else if (ownTerm) result = `commitIndex = ${n}`;
  else if (unsafe) result = `commitIndex = ${n} (unsafe: an older term's entry committed by counting replicas)`;
  else result = `commitIndex stays ${r.log.committed}: entry ${n} is from term ${termOfN}, not mine (Figure 8)`;
  r.note('Leaders 4', 'majority of matchIndex >= N && N > commitIndex && termOfN == currentTerm', values, holds, result);
}
