/**
 * Live mode's membership: the members of the real cluster as its leader lists them (the
 * supervisor's GET /api/members), and the operator's four requests (add a server, promote a
 * learner, remove a member, hand leadership to a voter), each sent through the supervisor, which
 * holds the cluster token and passes the leader's answer back unchanged. The answer is put in
 * words, a refusal's reason included: a change is refused for a reason the operator should read
 * (docs/membership.md, "The HTTP API").
 *
 * The parsing and the words are pure; LiveMembers adds the polling and the request in flight, with
 * an injected fetch and scheduler so that tests drive it without a network or a clock.
 */
import type { NodeId } from '@raft-kv/core';
import type { Scheduler } from '../engine/engine';
import type { Fetch, HttpAnswer, MemberAction } from './api';
import { clusterAnswer, fetchMembers, memberRequest, startNodeProcess } from './api';

export type MemberRole = 'voter' | 'learner';

/** One member as the leader sees it. */
export interface MemberRow {
  id: NodeId;
  role: MemberRole;
  /** The node the list names as leader. */
  leader: boolean;
  /** The leader's view: the highest index known in its log (null when the list is not the leader's). */
  matchIndex: number | null;
  /** The leader's view: whether it could be promoted now. */
  caughtUp: boolean | null;
  /** Whether the answering node's last message to it was answered (null: none sent yet). */
  reachable: boolean | null;
}

export interface MembersList {
  leaderId: NodeId | null;
  members: MemberRow[];
}

const isRole = (value: unknown): value is MemberRole => value === 'voter' || value === 'learner';
const orNull = <T>(value: unknown, kind: 'number' | 'boolean'): T | null => (typeof value === kind ? (value as T) : null);

/** The supervisor's GET /api/members answer as a list, or a sentence saying why there is none. */
export function parseMembers(answer: HttpAnswer): MembersList | string {
  const b = answer.body;
  if (answer.status !== 200 || b.ok !== true || !Array.isArray(b.members)) return refusalWords(answer, 'list the members');
  const leaderId = typeof b.leaderId === 'string' ? b.leaderId : null;
  const members: MemberRow[] = [];
  for (const raw of b.members as unknown[]) {
    if (typeof raw !== 'object' || raw === null) continue;
    const m = raw as Record<string, unknown>;
    if (typeof m.id !== 'string' || !isRole(m.role)) continue;
    members.push({
      id: m.id, role: m.role, leader: m.id === leaderId,
      matchIndex: orNull<number>(m.matchIndex, 'number'), caughtUp: orNull<boolean>(m.caughtUp, 'boolean'), reachable: orNull<boolean>(m.reachable, 'boolean'),
    });
  }
  return { leaderId, members };
}

/** What each refusal means for the operator, where the node's own message does not say what to do next. */
const reasons: Record<string, (node: string) => string> = {
  learner_behind: (n) => `${n} has not caught up with the leader's log yet; promote it once the list shows it caught up`,
  change_in_progress: () => 'the previous change is not committed yet (one change at a time); try again in a moment',
  leader_not_ready: () => 'the leader has not committed an entry of its own term yet; try again in a moment',
  transferring: () => 'leadership is being handed over; try again in a moment',
  transfer_failed: (n) => `${n} did not take over within an election timeout, so the leader kept leading`,
  leadership_lost: () => 'another leader took over before the change committed: it did not happen',
  timeout: () => 'not committed in time: it may still happen; the list will tell',
  no_leader: () => 'no node leads right now; try again in a moment',
  client_timeout: () => 'no answer in time: it may still happen; the list will tell',
};

/** A refused or failed request in words: the reason first, then the status and the error code. */
export function refusalWords(answer: HttpAnswer, what: string, node = ''): string {
  const error = typeof answer.body.error === 'string' ? answer.body.error : null;
  const message = typeof answer.body.message === 'string' ? answer.body.message : null;
  const reason = (error && reasons[error]?.(node)) ?? message ?? 'no reason given';
  const code = answer.status === 0 ? 'no answer' : `${answer.status}${error ? ` ${error}` : ''}`;
  return `could not ${what}: ${reason} (${code})`;
}

const names = (value: unknown): string => (Array.isArray(value) && value.length ? value.join(', ') : 'none');

/** What the operator asked, in words ("promote n4"). */
export function actionWords(action: MemberAction): string {
  switch (action.type) {
    case 'add': return `add ${action.node} as a learner`;
    case 'promote': return `promote ${action.node} to voter`;
    case 'remove': return `remove ${action.node}`;
    case 'transfer': return `hand leadership to ${action.node}`;
  }
}

/** The leader's answer to a membership action, in words. */
export function answerWords(action: MemberAction, answer: HttpAnswer): { text: string; ok: boolean } {
  const b = answer.body;
  if (answer.status !== 200 || b.ok !== true) return { text: refusalWords(answer, actionWords(action), action.node), ok: false };
  const config = `voters ${names(b.voters)}; learners ${names(b.learners)}`;
  switch (action.type) {
    case 'add': return { text: `${action.node} was added as a learner: the leader sends it the log (${config})`, ok: true };
    case 'promote': return { text: `${action.node} is a voter now (${config})`, ok: true };
    case 'remove': return { text: `${action.node} was removed; its process keeps running outside the cluster (${config})`, ok: true };
    case 'transfer': return { text: `${typeof b.leaderId === 'string' ? b.leaderId : action.node} leads now`, ok: true };
  }
}

// ---- the panel's state -------------------------------------------------------------------------

/** The last answer the panel shows. `status` is the HTTP status of the request that decided it (0: none). */
export interface MembersAnswer {
  /** Counts the answers since the panel opened: a new answer is told from an equal earlier one. */
  seq: number;
  action: MemberAction['type'];
  node: NodeId | null;
  status: number;
  ok: boolean;
  text: string;
}

export interface MembersState {
  list: MembersList | null;
  /** Why the newest list could not be had (the last one stays on screen). */
  listError: string | null;
  /** The request under way, in words; the buttons wait for it (one change at a time). */
  pending: string | null;
  answer: MembersAnswer | null;
}

export interface MembersDeps {
  origin: string;
  fetch: Fetch;
  scheduler: Scheduler;
}

/** How often the list is asked for: the supervisor answers from the leader at once. */
export const membersPollMs = 1000;
/** How long the add flow waits for the new process to serve its ports (tsx start-up on a loaded machine). */
export const nodeStartTimeoutMs = 30_000;
const nodeStartPollMs = 250;

export class LiveMembers {
  private state: MembersState = { list: null, listError: null, pending: null, answer: null };
  private readonly listeners = new Set<() => void>();
  private timer: unknown = null;
  /** A list request is under way; `pollAgain`: a change was answered meanwhile, ask again at once. */
  private polling = false;
  private pollAgain = false;
  private stopped = true;

  constructor(private readonly deps: MembersDeps) {}

  snapshot = (): MembersState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  start(): void {
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) this.deps.scheduler.cancel(this.timer);
    this.timer = null;
  }

  private set(change: Partial<MembersState>): void {
    if (this.stopped) return;
    this.state = { ...this.state, ...change };
    for (const listener of this.listeners) listener();
  }

  private async poll(): Promise<void> {
    this.timer = null;
    this.polling = true;
    const parsed = parseMembers(await fetchMembers(this.deps.fetch, this.deps.origin));
    this.polling = false;
    if (this.stopped) return;
    this.set(typeof parsed === 'string' ? { listError: parsed } : { list: parsed, listError: null });
    if (this.pollAgain) {
      this.pollAgain = false;
      void this.poll();
    } else {
      this.timer = this.deps.scheduler.later(() => void this.poll(), membersPollMs);
    }
  }

  /** Asks for the list now (after a change), or as soon as the request under way is answered. */
  private refresh(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    if (this.timer !== null) this.deps.scheduler.cancel(this.timer);
    void this.poll();
  }

  /** Promote, remove or transfer: one request to the leader, through the supervisor. */
  async request(action: Exclude<MemberAction, { type: 'add' }>): Promise<void> {
    if (this.state.pending !== null) return;
    this.set({ pending: `asking the leader to ${actionWords(action)}…` });
    const answer = await memberRequest(this.deps.fetch, this.deps.origin, action);
    this.finish(action.type, action.node, answer, answerWords(action, answer));
  }

  /**
   * Add a server: the supervisor starts a new node process that joins (POST /api/nodes), the page
   * waits until the process serves its ports, then asks the leader to add it as a learner.
   */
  async addServer(): Promise<void> {
    if (this.state.pending !== null) return;
    this.set({ pending: 'starting a new node process…' });
    const started = await startNodeProcess(this.deps.fetch, this.deps.origin);
    const node = (started.body.node as { id?: unknown } | undefined)?.id;
    if (started.status !== 200 || typeof node !== 'string') {
      return this.finish('add', null, started, { text: refusalWords(started, 'start a new node process'), ok: false });
    }
    this.set({ pending: `${node} is starting (a new process, an empty data directory); the page adds it once it serves…` });
    const running = await this.untilRunning(node);
    if (running !== null) return this.finish('add', node, running, { text: refusalWords(running, `start ${node}`, node), ok: false });
    this.set({ pending: `asking the leader to add ${node} as a learner…` });
    const action: MemberAction = { type: 'add', node };
    const answer = await memberRequest(this.deps.fetch, this.deps.origin, action);
    this.finish('add', node, answer, answerWords(action, answer));
  }

  /** Polls the supervisor until the node runs; null once it does, else the answer that says why not. */
  private async untilRunning(node: NodeId): Promise<HttpAnswer | null> {
    const deadline = this.deps.scheduler.now() + nodeStartTimeoutMs;
    for (;;) {
      const answer = await clusterAnswer(this.deps.fetch, this.deps.origin);
      const nodes = Array.isArray(answer.body.nodes) ? (answer.body.nodes as { id?: unknown; state?: unknown }[]) : [];
      const state = nodes.find((n) => n.id === node)?.state;
      if (state === 'running') return null;
      if (state === 'stopped') return { status: answer.status, body: { ok: false, error: 'node_stopped', message: `${node}'s process exited before it served its ports` } };
      if (this.stopped) return { status: 0, body: { ok: false, error: 'page_closed', message: 'live mode was left' } };
      if (this.deps.scheduler.now() >= deadline) {
        return { status: 0, body: { ok: false, error: 'node_not_running', message: `${node} did not serve its ports within ${nodeStartTimeoutMs / 1000} s` } };
      }
      await new Promise<void>((resolve) => this.deps.scheduler.later(resolve, nodeStartPollMs));
    }
  }

  private finish(action: MemberAction['type'], node: NodeId | null, answer: HttpAnswer, words: { text: string; ok: boolean }): void {
    const seq = (this.state.answer?.seq ?? 0) + 1;
    this.set({ pending: null, answer: { seq, action, node, status: answer.status, ok: words.ok, text: words.text } });
    this.refresh();
  }
}
