/**
 * Log lines from the core's events and applied entries, in the reference's words
 * (docs/api.md, "Log lines"): `[raft] <id> became leader term=T`, vote lines, membership and
 * transfer lines, and one `[apply] index=N op=... key=... value=...` line per applied entry.
 */
import type { ConfigChange, Configuration, Entry, RaftEvent } from '@raft-kv/core';
import type { Logger } from '../logger';
import { logValue } from '../logger';

export function logEvents(logger: Logger, events: readonly RaftEvent[]): void {
  for (const e of events) {
    const line = lineOf(e);
    if (line) logger.info(line);
  }
}

function lineOf(e: RaftEvent): string | null {
  switch (e.type) {
    case 'roleChanged':
      if (e.to === 'leader') return `[raft] ${e.node} became leader term=${e.term}`;
      if (e.to === 'candidate') return `[raft] ${e.node} became candidate term=${e.term}`;
      if (e.to === 'preCandidate') return `[raft] ${e.node} became pre-candidate term=${e.term} (pre-vote for term ${e.term + 1})`;
      return `[raft] ${e.node} became follower term=${e.term} leader=${e.leaderId ?? 'none'} reason=${e.reason}`;
    case 'voteGranted':
      return `[raft] ${e.node} granted ${e.preVote ? 'pre-vote' : 'vote'} to ${e.candidate} term=${e.electionTerm}`;
    case 'voteRejected':
      return `[raft] ${e.node} rejected ${e.preVote ? 'pre-vote' : 'vote'} for ${e.candidate} term=${e.electionTerm} reason=${e.reason}` +
        (e.votedFor ? ` votedFor=${e.votedFor}` : '');
    case 'electionWon':
      return e.preVote ? null : `[raft] ${e.node} won election term=${e.electionTerm} votes=${e.votes.join(',')}`;
    case 'electionLost':
      return `[raft] ${e.node} lost ${e.preVote ? 'pre-vote' : 'election'} term=${e.electionTerm} rejectedBy=${e.rejectedBy.join(',')}`;
    case 'entriesTruncated':
      return `[raft] ${e.node} dropped ${e.count} uncommitted entries from index=${e.fromIndex} (overwritten by leader ${e.leader})`;
    case 'snapshotInstalled':
      return `[snapshot] ${e.node} installed a snapshot from ${e.from} at index=${e.index} term=${e.snapshotTerm}`;
    case 'snapshotSent':
      return `[snapshot] ${e.node} sending a snapshot at index=${e.index} to ${e.to}`;
    case 'configChanged':
      return `[membership] ${e.node} now ${members(e.config)} (configuration at index=${e.index}, ${e.cause}${e.change ? `: ${describeChange(e.change)}` : ''})`;
    case 'transferStarted':
      return `[raft] ${e.node} handing leadership to ${e.target} term=${e.term}${e.caughtUp ? '' : ' (catching it up first)'}`;
    case 'transferAborted':
      return `[raft] ${e.node} gave up handing leadership to ${e.target} term=${e.term} reason=${e.reason}`;
    default:
      return null;
  }
}

export function logApplied(logger: Logger, entry: Entry): void {
  const c = entry.command;
  if (c.op === 'set') logger.info(`[apply] index=${entry.index} op=set key=${logValue(c.key)} value=${logValue(c.value)}`);
  else if (c.op === 'delete') logger.info(`[apply] index=${entry.index} op=delete key=${logValue(c.key)}`);
  else if (c.op === 'config') logger.info(`[apply] index=${entry.index} op=config change=${c.change.type} node=${c.change.node} ${members(c.config)}`);
  else logger.info(`[apply] index=${entry.index} op=noop`);
}

const members = (config: Configuration): string => `voters=${config.voters.join(',') || '-'} learners=${config.learners.join(',') || '-'}`;

function describeChange(change: ConfigChange): string {
  return `${change.type} ${change.node}`;
}
