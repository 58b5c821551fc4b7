import { describe, expect, it } from 'vitest';
import { ConfigError, InvalidCommandError, KvStateMachine, MemoryStorage, RaftNode, resolveRaftConfig } from '../src/index';
import { resolveSimConfig } from '../src/sim/index';

describe('config validation', () => {
  it('fills defaults and freezes the result', () => {
    const config = resolveRaftConfig({ id: 'n1', voters: ['n1', 'n2', 'n3'] });
    expect(config.heartbeatTicks).toBe(1);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    [{ id: '' }, /id must be/],
    [{ voters: ['n2'] }, /voters must include/],
    [{ voters: ['n1', 'n1'] }, /distinct/],
    [{ heartbeatTicks: 0 }, /heartbeatTicks/],
    [{ entriesPerMessageMax: 1.5 }, /entriesPerMessageMax/],
    [{ electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 5 }, /electionTimeoutTicksMax/],
    [{ heartbeatTicks: 10, electionTimeoutTicksMin: 10, electionTimeoutTicksMax: 20 }, /greater than heartbeatTicks/],
    [{ seed: 1.5 }, /seed/],
  ])('rejects %o', (bad, message) => {
    expect(() => resolveRaftConfig({ id: 'n1', voters: ['n1'], ...bad })).toThrow(ConfigError);
    expect(() => resolveRaftConfig({ id: 'n1', voters: ['n1'], ...bad })).toThrow(message);
  });

  it('rejects bad simulation settings by name', () => {
    expect(() => resolveSimConfig({ nodeCount: 10 })).toThrow(/nodeCount/);
    expect(() => resolveSimConfig({ network: { lossRate: 2 } })).toThrow(/lossRate/);
    expect(() => resolveSimConfig({ network: { latencyMinMs: 5, latencyMaxMs: 1 } })).toThrow(/latency/);
  });

  it('rejects malformed commands at propose', () => {
    const node = new RaftNode({ id: 'n1', voters: ['n1'] }, new MemoryStorage(['n1']));
    node.campaign();
    expect(node.role).toBe('leader');
    expect(() => node.propose({ op: 'set', key: '', value: 'x' })).toThrow(InvalidCommandError);
    expect(() => node.propose({ op: 'set', key: 'k' } as never)).toThrow(/value must be a string/);
    expect(() => node.propose({ op: 'drop', key: 'k' } as never)).toThrow(/unknown command/);
  });
});

describe('KV state machine', () => {
  it('applies set and delete in order; deleting a missing key is a harmless no-op', () => {
    const kv = new KvStateMachine();
    expect(kv.apply({ index: 1, term: 1, command: { op: 'delete', key: 'missing' } }).result).toEqual({ op: 'delete', key: 'missing', existed: false });
    kv.apply({ index: 2, term: 1, command: { op: 'set', key: 'a', value: '' } });
    expect(kv.get('a')).toBe('');
    kv.apply({ index: 3, term: 1, command: { op: 'noop' } });
    expect(() => kv.apply({ index: 5, term: 1, command: { op: 'noop' } })).toThrow(/out of order/);
    expect(() => kv.apply({ index: 3, term: 1, command: { op: 'noop' } })).toThrow(/out of order/);
  });

  it('snapshot and restore give back the same state', () => {
    const kv = new KvStateMachine();
    kv.apply({ index: 1, term: 1, command: { op: 'set', key: 'b', value: '2' } });
    kv.apply({ index: 2, term: 1, command: { op: 'set', key: 'a', value: '1' } });
    const copy = KvStateMachine.fromChunks(kv.snapshotChunks(), 2);
    expect(copy.entries()).toEqual([['a', '1'], ['b', '2']]);
    expect(copy.appliedIndex).toBe(2);
  });
});
