import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { HistoryOp, HistoryStatus } from '../src/check/history';
import { checkLinearizability } from '../src/check/linearizability';

// Builders: (client, key, [value or output,] call, return[, status]). A null return time means
// the client never heard back, which makes the status unknown.
type Interval = [call: number, ret: number | null, status?: HistoryStatus];

function outcome(...[call, ret, status = 'ok']: Interval) {
  return { call, return: ret, status: ret === null ? ('unknown' as const) : status };
}
function put(clientId: string, key: string, value: string, ...interval: Interval): HistoryOp {
  return { clientId, op: 'put', key, value, ...outcome(...interval) };
}
function get(clientId: string, key: string, output: string | null, ...interval: Interval): HistoryOp {
  return { clientId, op: 'get', key, output, ...outcome(...interval) };
}
function del(clientId: string, key: string, ...interval: Interval): HistoryOp {
  return { clientId, op: 'delete', key, ...outcome(...interval) };
}
/** A compare-and-swap and its answer: whether it swapped, and the value after it. */
function cas(clientId: string, key: string, expected: string | null, value: string, answer: [swapped: boolean, output: string | null] | null, ...interval: Interval): HistoryOp {
  const op: HistoryOp = { clientId, op: 'cas', key, expected, value, ...outcome(...interval) };
  if (op.status === 'ok' && answer) [op.swapped, op.output] = answer;
  return op;
}

function verdictOf(history: HistoryOp[]): string {
  return checkLinearizability(history).verdict;
}

describe('checkLinearizability: single register', () => {
  it('accepts an empty history', () => {
    expect(checkLinearizability([])).toEqual({ verdict: 'linearizable', keysChecked: 0, unknownKeys: [] });
  });

  it('sequential put then get sees the value', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, 1), get('c1', 'x', 'a', 2, 3)])).toBe('linearizable');
  });

  it('a get of a never-written key reads null', () => {
    expect(verdictOf([get('c1', 'x', null, 0, 1)])).toBe('linearizable');
    expect(verdictOf([get('c1', 'x', 'a', 0, 1)])).toBe('not_linearizable');
  });

  it('a stale read after a completed write is not linearizable', () => {
    const history = [put('c1', 'x', 'a', 0, 1), put('c1', 'x', 'b', 2, 3), get('c2', 'x', 'a', 4, 5)];
    expect(verdictOf(history)).toBe('not_linearizable');
  });

  it('a read concurrent with a write may see either the old or the new value', () => {
    const before = put('c1', 'x', 'a', 0, 1);
    const write = put('c1', 'x', 'b', 2, 10);
    expect(verdictOf([before, write, get('c2', 'x', 'a', 3, 4)])).toBe('linearizable');
    expect(verdictOf([before, write, get('c2', 'x', 'b', 3, 4)])).toBe('linearizable');
  });

  it('an op called at the instant another returns comes after it (effects lie strictly inside intervals)', () => {
    // The put took effect before its answer arrived at 5; the get took effect after it left at 5.
    expect(verdictOf([put('c1', 'x', 'a', 0, 5), get('c2', 'x', null, 5, 6)])).toBe('not_linearizable');
    expect(verdictOf([put('c1', 'x', 'a', 0, 5), get('c2', 'x', 'a', 5, 6)])).toBe('linearizable');
    expect(verdictOf([put('c1', 'x', 'a', 0, 5), get('c2', 'x', null, 4, 6)])).toBe('linearizable');
  });

  it('two concurrent writes and two later reads that disagree on their order are not linearizable', () => {
    const writes = [put('c1', 'x', 'a', 0, 10), put('c2', 'x', 'b', 0, 10)];
    const disagreeing = [get('c3', 'x', 'a', 11, 12), get('c3', 'x', 'b', 13, 14)];
    const agreeing = [get('c3', 'x', 'b', 11, 12), get('c4', 'x', 'b', 13, 14)];
    expect(verdictOf([...writes, ...disagreeing])).toBe('not_linearizable');
    expect(verdictOf([...writes, ...agreeing])).toBe('linearizable');
  });

  it('two overlapping reads may see a concurrent write at different moments', () => {
    const writes = [put('c1', 'x', 'a', 0, 1), put('c1', 'x', 'b', 2, 20)];
    const history = [...writes, get('c2', 'x', 'b', 3, 5), get('c3', 'x', 'a', 4, 6)];
    // c2 saw b before c3's read returned, but c3's read may have taken effect earlier.
    expect(verdictOf(history)).toBe('linearizable');
  });
});

describe('checkLinearizability: outcomes other than ok', () => {
  it('a timed-out write that is later read is linearizable', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, null), get('c2', 'x', 'a', 100, 101)])).toBe('linearizable');
  });

  it('a timed-out write may also never take effect', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, null), get('c2', 'x', null, 100, 101)])).toBe('linearizable');
  });

  it('a timed-out write cannot take effect before its call', () => {
    expect(verdictOf([get('c2', 'x', 'a', 0, 1), put('c1', 'x', 'a', 2, null)])).toBe('not_linearizable');
  });

  it('a read of a timed-out write followed by a later read of the older value is not linearizable', () => {
    // Once a read has seen the write, the write has taken effect and cannot be undone.
    const history = [
      put('c1', 'x', 'old', 0, 1),
      put('c1', 'x', 'new', 2, null),
      get('c2', 'x', 'new', 10, 11),
      get('c2', 'x', 'old', 12, 13),
    ];
    expect(verdictOf(history)).toBe('not_linearizable');
  });

  it('a read of a value that was never written is not linearizable', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, 1), get('c2', 'x', 'zzz', 0, 5)])).toBe('not_linearizable');
  });

  it('a failed write whose value is read is not linearizable', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, 1, 'fail'), get('c2', 'x', 'a', 2, 3)])).toBe('not_linearizable');
  });

  it('ignores gets that did not return an answer', () => {
    const unanswered = [get('c2', 'x', 'bogus', 2, null), get('c3', 'x', 'bogus', 2, 3, 'fail')];
    expect(verdictOf([put('c1', 'x', 'a', 0, 1), ...unanswered])).toBe('linearizable');
  });
});

describe('checkLinearizability: delete', () => {
  it('delete then get reads null', () => {
    const history = [put('c1', 'x', 'a', 0, 1), del('c1', 'x', 2, 3), get('c2', 'x', null, 4, 5)];
    expect(verdictOf(history)).toBe('linearizable');
  });

  it('a get after a completed delete that reads the old value is not linearizable', () => {
    const history = [put('c1', 'x', 'a', 0, 1), del('c1', 'x', 2, 3), get('c2', 'x', 'a', 4, 5)];
    expect(verdictOf(history)).toBe('not_linearizable');
  });

  it('deleting a missing key succeeds and leaves it absent', () => {
    expect(verdictOf([del('c1', 'x', 0, 1), get('c1', 'x', null, 2, 3)])).toBe('linearizable');
  });

  it('put, delete, put: each read sees the latest step', () => {
    const steps = [put('c1', 'x', 'a', 0, 1), del('c1', 'x', 4, 5), put('c1', 'x', 'b', 8, 9)];
    const reads = [get('c2', 'x', 'a', 2, 3), get('c2', 'x', null, 6, 7), get('c2', 'x', 'b', 10, 11)];
    expect(verdictOf([...steps, ...reads])).toBe('linearizable');
    expect(verdictOf([...steps, ...reads, get('c3', 'x', null, 12, 13)])).toBe('not_linearizable');
  });
});

describe('checkLinearizability: compare-and-swap', () => {
  it('swaps when the register holds what it expects, and answers the value after it', () => {
    expect(verdictOf([cas('c1', 'x', null, 'a', [true, 'a'], 0, 1), get('c2', 'x', 'a', 2, 3)])).toBe('linearizable');
    expect(verdictOf([put('c1', 'x', 'a', 0, 1), cas('c2', 'x', 'a', 'b', [true, 'b'], 2, 3), get('c1', 'x', 'b', 4, 5)])).toBe('linearizable');
  });

  it('a swap that claims success although the register held something else is not linearizable', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, 1), cas('c2', 'x', 'z', 'b', [true, 'b'], 2, 3)])).toBe('not_linearizable');
    expect(verdictOf([cas('c2', 'x', 'a', 'b', [true, 'b'], 2, 3)])).toBe('not_linearizable');
  });

  it('a swap that says it did not swap must report the value the register held', () => {
    const before = put('c1', 'x', 'a', 0, 1);
    expect(verdictOf([before, cas('c2', 'x', 'z', 'b', [false, 'a'], 2, 3)])).toBe('linearizable');
    expect(verdictOf([before, cas('c2', 'x', 'z', 'b', [false, 'q'], 2, 3)])).toBe('not_linearizable');
    // It could have swapped (the register held what it expected): refusing is a violation.
    expect(verdictOf([before, cas('c2', 'x', 'a', 'b', [false, 'a'], 2, 3)])).toBe('not_linearizable');
  });

  it('two racing swaps from the same value cannot both win', () => {
    const start = put('c0', 'x', 'v0', 0, 1);
    const oneWins = [cas('c1', 'x', 'v0', 'v1', [true, 'v1'], 2, 10), cas('c2', 'x', 'v0', 'v2', [false, 'v1'], 2, 10)];
    const bothWin = [cas('c1', 'x', 'v0', 'v1', [true, 'v1'], 2, 10), cas('c2', 'x', 'v0', 'v2', [true, 'v2'], 2, 10)];
    expect(verdictOf([start, ...oneWins])).toBe('linearizable');
    expect(verdictOf([start, ...bothWin])).toBe('not_linearizable');
  });

  it('a swap whose answer never came may have swapped or not', () => {
    const unknown = cas('c1', 'x', null, 'a', null, 0, null);
    expect(verdictOf([unknown, get('c2', 'x', 'a', 5, 6)])).toBe('linearizable');
    expect(verdictOf([unknown, get('c2', 'x', null, 5, 6)])).toBe('linearizable');
    // But only if the register held what it expected when it took effect.
    expect(verdictOf([put('c0', 'x', 'q', 0, 1), cas('c1', 'x', null, 'a', null, 2, null), get('c2', 'x', 'a', 5, 6)])).toBe('not_linearizable');
  });

  it('explains a failing swap in words', () => {
    const failure = checkLinearizability([put('c1', 'x', 'a', 0, 1), cas('c2', 'x', 'z', 'b', [true, 'b'], 2, 3)]).failure!;
    expect(failure.explanation).toContain('c2 cas "z" => "b" -> swapped "b" [2, 3] could not be placed');
  });
});

describe('checkLinearizability: a write applied twice', () => {
  // Clients write unique values; a resent write that the cluster applies a second time puts an
  // old value back after a newer one, which no order of the operations explains.
  it('a value that comes back after a later write replaced it is not linearizable', () => {
    const history = [
      put('c1', 'x', 'c1-1', 0, 10), // answered at 10, but its copy is applied again at 25
      put('c2', 'x', 'c2-1', 12, 14),
      get('c3', 'x', 'c2-1', 16, 18),
      get('c3', 'x', 'c1-1', 30, 31),
    ];
    expect(verdictOf(history)).toBe('not_linearizable');
    expect(verdictOf(history.slice(0, 3))).toBe('linearizable');
  });

  it('a swap applied twice shows too: its second application would be answered as kept', () => {
    const start = put('c0', 'x', 'v0', 0, 1);
    const swap = cas('c1', 'x', 'v0', 'v1', [true, 'v1'], 2, 3);
    const back = put('c2', 'x', 'v0', 4, 5);
    // Applied again after c2 put v0 back: the register holds v1 once more.
    expect(verdictOf([start, swap, back, get('c3', 'x', 'v1', 6, 7)])).toBe('not_linearizable');
  });
});

describe('checkLinearizability: keys and reporting', () => {
  it('checks keys independently and reports the violating key', () => {
    const history = [
      put('c1', 'x', 'a', 0, 1),
      put('c1', 'y', 'a', 0, 1),
      get('c2', 'x', 'a', 2, 3),
      put('c1', 'y', 'b', 2, 3),
      get('c2', 'y', 'a', 4, 5),
    ];
    const result = checkLinearizability(history);
    expect(result.verdict).toBe('not_linearizable');
    expect(result.failure?.key).toBe('y');
    expect(result.failure?.ops.every((op) => op.key === 'y')).toBe(true);
    expect(result.keysChecked).toBe(2);
  });

  it('a value written to one key does not make it readable from another', () => {
    expect(verdictOf([put('c1', 'x', 'a', 0, 1), get('c2', 'y', 'a', 2, 3)])).toBe('not_linearizable');
  });

  it('explains the longest linearizable prefix and the op that could not be placed', () => {
    const history = [put('c1', 'x', 'a', 0, 1), put('c1', 'x', 'b', 2, 3), get('c2', 'x', 'a', 4, 5)];
    const failure = checkLinearizability(history).failure;
    expect(failure?.ops).toEqual(history);
    expect(failure?.explanation).toBe(
      [
        'key "x": no linearization of its 3 ops.',
        'Longest linearizable prefix (2 ops):',
        '  1. c1 put "a" [0, 1]',
        '  2. c1 put "b" [2, 3]',
        'With the key = "b", c2 get -> "a" [4, 5] could not be placed before its return.',
      ].join('\n'),
    );
  });

  it('gives verdict unknown for a key whose search exceeds the step budget', () => {
    const writes = Array.from({ length: 20 }, (_, i) => put(`c${i}`, 'x', `v${i}`, 0, 100));
    const history = [...writes, get('r', 'x', 'v7', 200, 201), put('c1', 'y', 'a', 0, 1)];
    expect(checkLinearizability(history, { stepBudgetPerKey: 10 })).toEqual({
      verdict: 'unknown',
      keysChecked: 2,
      unknownKeys: ['x'],
    });
    expect(verdictOf(history)).toBe('linearizable');
  });
});

describe('checkLinearizability: input validation', () => {
  const malformed: [string, unknown][] = [
    ['an ok op that returns before its call', put('c1', 'x', 'a', 5, 4)],
    ['an ok op without a return time', { ...put('c1', 'x', 'a', 0, 1), return: null }],
    ['an unknown op kind', { ...put('c1', 'x', 'a', 0, 1), op: 'append' }],
    ['a cas without expected', { clientId: 'c1', op: 'cas', key: 'x', value: 'a', call: 0, return: 1, status: 'ok', swapped: true, output: 'a' }],
    ['an ok cas without swapped', { clientId: 'c1', op: 'cas', key: 'x', expected: null, value: 'a', call: 0, return: 1, status: 'ok', output: 'a' }],
    ['a put without a value', { clientId: 'c1', op: 'put', key: 'x', call: 0, return: 1, status: 'ok' }],
    ['an unknown status', { ...put('c1', 'x', 'a', 0, 1), status: 'maybe' }],
    ['an ok get without an output', { clientId: 'c1', op: 'get', key: 'x', call: 0, return: 1, status: 'ok' }],
    ['a call time that is not a number', { ...put('c1', 'x', 'a', 0, 1), call: Number.NaN }],
  ];

  it.each(malformed)('throws for %s', (_, op) => {
    expect(() => checkLinearizability([put('c0', 'x', 'a', 0, 1), op as HistoryOp])).toThrow(/^history\[1\]/);
  });

  it('throws for a step budget that is not a positive integer', () => {
    expect(() => checkLinearizability([], { stepBudgetPerKey: 0 })).toThrow(/stepBudgetPerKey/);
  });
});

// --- Generated histories -------------------------------------------------------------------

const keys = ['a', 'b', 'c'];
const values = ['v0', 'v1', 'v2', 'v3'];

type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

const commandArb = fc.record({
  op: fc.constantFrom('put', 'get', 'delete'),
  key: fc.constantFrom(...keys),
  value: fc.constantFrom(...values),
  clientId: fc.constantFrom('c1', 'c2', 'c3'),
  gap: fc.nat(3),
  duration: fc.nat(5),
});

/** Applies commands one at a time to a real map, with intervals that never overlap. */
function sequentialHistory(commands: Command[]): HistoryOp[] {
  const store = new Map<string, string>();
  let time = 0;
  return commands.map(({ op, key, value, clientId, gap, duration }) => {
    const call = time + gap;
    time = call + duration + 1;
    const base = { clientId, key, call, return: call + duration, status: 'ok' as const };
    if (op === 'put') store.set(key, value);
    if (op === 'delete') store.delete(key);
    if (op === 'put') return { ...base, op, value };
    if (op === 'get') return { ...base, op, output: store.get(key) ?? null };
    return { ...base, op };
  });
}

describe('checkLinearizability: properties', () => {
  it('a sequential history of a real map is always linearizable', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { maxLength: 60 }), (commands) => {
        expect(verdictOf(sequentialHistory(commands))).toBe('linearizable');
      }),
    );
  });

  it('changing one read to a value that was never written is never linearizable', () => {
    fc.assert(
      fc.property(fc.array(commandArb, { minLength: 1, maxLength: 60 }), fc.nat(), (commands, pick) => {
        const history = sequentialHistory(commands);
        const reads = history.flatMap((op, i) => (op.op === 'get' ? [i] : []));
        fc.pre(reads.length > 0);
        const victim = reads[pick % reads.length]!;
        history[victim] = { ...history[victim]!, output: 'never-written' };
        expect(verdictOf(history)).toBe('not_linearizable');
      }),
    );
  });
});

/**
 * The definition, by brute force: some order of the informative ops that respects real time
 * (A before B when A.return <= B.call, see `precedes`) and replays on a map, where a timed-out write may also be
 * left out. Only usable on a handful of ops.
 */
function isLinearizableByBruteForce(history: HistoryOp[]): boolean {
  const ops = history.filter((op) => op.status !== 'fail' && (op.op !== 'get' || op.status === 'ok'));
  const returnOf = (op: HistoryOp): number => (op.status === 'ok' ? op.return! : Infinity);
  const placed = ops.map(() => false);
  // A precedes B when A returned no later than B was called; an op that took no time at all
  // precedes nothing that starts at its own instant (as in the checker).
  const precedes = (a: HistoryOp, b: HistoryOp): boolean =>
    returnOf(a) < b.call || (returnOf(a) === b.call && a.call < returnOf(a));
  const extend = (store: Map<string, string>): boolean => {
    if (ops.every((op, i) => placed[i] || op.status !== 'ok')) return true;
    return ops.some((op, i) => {
      const mustWait = ops.some((other, j) => !placed[j] && j !== i && precedes(other, op));
      if (placed[i] || mustWait) return false;
      if (op.op === 'get' && (store.get(op.key) ?? null) !== op.output) return false;
      const next = new Map(store);
      if (op.op === 'put') next.set(op.key, op.value!);
      if (op.op === 'delete') next.delete(op.key);
      if (op.op === 'cas') {
        const matches = (store.get(op.key) ?? null) === op.expected;
        if (matches) next.set(op.key, op.value!);
        if (op.status === 'ok' && (op.swapped !== matches || (next.get(op.key) ?? null) !== op.output)) return false;
      }
      placed[i] = true;
      const found = extend(next);
      placed[i] = false;
      return found;
    });
  };
  return extend(new Map());
}

const concurrentOpArb = fc.record({
  op: fc.constantFrom('put', 'get', 'delete', 'cas'),
  key: fc.constantFrom('a', 'b'),
  value: fc.constantFrom('v0', 'v1'),
  output: fc.constantFrom(null, 'v0', 'v1'),
  expected: fc.constantFrom(null, 'v0', 'v1'),
  swapped: fc.boolean(),
  clientId: fc.constantFrom('c1', 'c2'),
  call: fc.nat(10),
  duration: fc.nat(10),
  status: fc.constantFrom<HistoryStatus>('ok', 'ok', 'ok', 'fail', 'unknown'),
}).map(({ op, key, value, output, expected, swapped, clientId, call, duration, status }): HistoryOp => {
  const base = { clientId, key, call, return: status === 'unknown' ? null : call + duration, status };
  if (op === 'cas') return status === 'ok' ? { ...base, op, expected, value, swapped, output } : { ...base, op, expected, value };
  return op === 'put' ? { ...base, op, value } : op === 'get' ? { ...base, op, output } : { ...base, op };
});

describe('checkLinearizability: against the definition', () => {
  it('agrees with a brute-force search on small random concurrent histories', () => {
    fc.assert(
      fc.property(fc.array(concurrentOpArb, { maxLength: 7 }), (history) => {
        const expected = isLinearizableByBruteForce(history) ? 'linearizable' : 'not_linearizable';
        expect(verdictOf(history)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

/** A small seeded PRNG (mulberry32) so the generated history is the same on every run. */
function seededRandom(seed: number): (bound: number) => number {
  let state = seed >>> 0;
  return (bound) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  };
}

interface TimedOp { op: HistoryOp; effectAt: number; tookEffect: boolean }

/**
 * Simulates clients against one linearizable store: every op takes effect at a random instant
 * inside its interval, and the store applies ops in the order of those instants. A few writes
 * fail (no effect) or time out (effect or none, reply lost), and a few reads time out.
 */
function concurrentHistory(
  random: (bound: number) => number,
  clients: number,
  opsPerClient: number,
): HistoryOp[] {
  const timed: TimedOp[] = [];
  for (let c = 0; c < clients; c++) {
    let time = random(10);
    for (let i = 0; i < opsPerClient; i++) {
      const call = time + random(4);
      const ret = call + 1 + random(30);
      time = ret + 1;
      const kind = random(10);
      const key = `k${random(5)}`;
      const base = { clientId: `c${c}`, key, call, return: ret, status: 'ok' as HistoryStatus };
      const op: HistoryOp =
        kind < 4 ? { ...base, op: 'put', value: `v${random(3)}` }
        : kind < 5 ? { ...base, op: 'delete' }
        : { ...base, op: 'get' };
      const outcome = random(200);
      if (outcome === 0) op.status = 'fail';
      if (outcome === 1) Object.assign(op, { status: 'unknown', return: null });
      const tookEffect = op.status === 'ok' || (op.status === 'unknown' && random(2) === 0);
      // Effects lie strictly inside the interval, as in a real system: a half-step grid in (call, ret).
      timed.push({ op, effectAt: call + (1 + random(2 * (ret - call) - 1)) / 2, tookEffect });
    }
  }
  const store = new Map<string, string>();
  for (const { op, tookEffect } of [...timed].sort((x, y) => x.effectAt - y.effectAt)) {
    if (!tookEffect) continue;
    if (op.op === 'put') store.set(op.key, op.value!);
    if (op.op === 'delete') store.delete(op.key);
    if (op.op === 'get') op.output = store.get(op.key) ?? null;
  }
  return timed.map(({ op }) => op).sort((x, y) => x.call - y.call);
}

describe('checkLinearizability: a larger concurrent history', () => {
  const history = concurrentHistory(seededRandom(42), 8, 250);

  it('accepts 2,000 overlapping ops from 8 clients over 5 keys', () => {
    expect(history).toHaveLength(2000);
    expect(checkLinearizability(history)).toEqual({ verdict: 'linearizable', keysChecked: 5, unknownKeys: [] });
  });

  // Proving a violation means exhausting every order before the bad read; without the memo of
  // (linearized ops, state) pairs this one runs past the default step budget.
  it('rejects the same history once one read returns a value that was never written', () => {
    const mutated = history.map((op) => ({ ...op }));
    const reads = mutated.filter((op) => op.op === 'get' && op.status === 'ok');
    const read = reads[Math.floor(reads.length / 2)]!;
    read.output = 'never-written';
    const result = checkLinearizability(mutated);
    expect(result.verdict).toBe('not_linearizable');
    expect(result.failure?.key).toBe(read.key);
  });
});
