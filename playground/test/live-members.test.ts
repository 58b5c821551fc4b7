/**
 * Live mode's members panel logic against a fake supervisor (no network, a manual clock): the
 * leader's list parsed, each request sent to the supervisor's route, the add flow waiting for the
 * new process before it asks the leader, and every answer, a refusal's reason above all, in words.
 */
import { describe, expect, it } from 'vitest';
import { ManualScheduler } from '../src/engine/scheduler';
import type { HttpAnswer } from '../src/live/api';
import { memberRequestOf } from '../src/live/api';
import { LiveMembers, answerWords, membersPollMs, parseMembers, refusalWords } from '../src/live/members';

const origin = 'http://127.0.0.1:18080';

const member = (id: string, role: 'voter' | 'learner', over: Record<string, unknown> = {}) => ({
  id, role, raftUrl: `http://127.0.0.1:1909${id.slice(1)}`, kvUrl: `http://127.0.0.1:1809${id.slice(1)}`, matchIndex: 7, caughtUp: true, reachable: true, ...over,
});

const listBody = (leaderId: string, members: unknown[]) => ({
  ok: true, id: leaderId, leaderId, term: 3, commitIndex: 7, configIndex: 5, configCommitted: true, members,
});

describe('the members list', () => {
  it('parses the leader\'s list: roles, the leader marked, its view of each member', () => {
    const list = parseMembers({ status: 200, body: listBody('n2', [member('n1', 'voter'), member('n2', 'voter'), member('n4', 'learner', { matchIndex: 2, caughtUp: false, reachable: null })]) });
    expect(typeof list).toBe('object');
    if (typeof list === 'string') return;
    expect(list.leaderId).toBe('n2');
    expect(list.members.map((m) => `${m.id}:${m.role}:${m.leader}`)).toEqual(['n1:voter:false', 'n2:voter:true', 'n4:learner:false']);
    expect(list.members[2]).toMatchObject({ matchIndex: 2, caughtUp: false, reachable: null });
  });

  it('skips malformed members and says why there is no list when the supervisor refuses', () => {
    const list = parseMembers({ status: 200, body: listBody('n1', [member('n1', 'voter'), { id: 'n9', role: 'witness' }, null]) });
    expect(typeof list !== 'string' && list.members.map((m) => m.id)).toEqual(['n1']);
    expect(parseMembers({ status: 503, body: { ok: false, error: 'no_node', message: 'no node is running' } })).toBe('could not list the members: no node is running (503 no_node)');
  });

  it('a list from a node that does not know the leader marks no member as leader', () => {
    const list = parseMembers({ status: 200, body: { ...listBody('n1', [member('n1', 'voter', { matchIndex: null, caughtUp: null })]), leaderId: null } });
    expect(typeof list !== 'string' && list.members[0]).toMatchObject({ leader: false, matchIndex: null, caughtUp: null });
  });
});

describe('answers in words', () => {
  it('says why a promotion is refused while the learner lags (409 learner_behind)', () => {
    const answer: HttpAnswer = { status: 409, body: { ok: false, error: 'learner_behind', message: 'n4 is still catching up with the leader\'s log' } };
    const words = answerWords({ type: 'promote', node: 'n4' }, answer);
    expect(words.ok).toBe(false);
    expect(words.text).toBe('could not promote n4 to voter: n4 has not caught up with the leader\'s log yet; promote it once the list shows it caught up (409 learner_behind)');
  });

  it('passes on the node\'s own message for refusals it does not explain further', () => {
    const words = answerWords({ type: 'remove', node: 'n1' }, { status: 409, body: { ok: false, error: 'last_voter', message: 'n1 is the last voter' } });
    expect(words.text).toBe('could not remove n1: n1 is the last voter (409 last_voter)');
    expect(refusalWords({ status: 0, body: { ok: false, error: 'no_response', message: 'Failed to fetch' } }, 'remove n1')).toBe('could not remove n1: Failed to fetch (no answer)');
  });

  it('describes each success with the configuration the leader reports', () => {
    const changed = { status: 200, body: { ok: true, message: 'membership changed', voters: ['n1', 'n2', 'n3'], learners: ['n4'] } };
    expect(answerWords({ type: 'add', node: 'n4' }, changed)).toEqual({ ok: true, text: 'n4 was added as a learner: the leader sends it the log (voters n1, n2, n3; learners n4)' });
    expect(answerWords({ type: 'promote', node: 'n4' }, { status: 200, body: { ok: true, voters: ['n1', 'n4'], learners: [] } }).text).toBe('n4 is a voter now (voters n1, n4; learners none)');
    expect(answerWords({ type: 'transfer', node: 'n4' }, { status: 200, body: { ok: true, message: 'leadership transferred', leaderId: 'n4' } }).text).toBe('n4 leads now');
    expect(answerWords({ type: 'transfer', node: 'n4' }, { status: 503, body: { ok: false, error: 'transfer_failed' } }).text)
      .toBe('could not hand leadership to n4: n4 did not take over within an election timeout, so the leader kept leading (503 transfer_failed)');
  });

  it('sends each action to the supervisor\'s route', () => {
    const route = (a: Parameters<typeof memberRequestOf>[1]) => {
      const { url, init } = memberRequestOf(origin, a);
      return `${init.method} ${url.slice(origin.length)} ${String(init.body ?? '')}`.trim();
    };
    expect(route({ type: 'add', node: 'n4' })).toBe('POST /api/members {"id":"n4"}');
    expect(route({ type: 'promote', node: 'n4' })).toBe('POST /api/members/n4/promote');
    expect(route({ type: 'remove', node: 'n1' })).toBe('DELETE /api/members/n1');
    expect(route({ type: 'transfer', node: 'n2' })).toBe('POST /api/leader {"id":"n2"}');
  });
});

/** A supervisor with n1-n3 voters that can start n4 (running after `startMs`), and records every request. */
function fakeSupervisor(startMs = 600) {
  const scheduler = new ManualScheduler();
  const calls: string[] = [];
  const members = [member('n1', 'voter'), member('n2', 'voter'), member('n3', 'voter')];
  let n4: { state: string; since: number } | null = null;
  let promoteAnswer: HttpAnswer = { status: 409, body: { ok: false, error: 'learner_behind', message: 'catching up' } };
  const json = (value: unknown, code = 200) => new Response(JSON.stringify(value), { status: code });
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    const method = init?.method ?? 'GET';
    const path = url.slice(origin.length);
    calls.push(`${method} ${path}`);
    if (method === 'GET' && path === '/api/members') return json(listBody('n1', members));
    if (method === 'POST' && path === '/api/nodes') {
      n4 = { state: 'starting', since: scheduler.now() };
      return json({ ok: true, node: { id: 'n4', state: 'starting', pid: 44 } });
    }
    if (method === 'GET' && path === '/api/cluster') {
      const state = n4 && scheduler.now() - n4.since >= startMs ? 'running' : n4?.state;
      return json({ nodes: [{ id: 'n1', state: 'running' }, ...(n4 ? [{ id: 'n4', state }] : [])] });
    }
    if (method === 'POST' && path === '/api/members') {
      members.push(member('n4', 'learner', { caughtUp: false }));
      return json({ ok: true, message: 'membership changed', voters: ['n1', 'n2', 'n3'], learners: ['n4'] });
    }
    if (method === 'POST' && path === '/api/members/n4/promote') return json(promoteAnswer.body, promoteAnswer.status);
    return json({ ok: false, error: 'not_found' }, 404);
  };
  const panel = new LiveMembers({ origin, fetch, scheduler });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
  return {
    scheduler, calls, panel, settle,
    promoteWith(answer: HttpAnswer) {
      promoteAnswer = answer;
    },
  };
}

describe('LiveMembers', () => {
  it('asks for the list at once and every second, and stops asking when stopped', async () => {
    const { scheduler, calls, panel, settle } = fakeSupervisor();
    panel.start();
    await settle();
    expect(panel.snapshot().list?.members.map((m) => m.id)).toEqual(['n1', 'n2', 'n3']);
    await scheduler.advanceAsync(membersPollMs * 3);
    expect(calls.filter((c) => c === 'GET /api/members')).toHaveLength(4);
    panel.stop();
    await scheduler.advanceAsync(membersPollMs * 3);
    expect(calls.filter((c) => c === 'GET /api/members')).toHaveLength(4);
  });

  it('adds a server: starts a process, waits until it runs, then asks the leader to add it as a learner', async () => {
    const { scheduler, calls, panel, settle } = fakeSupervisor(600);
    panel.start();
    await settle();
    const seen: string[] = [];
    panel.subscribe(() => {
      const pending = panel.snapshot().pending;
      if (pending && seen[seen.length - 1] !== pending) seen.push(pending);
    });
    const done = panel.addServer();
    await settle();
    // Not added while the process is still starting.
    await scheduler.advanceAsync(500);
    expect(calls).not.toContain('POST /api/members');
    expect(panel.snapshot().pending).toMatch(/^n4 is starting/);
    await scheduler.advanceAsync(500);
    await done;
    expect(calls.indexOf('POST /api/members')).toBeGreaterThan(calls.lastIndexOf('GET /api/cluster'));
    expect(seen).toEqual(['starting a new node process…', expect.stringMatching(/^n4 is starting/), 'asking the leader to add n4 as a learner…']);
    expect(panel.snapshot()).toMatchObject({ pending: null, answer: { action: 'add', node: 'n4', status: 200, ok: true } });
    await settle();
    expect(panel.snapshot().list?.members.find((m) => m.id === 'n4')?.role).toBe('learner');
    panel.stop();
  });

  it('shows a refused promotion in words and lets the operator ask again', async () => {
    const { calls, panel, settle, promoteWith } = fakeSupervisor();
    panel.start();
    await settle();
    await panel.request({ type: 'promote', node: 'n4' });
    expect(panel.snapshot().answer).toMatchObject({ seq: 1, status: 409, ok: false, text: expect.stringContaining('n4 has not caught up with the leader\'s log yet') });
    promoteWith({ status: 200, body: { ok: true, voters: ['n1', 'n2', 'n3', 'n4'], learners: [] } });
    await panel.request({ type: 'promote', node: 'n4' });
    expect(panel.snapshot().answer).toMatchObject({ seq: 2, status: 200, ok: true, text: 'n4 is a voter now (voters n1, n2, n3, n4; learners none)' });
    expect(calls.filter((c) => c === 'POST /api/members/n4/promote')).toHaveLength(2);
    panel.stop();
  });

  it('one request at a time: a second one while the first is under way is not sent', async () => {
    const { calls, panel, settle } = fakeSupervisor();
    panel.start();
    await settle();
    const first = panel.request({ type: 'promote', node: 'n4' });
    const second = panel.request({ type: 'promote', node: 'n4' });
    await Promise.all([first, second]);
    expect(calls.filter((c) => c === 'POST /api/members/n4/promote')).toHaveLength(1);
    panel.stop();
  });
});
