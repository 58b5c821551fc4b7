/**
 * Plain-words narration of core and simulator events: the event feed's text. Pure functions, one
 * per event family, so each sentence is tested against the event that produces it.
 *
 * `key` marks what the feed shows by default; the rest (heartbeat acks, applies, routine drops)
 * appears in the verbose feed only, or a busy cluster would drown the interesting lines.
 */
import type { Command, ConfigChange, Configuration, LogPosition, RaftEvent, RoleChangeReason, VoteRejectReason } from '@raft-kv/core';
import type { SimEvent } from '@raft-kv/core/sim';
import type { FeedKind } from './protocol';

export interface Narration {
  text: string;
  kind: FeedKind;
  tone: 'info' | 'good' | 'bad';
  key: boolean;
}

/**
 * Something the page itself saw in live mode (a status stream lost or back, a fault set, a
 * supervisor command refused): already in words, since no core or simulator event describes it.
 */
export interface PageNote {
  type: 'pageNote';
  node: string | null;
  text: string;
  kind: FeedKind;
  tone: Narration['tone'];
}

export type NarratedEvent = RaftEvent | SimEvent | PageNote;

const say = (text: string, kind: FeedKind, tone: Narration['tone'] = 'info', key = true): Narration => ({ text, kind, tone, key });

export function describeCommand(command: Command): string {
  switch (command.op) {
    case 'set': return `set ${command.key}=${command.value}${sessionOf(command)}`;
    case 'delete': return `del ${command.key}${sessionOf(command)}`;
    case 'cas': return `cas ${command.key}: ${command.expected ?? '(absent)'} -> ${command.value}${sessionOf(command)}`;
    case 'register': return 'open a client session';
    case 'noop': return 'no-op';
    case 'config': return `config ${describeChange(command.change)}`;
  }
}

export function describeChange(change: ConfigChange): string {
  switch (change.type) {
    case 'addLearner': return `add ${change.node} as a learner`;
    case 'promote': return `promote ${change.node} to voter`;
    case 'remove': return `remove ${change.node}`;
  }
}

const members = (c: Configuration): string => `voters ${c.voters.join(', ')}${c.learners.length > 0 ? `; learners ${c.learners.join(', ')}` : ''}`;
const sessionOf = (command: { session?: { client: number; seq: number } }): string =>
  command.session ? ` (session ${command.session.client} #${command.session.seq})` : '';

const vote = (preVote: boolean): string => (preVote ? 'pre-vote' : 'vote');

/** "(last term 3 < 4)" or "(same last term 3, last index 5 < 7)": why one log is behind another. */
export function logComparison(candidate: LogPosition, voter: LogPosition): string {
  if (candidate.term !== voter.term) return `last term ${candidate.term} < ${voter.term}`;
  return `same last term ${candidate.term}, last index ${candidate.index} < ${voter.index}`;
}

export function voteRejectionReason(
  reason: VoteRejectReason,
  e: { node: string; candidate: string; votedFor: string | null; leaderId: string | null; candidateLast: LogPosition; voterLast: LogPosition; electionTerm: number; term: number },
): string {
  switch (reason) {
    case 'log_behind':
      return `${e.candidate}'s log is behind (${logComparison(e.candidateLast, e.voterLast)})`;
    case 'stale_term':
      return `${e.candidate}'s term ${e.electionTerm} is older than its own term ${e.term}`;
    case 'already_voted':
      if (e.votedFor) return `it already voted for ${e.votedFor} in this term`;
      if (e.leaderId) return `it already follows leader ${e.leaderId} in this term`;
      return 'it already voted in this term';
    case 'leader_lease':
      // A leader refuses too, while a majority has answered it within an election timeout.
      if (e.leaderId === e.node) return `it leads term ${e.term} itself and a majority answered it less than an election timeout ago (CheckQuorum lease)`;
      return `it heard from leader ${e.leaderId ?? '(unknown)'} less than an election timeout ago, so the leader is alive (CheckQuorum lease)`;
  }
}

const roleReasons: Record<RoleChangeReason, string> = {
  start: 'it started',
  election_timeout: 'it heard no leader for a whole election timeout',
  prevote_won: 'a majority said they would vote for it (pre-vote won)',
  election_won: 'a majority voted for it',
  election_lost: 'a majority refused it',
  higher_term: 'it saw a higher term',
  leader_discovered: 'a leader contacted it',
  check_quorum: 'it has not heard from a majority for an election timeout (CheckQuorum)',
  removed: 'its own removal from the cluster committed',
  leadership_transfer: 'the leader handed leadership to it (TimeoutNow)',
};

function narrateRaft(e: RaftEvent): Narration | null {
  switch (e.type) {
    case 'roleChanged': {
      if (e.to === 'preCandidate') {
        return say(`${e.node} heard no leader for a whole election timeout: it asks the others whether they would vote for it in term ${e.term + 1} (pre-vote, no term change yet)`, 'election');
      }
      if (e.to === 'candidate') return say(`${e.node} becomes candidate in term ${e.term}: ${roleReasons[e.reason]}`, 'election');
      if (e.to === 'leader') return say(`${e.node} is leader of term ${e.term}: ${roleReasons[e.reason]}`, 'election', 'good');
      if (e.from === 'follower' && e.reason === 'leader_discovered') return say(`${e.node} follows leader ${e.leaderId} in term ${e.term}`, 'election', 'info', true);
      // A follower stays one: only its term moves (a new server hearing its first leader, say).
      if (e.from === 'follower') return say(`${e.node} moves on to term ${e.term}, still a follower: ${roleReasons[e.reason]}`, 'election');
      return say(`${e.node} steps down from ${e.from} to follower in term ${e.term}: ${roleReasons[e.reason]}`, 'election', e.from === 'leader' ? 'bad' : 'info');
    }
    case 'termChanged':
      return say(`${e.node} moves from term ${e.from} to ${e.to}${e.cause ? ` (because of ${e.cause})` : ''}`, 'election', 'info', false);
    case 'electionStarted':
      return e.preVote
        ? say(`${e.node} starts a pre-vote for term ${e.electionTerm}`, 'election', 'info', false)
        : say(`${e.node} votes for itself and asks the others for votes in term ${e.electionTerm}`, 'election');
    case 'voteGranted':
      return say(`${e.node} grants its ${vote(e.preVote)} to ${e.candidate} for term ${e.electionTerm}`, 'vote', 'good');
    case 'voteRejected':
      return say(`${e.node} rejected ${e.candidate}'s ${vote(e.preVote)} in term ${e.electionTerm}: ${voteRejectionReason(e.reason, e)}`, 'vote', 'bad');
    case 'electionWon':
      return say(`${e.node} won the ${vote(e.preVote)} for term ${e.electionTerm} with ${e.votes.join(', ')}`, 'election', 'good', !e.preVote);
    case 'electionLost':
      return say(`${e.node} lost the ${vote(e.preVote)} for term ${e.electionTerm}: refused by ${e.rejectedBy.join(', ')}`, 'election', 'bad');
    case 'appendAccepted':
      return e.count > 0
        ? say(`${e.node} appended ${e.count} entr${e.count === 1 ? 'y' : 'ies'} from ${e.leader} after index ${e.prevLogIndex} (now matches up to ${e.matchIndex})`, 'replication', 'info', false)
        : say(`${e.node} accepted a heartbeat from ${e.leader}`, 'replication', 'info', false);
    case 'appendRejected':
      return say(`${e.node} rejected ${e.leader}'s AppendEntries: ${appendRejection(e)}`, 'replication', 'bad');
    case 'entriesTruncated':
      // Not "they were never committed": with the commit rule off they may have been (Figure 8), and the checker says so.
      return say(`${e.node} deletes ${e.count} conflicting entr${e.count === 1 ? 'y' : 'ies'} from index ${e.fromIndex} on: leader ${e.leader}'s log wins (Raft only ever replaces entries that are not committed)`, 'replication', 'bad');
    case 'followerBackedOff':
      return narrateBackOff(e);
    case 'commitAdvanced':
      return say(`${e.node} commits up to index ${e.to}`, 'commit', 'good', false);
    case 'entryApplied':
      return say(`${e.node} applies index ${e.index} (${describeCommand(e.command)})`, 'commit', 'info', false);
    case 'snapshotSent':
      return e.fromChunk === 0
        ? say(`${e.node} sends a snapshot up to index ${e.index} to ${e.to} in ${e.chunkCount} chunk${e.chunkCount === 1 ? '' : 's'}: the entries it needs are compacted away`, 'snapshot')
        : say(`${e.node} resends its snapshot to ${e.to} from chunk ${e.fromChunk + 1} of ${e.chunkCount}: no chunk was acknowledged in time`, 'snapshot', 'bad');
    case 'configChanged':
      if (e.cause === 'truncated') return say(`${e.node}'s log lost a membership change: it is back to ${members(e.config)}`, 'membership', 'bad');
      if (e.cause === 'snapshot') return say(`${e.node} takes the membership of the snapshot: ${members(e.config)}`, 'membership');
      return say(`${e.node} now counts ${members(e.config)}${e.change ? ` (${describeChange(e.change)}, index ${e.index})` : ''}: in effect as soon as it is in the log`, 'membership');
    case 'configChangeRefused':
      return say(`${e.node} refuses to ${describeChange(e.change)}: ${e.reason.replace(/_/g, ' ')}`, 'membership', 'bad');
    case 'transferStarted':
      return say(`${e.node} hands leadership to ${e.target}: it stops taking writes${e.caughtUp ? '' : ` and brings ${e.target} up to date first`}`, 'membership');
    case 'timeoutNowSent':
      return say(`${e.node} tells ${e.target} to campaign now (TimeoutNow)`, 'membership');
    case 'transferAborted':
      return say(`${e.node} gives up handing leadership to ${e.target} (${e.reason.replace(/_/g, ' ')})`, 'membership', 'bad');
    case 'snapshotChunkReceived':
      return say(`${e.node} stores chunk ${e.chunk + 1} of ${e.chunkCount} of ${e.from}'s snapshot up to index ${e.index}`, 'snapshot', 'info', false);
    case 'snapshotInstalled':
      return say(`${e.node} installs ${e.from}'s snapshot up to index ${e.index}`, 'snapshot', 'good');
    case 'snapshotTaken':
      return say(`${e.node} snapshots its state at index ${e.index} and compacts its log`, 'snapshot', 'info', false);
    case 'readIndexConfirmed':
      return say(`${e.node} confirmed it is still leader: reads may be served at index ${e.index}`, 'read', 'info', false);
    case 'readDropped':
      return say(`${e.node} cannot serve a linearizable read: ${e.reason.replace(/_/g, ' ')}`, 'read', 'bad');
    case 'proposalAccepted':
      return say(`${e.node} appends ${describeCommand(e.command)} at index ${e.index} (term ${e.term})`, 'replication', 'info', e.command.op !== 'noop');
    case 'proposalDropped':
      return say(`${e.node} refuses a write: ${e.reason === 'not_leader' ? `not the leader${e.leaderId ? ` (${e.leaderId} is)` : ''}` : 'too many uncommitted entries'}`, 'client', 'bad');
  }
}

/** A leader moves a follower's nextIndex back: after a rejection (key), or after silence (a routine retry). */
function narrateBackOff(e: Extract<RaftEvent, { type: 'followerBackedOff' }>): Narration {
  if (e.reason.endsWith('unanswered')) {
    return say(`${e.node} got no answer from ${e.follower} (${e.reason}): it probes again from index ${e.nextIndex}`, 'replication', 'info', false);
  }
  const why = e.reason === 'term_mismatch' ? 'their logs disagree there' : e.reason === 'missing_entries' ? 'its log is shorter' : e.reason.replace(/_/g, ' ');
  return say(`${e.node} backs up for ${e.follower} to next index ${e.nextIndex} (${why}); they match up to ${e.matchIndex}`, 'replication');
}

export function appendRejection(e: Extract<RaftEvent, { type: 'appendRejected' }>): string {
  switch (e.reason) {
    case 'stale_term':
      return `its term ${e.term} is newer than the leader's`;
    case 'missing_entries':
      return `it has no entry at index ${e.prevLogIndex} (its log ends at ${e.lastLogIndex}); retry from ${e.conflictIndex}`;
    case 'term_mismatch':
      return `its entry at index ${e.prevLogIndex} has term ${e.conflictTerm}, the leader's has term ${e.prevLogTerm}; term ${e.conflictTerm} starts at index ${e.conflictIndex}`;
    case 'conflicting_leader':
      return `it leads term ${e.term} itself: two leaders in one term (a misconfigured or misbehaving cluster), so it trusts neither`;
  }
}

const dropReasons = {
  link_cut: 'the link is cut',
  loss: 'the network lost it',
  node_down: 'the receiver is down',
  dropped_by_user: 'you dropped it',
} as const;

function narrateSim(e: SimEvent): Narration {
  switch (e.type) {
    case 'nodeCrashed': {
      const write = e.tornWrite ? '; the disk write under way was torn' : e.lostWrite ? '; the disk write under way was lost' : '';
      return say(`${e.node} crashed: term, vote and log on disk survive; role, commit index and the KV map in memory are gone${write}`, 'fault', 'bad');
    }
    case 'nodeRestarted':
      return say(`${e.node} restarts from its disk as a follower`, 'fault', 'good');
    case 'nodeAdded':
      return say(`${e.node} starts with an empty disk; it joins once the leader adds it`, 'membership');
    case 'messageDropped':
      return say(`${e.messageType} ${e.node}->${e.to} was lost: ${dropReasons[e.reason]}`, 'fault', 'bad', e.reason === 'dropped_by_user');
    case 'networkChanged':
      return say(`Network: ${e.description}`, 'fault');
    case 'clientReplied':
      return say(`client got ${e.status === 0 ? 'no answer' : e.status} for ${e.op.toUpperCase()} ${e.key} from ${e.node}`, 'client', e.status === 200 || (e.op === 'get' && e.status === 404) ? 'good' : 'bad', false);
    case 'invariantViolated':
      return say(`SAFETY VIOLATION (${e.property.replace(/_/g, ' ')}) at ${e.node}: ${e.message}`, 'safety', 'bad');
    case 'messageDelayed':
      return say(`${e.messageType} ${e.node}->${e.to} held back ${Math.round(e.ms)} ms longer (you delayed it)`, 'fault');
    case 'messageDuplicated':
      return say(`${e.messageType} ${e.node}->${e.to} will arrive twice (you duplicated it)`, 'fault');
    case 'electionTimersSet':
      return e.mode === 'align'
        ? say(`Timers aligned: ${e.nodes.join(', ')} time out together now`, 'election')
        : say(`Timers spread: ${e.nodes.join(', ')} restart their election timers far apart`, 'election');
  }
}

export function narrate(event: NarratedEvent): Narration | null {
  switch (event.type) {
    case 'pageNote':
      return say(event.text, event.kind, event.tone);
    case 'nodeCrashed':
    case 'nodeRestarted':
    case 'nodeAdded':
    case 'messageDropped':
    case 'networkChanged':
    case 'clientReplied':
    case 'invariantViolated':
    case 'messageDelayed':
    case 'messageDuplicated':
    case 'electionTimersSet':
      return narrateSim(event);
    default:
      return narrateRaft(event);
  }
}
