/**
 * The message inspector's story: why a message was sent, what its receiver decided (in the feed's
 * sentences, with the values compared), and its real fate on the wire. Built from the message and
 * the run's own events, never from a second model of Raft.
 */
import type { RaftEvent } from '@raft-kv/core';
import type { InFlightMessage, Simulation, TimedEvent } from '@raft-kv/core/sim';
import { appendRejection, describeCommand, voteRejectionReason } from './narrate';
import type { MessageStory } from './protocol';

type Event = TimedEvent['event'];

const range = (entries: readonly { index: number }[]): string =>
  entries.length === 1 ? `entry ${entries[0]!.index}` : `entries ${entries[0]!.index}-${entries[entries.length - 1]!.index}`;

/** Why the sender sent it: the message's own fields, in words. */
export function whySent(flight: InFlightMessage): string {
  const m = flight.message;
  switch (m.type) {
    case 'RequestVote':
      return m.preVote
        ? `${m.from} heard no leader for a whole election timeout. Before raising its term it asks ${m.to}: would you vote for me in term ${m.term}? Its log ends at index ${m.lastLogIndex}, term ${m.lastLogTerm}.`
        : `${m.from} is a candidate in term ${m.term} and asks ${m.to} for its vote. Its log ends at index ${m.lastLogIndex}, term ${m.lastLogTerm}: ${m.to} votes yes only if it has not voted for someone else in term ${m.term} and its own log is not more up to date.`;
    case 'RequestVoteResponse':
      return `${m.from} answers ${m.to}'s ${m.preVote ? 'pre-vote' : 'vote'} request: ${m.voteGranted ? 'yes' : 'no'}${m.rejectReason ? ` (${m.rejectReason.replace(/_/g, ' ')})` : ''}.`;
    case 'AppendEntries':
      if (m.entries.length === 0) {
        return `${m.from}, leader of term ${m.term}, tells ${m.to} it is still leading (a heartbeat, no entries). It checks that ${m.to} holds index ${m.prevLogIndex} with term ${m.prevLogTerm}, and says entries up to ${m.leaderCommit} are committed.`;
      }
      return `${m.from}, leader of term ${m.term}, sends ${m.to} ${range(m.entries)} (${m.entries.slice(0, 3).map((e) => `${e.index}: ${describeCommand(e.command)}, term ${e.term}`).join('; ')}${m.entries.length > 3 ? '; …' : ''}) after index ${m.prevLogIndex}: its nextIndex for ${m.to} is ${m.prevLogIndex + 1}. ${m.to} takes them only if its entry at ${m.prevLogIndex} has term ${m.prevLogTerm}. Committed so far: up to ${m.leaderCommit}.`;
    case 'AppendEntriesResponse':
      return m.success
        ? `${m.from} answers ${m.to}: my log matches yours up to index ${m.matchIndex}.`
        : `${m.from} refuses ${m.to}'s AppendEntries after index ${m.rejectedIndex}${m.rejectReason ? ` (${m.rejectReason.replace(/_/g, ' ')})` : ''}${m.conflictIndex > 0 ? `; hint: retry from index ${m.conflictIndex}${m.conflictTerm > 0 ? ` (my conflicting term ${m.conflictTerm} starts there)` : ''}` : ''}. Its log ends at ${m.lastLogIndex}.`;
    case 'InstallSnapshot':
      return `${m.from} no longer holds the entries ${m.to} needs, so it sends its snapshot (the state machine up to index ${m.meta.index}, term ${m.meta.term}) in ${m.meta.chunkCount} chunk${m.meta.chunkCount === 1 ? '' : 's'}, a few at a time: this is chunk ${m.chunk + 1}. ${m.to} keeps it only if it is the next one it needs.`;
    case 'InstallSnapshotResponse':
      if (!m.success) return `${m.from} refuses ${m.to}'s snapshot: ${m.to} is not its leader.`;
      return m.matchIndex > 0
        ? `${m.from} answers ${m.to}: I hold everything up to index ${m.matchIndex}.`
        : `${m.from} answers ${m.to}: I hold ${m.nextChunk} chunk${m.nextChunk === 1 ? '' : 's'} of the snapshot at ${m.snapshotIndex}; send chunk ${m.nextChunk + 1} next.`;
    case 'ReadIndex':
      return `${m.from} forwards a linearizable read (${m.context}) to its leader ${m.to}: the leader must confirm it still leads before it names the index the read waits for.`;
    case 'ReadIndexResponse':
      return m.success
        ? `${m.from} confirmed it still leads (a majority answered a heartbeat sent after the read arrived): ${m.to} may answer once it has applied index ${m.index}.`
        : `${m.from} cannot confirm the read: it is not the leader (any more).`;
    case 'TimeoutNow':
      return `${m.from} is handing leadership to ${m.to}, which has caught up: it tells it to start an election now, without waiting for its timer. The other voters grant it even though they hear from ${m.from}.`;
    case 'TimeoutNowResponse':
      return `${m.from} acknowledges ${m.to}'s TimeoutNow.`;
  }
}

/** The receiver's decision about this message, from the receiver's own event, with the values it compared. */
function decision(flight: InFlightMessage, log: readonly TimedEvent[]): string | null {
  const m = flight.message;
  const after = (e: TimedEvent) => e.at >= flight.deliverAt - 1e-9;
  /** What happened at the moment it arrived. */
  const delivered = log.filter((e) => Math.abs(e.at - flight.deliverAt) < 1e-9);
  const find = (ok: (e: Event) => boolean, from = 0): RaftEvent | null => {
    for (let i = from; i < log.length; i++) if (after(log[i]!) && ok(log[i]!.event)) return log[i]!.event as RaftEvent;
    return null;
  };
  switch (m.type) {
    case 'RequestVote': {
      const e = find((x) => (x.type === 'voteGranted' || x.type === 'voteRejected') && x.node === m.to && x.candidate === m.from && x.preVote === m.preVote);
      if (!e) return null;
      if (e.type === 'voteGranted') return `${m.to} granted it: it had not voted for anyone else in term ${m.term}, and ${m.from}'s log (last index ${m.lastLogIndex}, term ${m.lastLogTerm}) is at least as up to date as its own.`;
      if (e.type === 'voteRejected') return `${m.to} refused: ${voteRejectionReason(e.reason, e)}.`;
      return null;
    }
    case 'AppendEntries': {
      const e = find((x) => (x.type === 'appendAccepted' || x.type === 'appendRejected') && x.node === m.to && x.leader === m.from && x.prevLogIndex === m.prevLogIndex);
      if (e?.type === 'appendRejected') return `${m.to} refused: ${appendRejection(e)}.`;
      if (e?.type === 'appendAccepted') return `${m.to} accepted: its entry at ${m.prevLogIndex} has term ${m.prevLogTerm}, so it appended ${e.count} entr${e.count === 1 ? 'y' : 'ies'} (now matches up to ${e.matchIndex}).`;
      // Accepting a heartbeat records no event (refusing one does): none at its arrival means accepted.
      if (m.entries.length === 0 && !delivered.some(({ event: x }) => x.type === 'appendRejected' && x.node === m.to)) {
        return `${m.to} accepted it: ${m.from} leads term ${m.term}, so ${m.to} starts its election timer over${m.leaderCommit > 0 ? ` and may commit up to ${m.leaderCommit}` : ''}.`;
      }
      return null;
    }
    default:
      return null;
  }
}

/** The voter's or follower's reasons behind a reply, from the event it recorded when it answered. */
function replyReason(flight: InFlightMessage, log: readonly TimedEvent[]): string | null {
  const m = flight.message;
  for (let i = log.length - 1; i >= 0; i--) {
    const { at, event: e } = log[i]!;
    if (at > flight.sentAt + 1e-9) continue;
    if (m.type === 'RequestVoteResponse' && !m.voteGranted && e.type === 'voteRejected' && e.node === m.from && e.candidate === m.to && e.preVote === m.preVote) {
      return `${m.from} refused because ${voteRejectionReason(e.reason, e)}.`;
    }
    if (m.type === 'AppendEntriesResponse' && !m.success && e.type === 'appendRejected' && e.node === m.from && e.leader === m.to && e.prevLogIndex === m.rejectedIndex) {
      return `${m.from} refused because ${appendRejection(e)}.`;
    }
    if (at < flight.sentAt - 5_000) break;
  }
  return null;
}

const fateText: Record<MessageStory['fate'], string> = {
  'in flight': 'on the wire',
  delivered: 'delivered',
  'dropped by you': 'dropped by you before it arrived',
  'lost by the network': 'lost by the network (the loss rate)',
  'cut link': 'lost: its link was cut while it travelled',
  'receiver down': 'lost: the receiver was down when it arrived',
};

/** The inspected message's story at the moment shown. */
export function messageStory(flight: InFlightMessage, sim: Simulation): MessageStory {
  const log = sim.eventLog;
  let fate: MessageStory['fate'] = sim.network.inFlight.has(flight.id) ? 'in flight' : 'delivered';
  let delayedMs = 0;
  let copies = 0;
  for (const { event: e } of log) {
    if (e.type === 'messageDelayed' && e.id === flight.id) delayedMs += e.ms;
    if (e.type === 'messageDuplicated' && e.id === flight.id) copies++;
    if (e.type === 'messageDropped' && e.id === flight.id && fate !== 'in flight') {
      fate = e.reason === 'dropped_by_user' ? 'dropped by you' : e.reason === 'loss' ? 'lost by the network' : e.reason === 'link_cut' ? 'cut link' : 'receiver down';
    }
  }
  // Not in flight and not dropped, but still ahead of the moment shown: time travel went back before it was sent.
  if (fate === 'delivered' && sim.now < flight.deliverAt) fate = 'in flight';
  const m = flight.message;
  const isReply = m.type.endsWith('Response');
  const verdict = isReply ? replyReason(flight, log) : fate === 'delivered' ? decision(flight, log) : null;
  const when = fate === 'delivered' ? ` at ${(flight.deliverAt / 1000).toFixed(3)} s` : fate === 'in flight' ? `, arriving at ${(flight.deliverAt / 1000).toFixed(3)} s` : '';
  return { id: flight.id, why: whySent(flight), verdict, fate, fateText: `${fateText[fate]}${when}`, delayedMs, copies };
}
