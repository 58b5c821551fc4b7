/**
 * Log lines from the core's events and applied entries, in the reference's words
 * (docs/api.md, "Log lines"): `[raft] <id> became leader term=T`, vote lines, membership and
 * transfer lines, and one `[apply] index=N op=... key=... value=...` line per applied entry.
 */
import type { Applied, Command, ConfigChange, Configuration, Entry, RaftEvent } from '@raft-kv/core';
import type { Logger } from '../logger';
import { infoLine, logValue } from '../logger';

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

/**
 * One `[apply]` line per applied entry (the fast info line). A session's write adds
 * `client=<id> seq=<n>`, and when it changed nothing, why: `duplicate` (a repeat, answered from
 * the session table) or `rejected=<reason>`; a swap adds whether it swapped. Plain writes print as
 * they always did.
 */
export function applyLine(logger: Logger): (entry: Entry, applied: Applied) => void {
  const line = infoLine(logger);
  return (entry, applied) => {
    const c = entry.command;
    const head = `[apply] index=${entry.index}`;
    switch (c.op) {
      case 'noop': return line(`${head} op=noop`);
      case 'config': return line(`${head} op=config change=${c.change.type} node=${c.change.node} ${members(c.config)}`);
      case 'register': return line(`${head} op=session client=${entry.index} timeoutMs=${c.timeoutMs}`);
      case 'set': return line(`${head} op=set key=${logValue(c.key)} value=${logValue(c.value)}${outcomeOf(c, applied)}`);
      case 'delete': return line(`${head} op=delete key=${logValue(c.key)}${outcomeOf(c, applied)}`);
      case 'cas': {
        const expected = c.expected === null ? 'none' : logValue(c.expected);
        return line(`${head} op=cas key=${logValue(c.key)} expected=${expected} value=${logValue(c.value)}${outcomeOf(c, applied)}`);
      }
    }
  };
}

function outcomeOf(c: Extract<Command, { op: 'set' | 'delete' | 'cas' }>, applied: Applied): string {
  const session = c.session ? ` client=${c.session.client} seq=${c.session.seq}` : '';
  if (applied.duplicate) return `${session} duplicate`;
  const r = applied.result;
  if (r.op === 'rejected') return `${session} rejected=${r.error}`;
  return r.op === 'cas' ? ` swapped=${r.swapped}${session}` : session;
}

const members = (config: Configuration): string => `voters=${config.voters.join(',') || '-'} learners=${config.learners.join(',') || '-'}`;

function describeChange(change: ConfigChange): string {
  return `${change.type} ${change.node}`;
}
