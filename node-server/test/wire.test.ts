/** The Raft wire format: requests and responses keep the reference's field names and round-trip. */
import type { AppendEntries, RequestVote } from '@raft-kv/core';
import { describe, expect, it } from 'vitest';
import { parseRequest, parseResponse, requestBody, responseBody } from '../src/wire';

const append: AppendEntries = {
  type: 'AppendEntries', from: 'n1', to: 'n2', term: 3, prevLogIndex: 4, prevLogTerm: 2,
  entries: [{ term: 3, index: 5, command: { op: 'set', key: 'k', value: '' } }, { term: 3, index: 6, command: { op: 'delete', key: 'k' } }],
  leaderCommit: 4, seq: 17,
};

describe('wire format', () => {
  it('sends AppendEntries with the reference field names and reads it back unchanged', () => {
    const body = requestBody(append, 'http://127.0.0.1:8081');
    expect(body).toEqual({ term: 3, leaderId: 'n1', leaderAddr: 'http://127.0.0.1:8081', prevLogIndex: 4, prevLogTerm: 2, entries: append.entries, leaderCommit: 4, seq: 17 });
    expect(parseRequest('appendentries', JSON.parse(JSON.stringify(body)), 'n2')).toEqual({ ok: true, value: append });
  });

  it('sends RequestVote as {term, candidateId, lastLogIndex, lastLogTerm, preVote, transfer}', () => {
    const vote: RequestVote = { type: 'RequestVote', from: 'n3', to: 'n1', term: 2, lastLogIndex: 9, lastLogTerm: 1, preVote: true, transfer: false };
    expect(requestBody(vote, '')).toEqual({ term: 2, candidateId: 'n3', lastLogIndex: 9, lastLogTerm: 1, preVote: true, transfer: false });
    // The reference sends no preVote field: a plain vote.
    expect(parseRequest('requestvote', { term: 2, candidateId: 'n3', lastLogIndex: 9, lastLogTerm: 1 }, 'n1')).toEqual({ ok: true, value: { ...vote, preVote: false } });
  });

  it('answers with {term, success} plus the hints, and reads answers back as messages from the peer', () => {
    const body = responseBody({
      type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 3, success: false, matchIndex: 0, rejectedIndex: 4,
      conflictIndex: 3, conflictTerm: 2, lastLogIndex: 4, rejectReason: 'term_mismatch', seq: 17,
    });
    expect(body).toEqual({ term: 3, success: false, matchIndex: 0, rejectedIndex: 4, conflictIndex: 3, conflictTerm: 2, lastLogIndex: 4, seq: 17, rejectReason: 'term_mismatch' });
    expect(parseResponse(append, body)).toEqual({ type: 'AppendEntriesResponse', from: 'n2', to: 'n1', ...body });
  });

  it('reads a reference-style answer without the extra fields', () => {
    expect(parseResponse(append, { term: 3, success: true })).toMatchObject({ type: 'AppendEntriesResponse', from: 'n2', to: 'n1', term: 3, success: true, seq: 0 });
  });

  it('refuses malformed answers from peers', () => {
    expect(parseResponse(append, { term: 'x', success: true })).toBeNull();
    expect(parseResponse(append, null)).toBeNull();
    expect(parseResponse(append, { ok: false, error: 'unauthorized' })).toBeNull();
  });

  it('explains what is wrong with a malformed request', () => {
    const r = parseRequest('appendentries', { ...requestBody(append, ''), entries: [{ term: 3, index: 9, command: { op: 'noop' } }] }, 'n2');
    expect(r).toEqual({ ok: false, error: expect.stringContaining('entries[0].index must be 5') });
  });
});
