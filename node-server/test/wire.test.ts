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

  it('carries the session, the time, swaps and registrations: a follower must apply what its leader applied', () => {
    const entries: AppendEntries['entries'] = [
      { term: 3, index: 5, command: { op: 'register', timeoutMs: 60_000, at: 1_700_000_000_000 } },
      { term: 3, index: 6, command: { op: 'set', key: 'k', value: 'v', session: { client: 5, seq: 2, ack: 1 }, at: 1_700_000_000_001 } },
      { term: 3, index: 7, command: { op: 'cas', key: 'k', expected: null, value: 'w' } },
      { term: 3, index: 8, command: { op: 'delete', key: 'k', session: { client: 5, seq: 3, ack: 3 }, at: 1_700_000_000_002 } },
    ];
    const message: AppendEntries = { ...append, prevLogIndex: 4, entries };
    const body = JSON.parse(JSON.stringify(requestBody(message, ''))) as unknown;
    expect(parseRequest('appendentries', body, 'n2')).toEqual({ ok: true, value: message });
  });

  it.each([
    ['a session without its time', { op: 'set', key: 'k', value: 'v', session: { client: 5, seq: 2, ack: 1 } }],
    ['an ack above the seq', { op: 'set', key: 'k', value: 'v', session: { client: 5, seq: 2, ack: 3 }, at: 1 }],
    ['a session id of 0', { op: 'delete', key: 'k', session: { client: 0, seq: 1, ack: 1 }, at: 1 }],
    ['a swap without expected', { op: 'cas', key: 'k', value: 'v' }],
    ['a registration without a timeout', { op: 'register', at: 1 }],
  ])('refuses an entry with %s', (_what, command) => {
    const body = { ...requestBody(append, ''), entries: [{ term: 3, index: 5, command }] };
    expect(parseRequest('appendentries', body, 'n2').ok).toBe(false);
  });

  it('accepts a snapshot chunk of the session table, and refuses a malformed one', () => {
    const chunk = (data: string) => ({ term: 3, leaderId: 'n1', meta: { index: 9, term: 3, config: { voters: ['n1', 'n2'], learners: [], addresses: {} }, chunkCount: 2, bytes: 99 }, chunk: 1, data, seq: 1 });
    const sessions = JSON.stringify({ clock: 5, sessions: [{ id: 2, timeoutMs: 10, lastActiveAt: 5, ackFloor: 1, answers: [[1, { op: 'set', key: 'k' }]] }] });
    expect(parseRequest('installsnapshot', chunk(sessions), 'n2').ok).toBe(true);
    expect(parseRequest('installsnapshot', chunk(JSON.stringify({ clock: 5, sessions: [{ id: 2 }] })), 'n2').ok).toBe(false);
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
