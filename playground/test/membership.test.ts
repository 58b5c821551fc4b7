/**
 * Membership in the simulator as the page drives it: the operator's requests go to the leader as
 * script entries, the new server is marked learner then voter, config entries are marked in the log
 * view, the feed says what changed, and a run with them replays from its script to the same state.
 */
import { describe, expect, it } from 'vitest';
import type { OperatorRequest, SimSnapshot } from '../src/engine/protocol';
import { parseScenario, scenarioFromSnapshot } from '../src/engine/scenario-format';
import { replayShared } from '../src/engine/replay';
import { leaderOf, start } from './engine-harness';

const operator = (node: string, request: { change: { type: 'addLearner' | 'promote' | 'remove'; node: string } } | { target: string }): OperatorRequest => ({
  type: 'client',
  request: 'change' in request
    ? { clientId: 'operator', node, op: 'config', key: '', change: request.change, record: false }
    : { clientId: 'operator', node, op: 'transfer', key: '', target: request.target, record: false },
});

const member = (s: SimSnapshot, id: string) => s.nodes.find((n) => n.id === id)?.member;

describe('membership through the engine', () => {
  it('adds a server as a learner, promotes it, hands it leadership and removes another; the file of the run replays it', async () => {
    const { engine, until } = start({ speed: 10 });
    const leader = leaderOf(await until((s) => leaderOf(s) !== undefined && s.nodes.every((n) => n.commitIndex >= 1)))!.id;
    expect(member(await until(() => true), 'n1')).toBe('voter');

    engine.handle({ type: 'act', action: { type: 'addNode' } });
    let s = await until((x) => x.nodes.length === 4);
    expect(member(s, 'n4')).toBe('none');
    engine.handle({ type: 'act', action: operator(leader, { change: { type: 'addLearner', node: 'n4' } }) });
    s = await until((x) => member(x, 'n4') === 'learner');
    expect(s.nodes.find((n) => n.id === leader)!.entries.some((e) => e.config && e.label === 'config add n4 as a learner')).toBe(true);
    expect(s.feed.some((f) => f.kind === 'membership' && f.text.includes('add n4 as a learner'))).toBe(true);

    await until((x) => x.nodes.find((n) => n.id === 'n4')!.commitIndex >= x.nodes.find((n) => n.id === leader)!.commitIndex);
    engine.handle({ type: 'act', action: operator(leader, { change: { type: 'promote', node: 'n4' } }) });
    s = await until((x) => member(x, 'n4') === 'voter');
    expect(s.nodes.find((n) => n.id === leader)!.config!.voters).toContain('n4');

    engine.handle({ type: 'act', action: operator(leader, { target: 'n4' }) });
    s = await until((x) => leaderOf(x)?.id === 'n4');
    expect(s.feed.some((f) => f.kind === 'membership' && f.text.includes(`${leader} hands leadership to n4`))).toBe(true);

    const gone = ['n1', 'n2', 'n3'].find((id) => id !== leader)!;
    engine.handle({ type: 'act', action: operator('n4', { change: { type: 'remove', node: gone } }) });
    s = await until((x) => member(x, gone) === 'none');
    expect(s.violations).toEqual([]);

    // The run as a file (it carries addNode and the operator's requests) replays to the same state.
    const file = JSON.parse(JSON.stringify(scenarioFromSnapshot(s, 'membership'))) as unknown;
    const replayed = replayShared(parseScenario(file));
    expect(replayed.verdict).toBe('pass');
    expect(replayed.run.sim.stateHash()).toBe(s.lab!.stateHash);
    engine.dispose();
  });

  it('time travel across an added server: back before it, the cluster has three; forward again, four', async () => {
    const { engine, until } = start({ speed: 10 });
    const leader = leaderOf(await until((s) => leaderOf(s) !== undefined))!.id;
    const before = (await until(() => true)).clock.now;
    engine.handle({ type: 'act', action: { type: 'addNode' } });
    engine.handle({ type: 'act', action: operator(leader, { change: { type: 'addLearner', node: 'n4' } }) });
    const grown = await until((x) => member(x, 'n4') === 'learner');
    engine.handle({ type: 'seek', at: Math.max(0, before - 1) });
    expect((await until(() => true)).nodes.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    engine.handle({ type: 'seek', at: grown.clock.now });
    const again = await until(() => true);
    expect(member(again, 'n4')).toBe('learner');
    expect(again.lab!.stateHash).toBe(grown.lab!.stateHash);
    engine.dispose();
  });

  it('a file naming a node that no addNode created is refused', () => {
    const base = { setup: { seed: 1, nodeCount: 3 }, script: [{ step: 1, at: 1, action: { type: 'sim', action: operatorJson('n4') } }] };
    expect(() => parseScenario(base)).toThrow(/no node n4/);
    const grown = { ...base, script: [{ step: 1, at: 1, action: { type: 'sim', action: { type: 'addNode' } } }, { step: 1, at: 1, action: { type: 'sim', action: operatorJson('n4') } }] };
    expect(parseScenario(grown).script[1]!.action).toMatchObject({ type: 'sim', action: { type: 'client', request: { op: 'config', change: { type: 'addLearner', node: 'n4' } } } });
  });
});

function operatorJson(node: string) {
  return { type: 'client', request: { clientId: 'operator', node: 'n1', op: 'config', key: '', change: { type: 'addLearner', node }, record: false } };
}
