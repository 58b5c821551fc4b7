/**
 * The Raft RPC wire format (docs/api.md, "The Raft port"): JSON bodies with the reference's field
 * names (candidateId, leaderId, leaderAddr, voteGranted, success, ...) plus this project's fields
 * (preVote, seq, conflict hints, matchIndex). Every body is validated with zod at the edge, so
 * nothing malformed ever reaches the core; `from` comes from the body of a request and from the
 * peer we asked for a response. The common AppendEntries takes a hand-written shortcut to the
 * same answer (wire-fast.ts).
 */
import type {
  AppendEntries, AppendEntriesResponse, InstallSnapshot, InstallSnapshotResponse, Message, ReadIndex,
  ReadIndexResponse, RequestVote, RequestVoteResponse, TimeoutNow, TimeoutNowResponse,
} from '@raft-kv/core';
import { emptySnapshotDigest, isKvSnapshotChunk } from '@raft-kv/core';
import { z } from 'zod';
import { fastAppendEntries } from './wire-fast';

const index = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const nodeId = z.string().min(1).max(64);

const memberAddress = z.object({ raftUrl: z.string().max(512), kvUrl: z.string().max(512) });
const members = z.object({
  voters: z.array(nodeId).max(64),
  learners: z.array(nodeId).max(64),
  addresses: z.record(nodeId, memberAddress),
}).refine((c) => new Set([...c.voters, ...c.learners]).size === c.voters.length + c.learners.length, 'voters and learners must be distinct');
/** A membership: voters and learners distinct and disjoint, at least one voter. */
export const configuration = members.refine((c) => c.voters.length > 0, 'a configuration needs a voter');
/** The membership a node's disk starts with: no voters at all for a node that joins a running cluster. */
export const initialConfiguration = members;
const configChange = z.discriminatedUnion('type', [
  z.object({ type: z.literal('addLearner'), node: nodeId, address: memberAddress.optional() }),
  z.object({ type: z.literal('promote'), node: nodeId }),
  z.object({ type: z.literal('remove'), node: nodeId }),
]);

// A session's commands carry their session and the leader's clock (core/src/types.ts): dropping
// either on the way would make a follower apply differently from its leader.
const session = z.object({ client: index.min(1), seq: index.min(1), ack: index.min(1) }).refine((t) => t.ack <= t.seq, 'session ack must not exceed seq');
const sessionFields = { session: session.optional(), at: index.optional() };
const command = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set'), key: z.string().min(1), value: z.string(), ...sessionFields }),
  z.object({ op: z.literal('delete'), key: z.string().min(1), ...sessionFields }),
  z.object({ op: z.literal('cas'), key: z.string().min(1), expected: z.string().nullable(), value: z.string(), ...sessionFields }),
  z.object({ op: z.literal('register'), timeoutMs: index.min(1), at: index }),
  z.object({ op: z.literal('noop') }),
  z.object({ op: z.literal('config'), change: configChange, config: configuration }),
]).refine((c) => !('session' in c) || c.session === undefined || c.at !== undefined, 'a command with a session must carry at');
const entry = z.object({ term: index.min(1), index: index.min(1), command });

/** The KV state machine's snapshot data: '' (empty) or {"appliedIndex", "entries": [[key, value], ...]}. */
export const requestVoteBody = z.object({
  term: index,
  candidateId: nodeId,
  lastLogIndex: index,
  lastLogTerm: index,
  preVote: z.boolean().default(false),
  transfer: z.boolean().default(false),
});

export const appendEntriesBody = z.object({
  term: index,
  leaderId: nodeId,
  leaderAddr: z.string().max(512).optional(),
  prevLogIndex: index,
  prevLogTerm: index,
  entries: z.array(entry),
  leaderCommit: index,
  seq: index.default(0),
}).superRefine((m, ctx) => {
  // The core asserts these; a body that breaks them is malformed, not a reason to crash.
  m.entries.forEach((e, i) => {
    if (e.index !== m.prevLogIndex + 1 + i) ctx.addIssue({ code: 'custom', message: `entries[${i}].index must be ${m.prevLogIndex + 1 + i}` });
    const prevTerm = i === 0 ? m.prevLogTerm : m.entries[i - 1]!.term;
    if (e.term < prevTerm || e.term > m.term) ctx.addIssue({ code: 'custom', message: `entries[${i}].term must be in [${prevTerm}, ${m.term}]` });
  });
  if (m.prevLogTerm > m.term) ctx.addIssue({ code: 'custom', message: 'prevLogTerm must not exceed term' });
});

/** One chunk of a snapshot (the core's InstallSnapshot): which snapshot, which chunk, its data. */
export const installSnapshotBody = z.object({
  term: index,
  leaderId: nodeId,
  leaderAddr: z.string().max(512).optional(),
  meta: z.object({
    index: index.min(1), term: index.min(1), config: configuration, chunkCount: index.min(1), bytes: index,
    // Absent from a peer older than the digest: that peer's chunks are all it can be compared with.
    digest: z.number().int().min(0).max(0xffffffff).default(emptySnapshotDigest),
  }),
  chunk: index,
  data: z.string().refine(isKvSnapshotChunk, 'data must be a chunk of a KV snapshot'),
  seq: index.default(0),
}).refine((m) => m.meta.term <= m.term, 'snapshot term must not exceed term')
  .refine((m) => m.chunk < m.meta.chunkCount, 'chunk must be below meta.chunkCount');

export const readIndexBody = z.object({ term: index, requesterId: nodeId, context: z.string().min(1).max(256) });

const requestVoteResponseBody = z.object({ term: index, voteGranted: z.boolean(), preVote: z.boolean().default(false), rejectReason: z.string().optional() });
const appendEntriesResponseBody = z.object({
  term: index, success: z.boolean(), matchIndex: index.default(0), rejectedIndex: index.default(0), conflictIndex: index.default(0),
  conflictTerm: index.default(0), lastLogIndex: index.default(0), rejectReason: z.string().optional(), seq: index.default(0),
});
const installSnapshotResponseBody = z.object({
  term: index, success: z.boolean(), snapshotIndex: index, nextChunk: index, matchIndex: index, seq: index.default(0),
});
const readIndexResponseBody = z.object({ term: index, context: z.string(), success: z.boolean(), index });
export const timeoutNowBody = z.object({ term: index, leaderId: nodeId });
const timeoutNowResponseBody = z.object({ term: index });

/** The requests a peer POSTs to us, by route. */
export const rpcRoutes = {
  requestvote: 'RequestVote',
  appendentries: 'AppendEntries',
  installsnapshot: 'InstallSnapshot',
  readindex: 'ReadIndex',
  timeoutnow: 'TimeoutNow',
} as const;
export type RpcRoute = keyof typeof rpcRoutes;
export type RequestMessage = RequestVote | AppendEntries | InstallSnapshot | ReadIndex | TimeoutNow;
export type ResponseMessage = RequestVoteResponse | AppendEntriesResponse | InstallSnapshotResponse | ReadIndexResponse | TimeoutNowResponse;

export const routeOf: Record<RequestMessage['type'], RpcRoute> = {
  RequestVote: 'requestvote',
  AppendEntries: 'appendentries',
  InstallSnapshot: 'installsnapshot',
  ReadIndex: 'readindex',
  TimeoutNow: 'timeoutnow',
};

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

function issues(error: z.ZodError): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/** Turns a request body into a core message addressed to `self`, or says why it is malformed. */
export function parseRequest(route: RpcRoute, body: unknown, self: string): ParseResult<RequestMessage> {
  switch (route) {
    case 'requestvote': {
      const p = requestVoteBody.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      const b = p.data;
      return { ok: true, value: { type: 'RequestVote', from: b.candidateId, to: self, term: b.term, lastLogIndex: b.lastLogIndex, lastLogTerm: b.lastLogTerm, preVote: b.preVote, transfer: b.transfer } };
    }
    case 'appendentries': {
      const fast = fastAppendEntries(body, self);
      return fast ? { ok: true, value: fast } : appendEntriesBySchema(body, self);
    }
    case 'installsnapshot': {
      const p = installSnapshotBody.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      const b = p.data;
      return { ok: true, value: { type: 'InstallSnapshot', from: b.leaderId, to: self, term: b.term, meta: b.meta, chunk: b.chunk, data: b.data, seq: b.seq } };
    }
    case 'readindex': {
      const p = readIndexBody.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      const b = p.data;
      return { ok: true, value: { type: 'ReadIndex', from: b.requesterId, to: self, term: b.term, context: b.context } };
    }
    case 'timeoutnow': {
      const p = timeoutNowBody.safeParse(body);
      if (!p.success) return { ok: false, error: issues(p.error) };
      return { ok: true, value: { type: 'TimeoutNow', from: p.data.leaderId, to: self, term: p.data.term } };
    }
  }
}

/** An AppendEntries checked against the schema alone (what the shortcut of wire-fast.ts must agree with). */
export function appendEntriesBySchema(body: unknown, self: string): ParseResult<AppendEntries> {
  const p = appendEntriesBody.safeParse(body);
  if (!p.success) return { ok: false, error: issues(p.error) };
  const b = p.data;
  const entries = b.entries.map((e) => Object.freeze({ term: e.term, index: e.index, command: Object.freeze(e.command) }));
  return {
    ok: true,
    value: { type: 'AppendEntries', from: b.leaderId, to: self, term: b.term, prevLogIndex: b.prevLogIndex, prevLogTerm: b.prevLogTerm, entries, leaderCommit: b.leaderCommit, seq: b.seq },
  };
}

/** The leader's address travels with its AppendEntries and InstallSnapshot (as the reference's leaderAddr). */
export function leaderAddrOf(route: RpcRoute, body: unknown): string | undefined {
  if (route !== 'appendentries' && route !== 'installsnapshot') return undefined;
  const addr = (body as { leaderAddr?: unknown }).leaderAddr;
  return typeof addr === 'string' && /^https?:\/\//.test(addr) ? addr : undefined;
}

/** A request we send, as its JSON body. */
export function requestBody(m: RequestMessage, leaderAddr: string): Record<string, unknown> {
  switch (m.type) {
    case 'RequestVote':
      return { term: m.term, candidateId: m.from, lastLogIndex: m.lastLogIndex, lastLogTerm: m.lastLogTerm, preVote: m.preVote, transfer: m.transfer };
    case 'AppendEntries':
      return { term: m.term, leaderId: m.from, leaderAddr, prevLogIndex: m.prevLogIndex, prevLogTerm: m.prevLogTerm, entries: m.entries, leaderCommit: m.leaderCommit, seq: m.seq };
    case 'InstallSnapshot':
      return { term: m.term, leaderId: m.from, leaderAddr, meta: m.meta, chunk: m.chunk, data: m.data, seq: m.seq };
    case 'ReadIndex':
      return { term: m.term, requesterId: m.from, context: m.context };
    case 'TimeoutNow':
      return { term: m.term, leaderId: m.from };
  }
}

/** A response we give, as the JSON body of the HTTP response to the request that caused it. */
export function responseBody(m: ResponseMessage): Record<string, unknown> {
  switch (m.type) {
    case 'RequestVoteResponse': {
      const body: Record<string, unknown> = { term: m.term, voteGranted: m.voteGranted, preVote: m.preVote };
      if (m.rejectReason) body.rejectReason = m.rejectReason;
      return body;
    }
    case 'AppendEntriesResponse': {
      const body: Record<string, unknown> = {
        term: m.term, success: m.success, matchIndex: m.matchIndex, rejectedIndex: m.rejectedIndex, conflictIndex: m.conflictIndex,
        conflictTerm: m.conflictTerm, lastLogIndex: m.lastLogIndex, seq: m.seq,
      };
      if (m.rejectReason) body.rejectReason = m.rejectReason;
      return body;
    }
    case 'InstallSnapshotResponse':
      return { term: m.term, success: m.success, snapshotIndex: m.snapshotIndex, nextChunk: m.nextChunk, matchIndex: m.matchIndex, seq: m.seq };
    case 'ReadIndexResponse':
      return { term: m.term, context: m.context, success: m.success, index: m.index };
    case 'TimeoutNowResponse':
      return { term: m.term };
  }
}

/** A peer's answer to our request, as a core message from that peer; null when malformed. */
export function parseResponse(request: RequestMessage, body: unknown): ResponseMessage | null {
  const envelope = { from: request.to, to: request.from };
  switch (request.type) {
    case 'RequestVote': {
      const p = requestVoteResponseBody.safeParse(body);
      if (!p.success) return null;
      const m: RequestVoteResponse = { type: 'RequestVoteResponse', ...envelope, term: p.data.term, voteGranted: p.data.voteGranted, preVote: p.data.preVote };
      if (p.data.rejectReason) m.rejectReason = p.data.rejectReason as RequestVoteResponse['rejectReason'];
      return m;
    }
    case 'AppendEntries': {
      const p = appendEntriesResponseBody.safeParse(body);
      if (!p.success) return null;
      const { rejectReason, ...rest } = p.data;
      const m: AppendEntriesResponse = { type: 'AppendEntriesResponse', ...envelope, ...rest };
      if (rejectReason) m.rejectReason = rejectReason as AppendEntriesResponse['rejectReason'];
      return m;
    }
    case 'InstallSnapshot': {
      const p = installSnapshotResponseBody.safeParse(body);
      return p.success ? { type: 'InstallSnapshotResponse', ...envelope, ...p.data } : null;
    }
    case 'ReadIndex': {
      const p = readIndexResponseBody.safeParse(body);
      return p.success ? { type: 'ReadIndexResponse', ...envelope, ...p.data } : null;
    }
    case 'TimeoutNow': {
      const p = timeoutNowResponseBody.safeParse(body);
      return p.success ? { type: 'TimeoutNowResponse', ...envelope, ...p.data } : null;
    }
  }
}

export const isRequestMessage = (m: Message): m is RequestMessage =>
  m.type === 'RequestVote' || m.type === 'AppendEntries' || m.type === 'InstallSnapshot' || m.type === 'ReadIndex' || m.type === 'TimeoutNow';
