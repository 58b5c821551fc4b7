import { describe, expect, it } from 'vitest';
import type { ClientRequestView, NodeSnapshot } from '../src/engine/protocol';
import {
  arcPath, explainResponse, formatSpeed, isIsolated, leaderOf, linkPairs, linkState, logRow, messagePoint, requestLine, responseLine, ringLayout,
  sliderToSpeed, speedToSlider, termColor, timerFraction,
} from '../src/store/selectors';

const node = (over: Partial<NodeSnapshot>): NodeSnapshot => ({
  id: 'n1', up: true, role: 'follower', displayRole: 'follower', term: 1, votedFor: null, leaderId: null, commitIndex: 0, lastApplied: 0, lastIndex: 0,
  snapshotIndex: 0, logLength: 0, durable: { term: 1, vote: null, commit: 0, lastIndex: 0, snapshotIndex: 0 }, timer: null, votes: null, preVote: false,
  progress: null, entries: [], kv: [], persisting: false, applyLog: { last: [], count: 0, increasing: true }, lastHeartbeatAgoMs: -1, ...over,
});

describe('selectors', () => {
  it('finds the leader with the highest term', () => {
    const nodes = [node({ id: 'n1', displayRole: 'leader', term: 2 }), node({ id: 'n2', displayRole: 'leader', term: 3 }), node({ id: 'n3' })];
    expect(leaderOf(nodes)?.id).toBe('n2');
    expect(leaderOf([node({})])).toBeUndefined();
  });

  it('reads link states from directed cuts, and isolation', () => {
    expect(linkState([], 'n1', 'n2')).toBe('up');
    expect(linkState(['n1>n2'], 'n1', 'n2')).toBe('forward-cut');
    expect(linkState(['n2>n1'], 'n1', 'n2')).toBe('backward-cut');
    expect(linkState(['n1>n2', 'n2>n1'], 'n1', 'n2')).toBe('cut');
    const ids = ['n1', 'n2', 'n3'];
    expect(isIsolated(['n1>n2', 'n2>n1', 'n1>n3', 'n3>n1'], 'n1', ids)).toBe(true);
    expect(isIsolated(['n1>n2', 'n2>n1', 'n1>n3'], 'n1', ids)).toBe(false);
    expect(linkPairs(ids)).toEqual([['n1', 'n2'], ['n1', 'n3'], ['n2', 'n3']]);
  });

  it('lays nodes on a ring from the top, clockwise', () => {
    const p = ringLayout(['a', 'b', 'c', 'd'], { x: 100, y: 100 }, 50);
    expect(p.a!.x).toBeCloseTo(100);
    expect(p.a!.y).toBeCloseTo(50);
    expect(p.b!.x).toBeCloseTo(150);
    expect(p.c!.y).toBeCloseTo(150);
  });

  it('places a message by its share of flight time, in a lane to the right of its direction', () => {
    const m = { sentAt: 100, deliverAt: 200 };
    const from = { x: 0, y: 0 };
    const to = { x: 100, y: 0 };
    expect(messagePoint(m, 150, from, to, 0, 0)).toEqual({ x: 50, y: 0, progress: 0.5 });
    expect(messagePoint(m, 50, from, to, 10, 0).x).toBe(10);
    expect(messagePoint(m, 500, from, to, 10, 0).x).toBe(90);
    // Going right, "right of the direction of travel" is down the screen; coming back, up.
    expect(messagePoint(m, 150, from, to, 0, 6).y).toBe(6);
    expect(messagePoint(m, 150, to, from, 0, 6).y).toBe(-6);
  });

  it('draws the election timer as an arc', () => {
    expect(timerFraction(node({ timer: { elapsed: 30, timeout: 120 } }))).toBe(0.25);
    expect(timerFraction(node({ timer: null }))).toBe(0);
    expect(arcPath({ x: 0, y: 0 }, 10, 0)).toBe('');
    expect(arcPath({ x: 0, y: 0 }, 10, 0.25)).toBe('M 0 -10 A 10 10 0 0 1 10.00 0.00');
    expect(arcPath({ x: 0, y: 0 }, 10, 0.75)).toContain(' 0 1 1 ');
  });

  it('aligns a log row by index, with commit, applied and the leader view markers', () => {
    const entries = [1, 2, 3, 4].map((index) => ({ index, term: index < 3 ? 1 : 2, label: 'no-op', durable: index < 4 }));
    const row = logRow(node({ entries, commitIndex: 3, lastApplied: 2 }), { lo: 2, hi: 5 }, { match: 3, next: 4 });
    expect(row.map((c) => c.index)).toEqual([2, 3, 4, 5]);
    expect(row.map((c) => c.entry?.term ?? null)).toEqual([1, 2, 2, null]);
    expect(row.map((c) => c.committed)).toEqual([true, true, false, false]);
    expect(row.find((c) => c.isCommit)?.index).toBe(3);
    expect(row.find((c) => c.isApplied)?.index).toBe(2);
    expect(row.find((c) => c.isMatch)?.index).toBe(3);
    expect(row.find((c) => c.isNext)?.index).toBe(4);
  });

  it('shows a crashed node with only what its disk knows', () => {
    const entries = [{ index: 1, term: 1, label: 'no-op', durable: true }, { index: 2, term: 1, label: 'set x=1', durable: true }];
    const down = node({ up: false, role: 'down', displayRole: 'down', entries, commitIndex: 2, lastApplied: 2, durable: { term: 1, vote: 'n1', commit: 1, lastIndex: 2, snapshotIndex: 0 } });
    const row = logRow(down, { lo: 1, hi: 2 }, null);
    expect(row.map((c) => c.committed)).toEqual([true, false]);
    expect(row.some((c) => c.applied)).toBe(false);
  });

  it('maps the speed slider logarithmically, 0.01x to 100x', () => {
    expect(sliderToSpeed(-2)).toBe(0.01);
    expect(sliderToSpeed(2)).toBe(100);
    expect(sliderToSpeed(0)).toBe(1);
    expect(sliderToSpeed(0.5)).toBe(3.2);
    expect(sliderToSpeed(-1.5)).toBe(0.032);
    expect(sliderToSpeed(9)).toBe(100);
    expect(speedToSlider(10)).toBe(1);
    expect(formatSpeed(0.1)).toBe('0.1x');
    expect(formatSpeed(0.032)).toBe('0.032x');
    expect(formatSpeed(3.2)).toBe('3.2x');
    expect(formatSpeed(100)).toBe('100x');
  });

  it('gives each term its colour, the same in the ring and the logs', () => {
    expect(termColor(1)).toBe(termColor(9));
    expect(termColor(1)).not.toBe(termColor(2));
    expect(termColor(0)).toBe('#eef0f3');
  });

  it('writes client requests and answers as the HTTP API would', () => {
    const r: ClientRequestView = { id: 1, op: 'put', key: 'k', value: 'v', node: 'n2', via: 'node', stale: false, sentAt: 0, status: 409,
      body: { ok: false, error: 'not_leader', message: 'not leader', leaderId: 'n1', leader: 'sim://n1' }, repliedAt: 2 };
    expect(requestLine(r)).toBe('PUT /set {"key":"k","value":"v"} to n2');
    expect(responseLine(r)).toBe('409 Conflict {"ok":false,"error":"not_leader","message":"not leader","leaderId":"n1","leader":"sim://n1"}');
    expect(explainResponse(r)).toBe('This node is not the leader; the client should retry at n1 (sim://n1).');
    expect(explainResponse({ ...r, status: 504, body: {} })).toContain('may still commit later');
    expect(responseLine({ ...r, status: null, body: null })).toBe('waiting for the answer…');
    expect(requestLine({ ...r, op: 'get', stale: true, via: 'leader' })).toBe('GET /get?key=k&consistency=stale to n2 (the leader)');
    expect(explainResponse({ ...r, op: 'get', status: 200, body: { ok: true, key: 'k', value: 'v', stale: true } })).toContain('stale read');
  });
});
