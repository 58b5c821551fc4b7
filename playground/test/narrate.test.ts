import { describe, expect, it } from 'vitest';
import type { RaftEvent } from '@raft-kv/core';
import { describeCommand, logComparison, narrate } from '../src/engine/narrate';

const at = { node: 'n2', term: 5 };

describe('narration says why', () => {
  it('explains a vote refused because the candidate log is behind, by last term', () => {
    const e: RaftEvent = {
      ...at, type: 'voteRejected', candidate: 'n3', electionTerm: 5, preVote: false, reason: 'log_behind', votedFor: null, leaderId: null,
      candidateLast: { index: 9, term: 3 }, voterLast: { index: 7, term: 4 },
    };
    expect(narrate(e)?.text).toBe("n2 rejected n3's vote in term 5: n3's log is behind (last term 3 < 4)");
    expect(narrate(e)).toMatchObject({ kind: 'vote', tone: 'bad', key: true });
  });

  it('compares last indexes when the last terms are equal', () => {
    expect(logComparison({ index: 5, term: 3 }, { index: 7, term: 3 })).toBe('same last term 3, last index 5 < 7');
  });

  it('explains pre-votes refused during a leader lease, already-given votes and stale terms', () => {
    const base = { ...at, type: 'voteRejected' as const, candidate: 'n3', electionTerm: 6, votedFor: null, leaderId: 'n1', candidateLast: { index: 1, term: 1 }, voterLast: { index: 1, term: 1 } };
    expect(narrate({ ...base, preVote: true, reason: 'leader_lease' })?.text).toBe(
      "n2 rejected n3's pre-vote in term 6: it heard from leader n1 less than an election timeout ago, so the leader is alive (CheckQuorum lease)");
    expect(narrate({ ...base, preVote: false, reason: 'already_voted', votedFor: 'n4' })?.text).toContain('it already voted for n4 in this term');
    expect(narrate({ ...base, preVote: false, reason: 'stale_term', electionTerm: 4 })?.text).toContain("n3's term 4 is older than its own term 5");
  });

  it('a leader refusing during its own lease says so, not that it heard from itself', () => {
    const e: RaftEvent = {
      node: 'n3', term: 4, type: 'voteRejected', candidate: 'n1', electionTerm: 5, preVote: false, reason: 'leader_lease', votedFor: 'n3', leaderId: 'n3',
      candidateLast: { index: 1, term: 1 }, voterLast: { index: 1, term: 1 },
    };
    expect(narrate(e)?.text).toBe("n3 rejected n1's vote in term 5: it leads term 4 itself and a majority answered it less than an election timeout ago (CheckQuorum lease)");
    expect(narrate(e)?.text).not.toContain('heard from leader n3');
  });

  it('does not claim that truncated entries were never committed (with the commit rule off they may have been)', () => {
    const text = narrate({ ...at, type: 'entriesTruncated', fromIndex: 2, count: 1, leader: 'n5' })!.text;
    expect(text).not.toContain('never committed');
    expect(text).toContain("leader n5's log wins");
  });

  it('narrates the learner\'s message and timer controls', () => {
    expect(narrate({ type: 'messageDelayed', node: 'n1', to: 'n2', id: 4, messageType: 'AppendEntries', ms: 200 })?.text).toBe('AppendEntries n1->n2 held back 200 ms longer (you delayed it)');
    expect(narrate({ type: 'messageDuplicated', node: 'n1', to: 'n2', id: 4, copyId: 9, messageType: 'RequestVote' })?.text).toContain('will arrive twice');
    expect(narrate({ type: 'electionTimersSet', node: 'n1', mode: 'align', nodes: ['n1', 'n2'] })?.text).toBe('Timers aligned: n1, n2 time out together now');
  });

  it('explains rejected appends with the conflict hint', () => {
    const e: RaftEvent = {
      ...at, type: 'appendRejected', leader: 'n1', reason: 'term_mismatch', prevLogIndex: 7, prevLogTerm: 3, conflictIndex: 5, conflictTerm: 2, lastLogIndex: 9,
    };
    expect(narrate(e)?.text).toBe("n2 rejected n1's AppendEntries: its entry at index 7 has term 2, the leader's has term 3; term 2 starts at index 5");
    expect(narrate({ ...e, reason: 'missing_entries', conflictIndex: 5, lastLogIndex: 4 })?.text).toContain('it has no entry at index 7 (its log ends at 4); retry from 5');
  });

  it('tells role changes with their reason', () => {
    expect(narrate({ ...at, type: 'roleChanged', from: 'candidate', to: 'leader', leaderId: 'n2', reason: 'election_won' })?.text)
      .toBe('n2 is leader of term 5: a majority voted for it');
    expect(narrate({ ...at, type: 'roleChanged', from: 'leader', to: 'follower', leaderId: null, reason: 'check_quorum' })).toMatchObject({
      text: 'n2 steps down from leader to follower in term 5: it has not heard from a majority for an election timeout (CheckQuorum)', tone: 'bad',
    });
    expect(narrate({ ...at, type: 'roleChanged', from: 'follower', to: 'preCandidate', leaderId: null, reason: 'election_timeout' })?.text).toContain('pre-vote');
    // Never "steps down from follower to follower".
    expect(narrate({ ...at, type: 'roleChanged', from: 'follower', to: 'follower', leaderId: null, reason: 'higher_term' })?.text)
      .toBe('n2 moves on to term 5, still a follower: it saw a higher term');
  });

  it('keeps routine traffic out of the default feed', () => {
    expect(narrate({ ...at, type: 'appendAccepted', leader: 'n1', prevLogIndex: 3, count: 0, matchIndex: 3 })?.key).toBe(false);
    expect(narrate({ ...at, type: 'entryApplied', index: 3, entryTerm: 5, command: { op: 'noop' } })?.key).toBe(false);
    expect(narrate({ ...at, type: 'followerBackedOff', follower: 'n3', nextIndex: 4, matchIndex: 3, reason: 'appends unanswered' })?.key).toBe(false);
    expect(narrate({ ...at, type: 'followerBackedOff', follower: 'n3', nextIndex: 4, matchIndex: 3, reason: 'term_mismatch' })).toMatchObject({
      key: true, text: 'n2 backs up for n3 to next index 4 (their logs disagree there); they match up to 3',
    });
  });

  it('narrates simulator events: crashes keep the disk, drops say why', () => {
    expect(narrate({ type: 'nodeCrashed', node: 'n1', tornWrite: false, lostWrite: true })?.text)
      .toBe('n1 crashed: term, vote and log on disk survive; role, commit index and the KV map in memory are gone; the disk write under way was lost');
    expect(narrate({ type: 'messageDropped', node: 'n1', to: 'n2', id: 4, messageType: 'AppendEntries', reason: 'dropped_by_user' })).toMatchObject({
      text: 'AppendEntries n1->n2 was lost: you dropped it', key: true,
    });
    expect(narrate({ type: 'messageDropped', node: 'n1', to: 'n2', id: 4, messageType: 'AppendEntries', reason: 'link_cut' })?.key).toBe(false);
    expect(narrate({ type: 'invariantViolated', node: 'n5', property: 'state_machine_safety', message: 'x' })).toMatchObject({ kind: 'safety', tone: 'bad' });
  });

  it('describes commands as the log view shows them', () => {
    expect(describeCommand({ op: 'set', key: 'x', value: '1' })).toBe('set x=1');
    expect(describeCommand({ op: 'delete', key: 'x' })).toBe('del x');
    expect(describeCommand({ op: 'noop' })).toBe('no-op');
  });
});
