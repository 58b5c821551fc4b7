/** Live mode's pure mapping: what real nodes and the supervisor say, as the snapshots the views draw. */
import { describe, expect, it } from 'vitest';
import { Feed } from '../src/engine/feed';
import { appendLiveEvents, isEventBatch } from '../src/live/events';
import type { NodeLink } from '../src/live/mapping';
import { clientNode, cutLinksOf, downReason, emptyLink, faultsOf, liveNodeSnapshot, liveNodes, windowEntries } from '../src/live/mapping';
import { canKill, canRestart, downLabel, isIsolated, linkState } from '../src/store/selectors';
import { clusterNode, ids, status } from './live-fixtures';

const connected = (s = status('n1'), receivedAt = 10): NodeLink => ({ socket: 'connected', status: s, fresh: true, receivedAt });
const window = { lo: 1, hi: 6 };

describe('status -> NodeSnapshot', () => {
  it('maps an up node field by field, as the simulator snapshot has them', () => {
    const n = liveNodeSnapshot({ id: 'n1', cluster: clusterNode('n1'), link: connected(), faults: {} }, window);
    expect(n).toMatchObject({
      id: 'n1', up: true, role: 'leader', displayRole: 'leader', term: 2, votedFor: 'n1', leaderId: 'n1', commitIndex: 6, lastApplied: 6,
      lastIndex: 6, snapshotIndex: 0, logLength: 6, timer: null, votes: null, preVote: false, persisting: false, lastHeartbeatAgoMs: 0,
      kv: [['a', '2'], ['b', '4'], ['c', '5'], ['d', '6']],
    });
    // The leader's own progress is left out, and only match/next/state are kept.
    expect(n.progress).toEqual({ n2: { match: 6, next: 7, state: 'replicate' }, n3: { match: 5, next: 6, state: 'probe' } });
    expect(n.entries.map((e) => [e.index, e.term, e.label])).toEqual([[1, 1, 'no-op'], [2, 1, 'set a=2'], [3, 2, 'no-op'], [4, 2, 'set b=4'], [5, 2, 'set c=5'], [6, 2, 'set d=6']]);
    expect(n.live).toMatchObject({ process: 'running', pid: 1001, connected: true, downReason: null, kvUrl: 'http://127.0.0.1:18081', tickMs: 10 });
  });

  it('reports a pre-candidate as a follower with preVote, and its votes as granted/rejected', () => {
    const s = status('n2', { role: 'preCandidate', votes: { n2: true, n1: false } });
    const n = liveNodeSnapshot({ id: 'n2', cluster: clusterNode('n2'), link: connected(s), faults: {} }, window);
    expect(n).toMatchObject({ role: 'preCandidate', displayRole: 'follower', preVote: true, votes: { n2: 'granted', n1: 'rejected' } });
  });

  it('marks entries beyond the durable log as not on disk yet', () => {
    const s = status('n1', { durable: { term: 2, vote: 'n1', commit: 4, lastIndex: 4, snapshotIndex: 0 } });
    expect(windowEntries(s, window).map((e) => e.durable)).toEqual([true, true, true, true, false, false]);
    expect(windowEntries(s, { lo: 3, hi: 5 }).map((e) => e.index)).toEqual([3, 4, 5]);
  });

  it('shows a stopped node as down with what its disk held: no role, no memory, no KV map', () => {
    const s = status('n2', { durable: { term: 2, vote: 'n1', commit: 5, lastIndex: 6, snapshotIndex: 0 } });
    const n = liveNodeSnapshot({ id: 'n2', cluster: clusterNode('n2', { state: 'stopped', pid: null }), link: { ...connected(s), socket: 'disconnected', fresh: false }, faults: {} }, window);
    expect(n).toMatchObject({
      up: false, role: 'down', displayRole: 'down', term: 2, commitIndex: 5, lastApplied: 0, lastIndex: 6, logLength: 6, leaderId: null,
      kv: null, timer: null, progress: null, lastHeartbeatAgoMs: -1,
    });
    expect(n.entries).toHaveLength(6);
    expect(n.live).toMatchObject({ process: 'stopped', pid: null, downReason: 'stopped' });
    expect(downLabel(n)).toBe('stopped');
    expect(canKill(n)).toBe(false);
    expect(canRestart(n)).toBe(true);
  });

  it('a node never heard from is down with an empty disk', () => {
    const n = liveNodeSnapshot({ id: 'n3', cluster: undefined, link: emptyLink(), faults: {} }, window);
    expect(n).toMatchObject({ up: false, displayRole: 'down', term: 0, logLength: 0, entries: [] });
    expect(n.live?.downReason).toBe('connecting');
  });
});

describe('down or unreachable', () => {
  const lost: NodeLink = { socket: 'disconnected', status: status('n2'), fresh: false, receivedAt: 5 };

  it('is down when the supervisor says stopped, even while its stream has not noticed (just after a kill)', () => {
    expect(downReason('stopped', connected())).toBe('stopped');
  });

  it('is unreachable when the process runs but its stream is lost; it can still be killed, not restarted', () => {
    expect(downReason('running', lost)).toBe('unreachable');
    const n = liveNodeSnapshot({ id: 'n2', cluster: clusterNode('n2'), link: lost, faults: {} }, window);
    expect(n.displayRole).toBe('down');
    expect(downLabel(n)).toBe('unreachable');
    expect(canKill(n)).toBe(true);
    expect(canRestart(n)).toBe(false);
  });

  it('is up as soon as its stream delivers a status after a reconnect, before the supervisor says running', () => {
    expect(downReason('starting', { ...lost, socket: 'connected' })).toBe('starting'); // connected, no status of this life yet
    expect(downReason('starting', connected())).toBeNull();
    expect(downReason('unknown', connected())).toBeNull();
  });

  it('is connecting before the first attempt ends', () => {
    expect(downReason('running', emptyLink())).toBe('connecting');
  });
});

describe('faults -> links', () => {
  it('turns dropTo/dropFrom into the simulator\'s directed cuts', () => {
    expect(cutLinksOf({ n1: { dropTo: ['n2'] } }, ids)).toEqual(['n1>n2']);
    expect(cutLinksOf({ n2: { dropFrom: ['n1'] } }, ids)).toEqual(['n1>n2']);
    const isolated = cutLinksOf({ n3: { dropTo: ['n1', 'n2'], dropFrom: ['n1', 'n2'] } }, ids);
    expect(isolated).toEqual(['n1>n3', 'n2>n3', 'n3>n1', 'n3>n2']);
    expect(isIsolated(isolated, 'n3', ids)).toBe(true);
    expect(linkState(['n1>n2'], 'n1', 'n2')).toBe('forward-cut');
    expect(cutLinksOf({ n1: { dropTo: ['n1', 'n9'] } }, ids)).toEqual([]);
  });

  it('uses the supervisor\'s answer until the node reports after it', () => {
    const overlay = { faults: { n2: { dropTo: ['n1'] } }, at: 50 };
    expect(faultsOf('n2', connected(status('n2'), 40), overlay)).toEqual({ dropTo: ['n1'] });
    expect(faultsOf('n2', connected(status('n2', { faults: { dropTo: ['n3'] } }), 60), overlay)).toEqual({ dropTo: ['n3'] });
    expect(faultsOf('n1', connected(status('n1'), 40), overlay)).toEqual({});
  });
});

describe('the cluster', () => {
  it('aligns every log on the newest indexes any node holds', () => {
    const { nodes, logWindow } = liveNodes(ids.map((id) => ({
      id, cluster: clusterNode(id), link: connected(id === 'n3' ? status('n3', { lastIndex: 5, entries: status('n3').entries.slice(0, 5) }) : status(id)), faults: {},
    })));
    expect(logWindow).toEqual({ lo: 1, hi: 6 });
    expect(nodes.map((n) => n.entries.length)).toEqual([6, 6, 5]);
    const long = status('n1', { lastIndex: 40, entries: Array.from({ length: 40 }, (_, i) => ({ index: i + 1, term: 2, command: { op: 'noop' as const } })) });
    expect(liveNodes([{ id: 'n1', cluster: clusterNode('n1'), link: connected(long), faults: {} }]).logWindow).toEqual({ lo: 11, hi: 40 });
  });

  it('sends "the leader" requests to the leader, else to the first node up', () => {
    const { nodes } = liveNodes(ids.map((id) => ({ id, cluster: clusterNode(id), link: connected(status(id)), faults: {} })));
    expect(clientNode('leader', nodes)?.id).toBe('n1');
    expect(clientNode('n3', nodes)?.id).toBe('n3');
    const leaderless = liveNodes(ids.map((id) => ({ id, cluster: clusterNode(id, id === 'n1' ? { state: 'stopped' } : {}), link: connected(status(id, { role: 'follower' })), faults: {} })));
    expect(clientNode('leader', leaderless.nodes)?.id).toBe('n2');
  });

  it('marks each node voter, learner or not a member, in the leader\'s configuration (as the simulator\'s ring does)', () => {
    const all = [...ids, 'n4', 'n5'];
    // The leader has n4 as a learner and has removed n3; n3, not told yet, still lists itself.
    const config = { voters: ['n1', 'n2'], learners: ['n4'], configIndex: 9 };
    const input = (id: string) => ({
      id, cluster: clusterNode(id), faults: {},
      link: connected(status(id, id === 'n3' ? { role: 'follower' } : { ...config, role: id === 'n1' ? 'leader' : 'follower' })),
    });
    const { nodes } = liveNodes(all.map(input));
    expect(nodes.map((n) => [n.id, n.member])).toEqual([['n1', 'voter'], ['n2', 'voter'], ['n3', 'none'], ['n4', 'learner'], ['n5', 'none']]);
    // Nobody leads: the newest configuration any node up reports.
    const leaderless = liveNodes(all.map((id) => ({ ...input(id), link: connected(status(id, { ...(id === 'n2' ? config : {}), role: 'follower' })) })));
    expect(leaderless.nodes.map((n) => n.member)).toEqual(['voter', 'voter', 'none', 'learner', 'none']);
  });
});

describe('events -> feed', () => {
  it('narrates the nodes\' events with the simulator\'s words, merged in time order, newest first', () => {
    const log: Parameters<typeof appendLiveEvents>[0] = [];
    const t0 = 1_700_000_000_000;
    appendLiveEvents(log, [
      { at: t0 + 100, event: { type: 'roleChanged', node: 'n2', term: 3, from: 'follower', to: 'candidate', leaderId: null, reason: 'election_timeout' } },
      { at: t0 + 300, event: { type: 'roleChanged', node: 'n2', term: 3, from: 'candidate', to: 'leader', leaderId: 'n2', reason: 'election_won' } },
    ], t0);
    appendLiveEvents(log, [{ at: t0 + 200, event: { type: 'voteGranted', node: 'n3', term: 3, candidate: 'n2', electionTerm: 3, preVote: false } }], t0);
    expect(log.map((e) => e.at)).toEqual([100, 200, 300]);
    const feed = new Feed().build(log, [], false);
    expect(feed.map((f) => [f.at, f.node, f.text])).toEqual([
      [300, 'n2', 'n2 is leader of term 3: a majority voted for it'],
      [200, 'n3', 'n3 grants its vote to n2 for term 3'],
      [100, 'n2', 'n2 becomes candidate in term 3: it heard no leader for a whole election timeout'],
    ]);
  });

  it('keeps the newest events only, and ignores a malformed batch', () => {
    const log: Parameters<typeof appendLiveEvents>[0] = [];
    const batch = Array.from({ length: 30 }, (_, i) => ({ at: i, event: { type: 'commitAdvanced' as const, node: 'n1', term: 1, from: i, to: i + 1 } }));
    appendLiveEvents(log, batch, 0, 10);
    expect(log.map((e) => e.at)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(isEventBatch(batch)).toBe(true);
    expect(isEventBatch([{ at: 1 }])).toBe(false);
    expect(isEventBatch({})).toBe(false);
  });
});
