/**
 * The AppendEntries shortcut (src/wire-fast.ts) against the schema (src/wire.ts): on any body it
 * either gives up or returns exactly what the schema returns, and on the common bodies it does
 * not give up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { appendEntriesBySchema, parseRequest } from '../src/wire';
import { fastAppendEntries } from '../src/wire-fast';

/** Anything a JSON body can hold in a field. */
const anyJson = fc.oneof(
  fc.constantFrom(-1, 0, 1, 2, 3, 1.5, 2 ** 53, 2 ** 53 - 1, 1e300, -0, '', 'x', '1', null, true, false, [], {}),
  fc.integer({ min: -5, max: 50 }),
  fc.string({ maxLength: 4 }),
);

/** A field that is usually right and sometimes anything at all. */
const usually = <T>(good: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 15, arbitrary: good }, { weight: 1, arbitrary: anyJson });

const sessionArb = fc.record({ client: usually(fc.integer({ min: 1, max: 9 })), seq: usually(fc.integer({ min: 1, max: 9 })), ack: usually(fc.integer({ min: 1, max: 9 })) });

const commandArb = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set'), key: usually(fc.string({ minLength: 1, maxLength: 8 })), value: usually(fc.string({ maxLength: 8 })) }, { requiredKeys: ['op'] }) },
  fc.record({ op: fc.constant('delete'), key: usually(fc.string({ minLength: 1, maxLength: 8 })) }, { requiredKeys: ['op'] }),
  fc.record({ op: fc.constant('noop') }),
  fc.record({ op: fc.constantFrom('set', 'delete'), key: fc.constant('k'), value: fc.constant('v'), session: usually(sessionArb), at: usually(fc.nat(99)) }, { requiredKeys: ['op', 'key'] }),
  fc.record({ op: fc.constant('cas'), key: fc.constant('k'), expected: fc.constantFrom(null, 'a'), value: fc.constant('b') }),
  fc.record({ op: fc.constant('register'), timeoutMs: fc.constant(1000), at: fc.constant(5) }),
  fc.record({ op: anyJson, key: fc.constant('k'), extra: anyJson }),
  anyJson,
).chain((c) => fc.constantFrom(c, typeof c === 'object' && c !== null && !Array.isArray(c) ? { ...c, unknownField: 1 } : c));

/** A body near a valid AppendEntries: consecutive indexes and non-decreasing terms, unless a field was replaced. */
const bodyArb = fc.record({
  term: usually(fc.integer({ min: 0, max: 6 })),
  leaderId: usually(fc.constantFrom('n1', 'n1', 'n1', 'n1', 'x'.repeat(64), 'x'.repeat(65), '')),
  leaderAddr: fc.option(usually(fc.constantFrom('http://127.0.0.1:8081', 'http://127.0.0.1:8081', 'h'.repeat(512), 'h'.repeat(513))), { nil: undefined }),
  prevLogIndex: usually(fc.integer({ min: 0, max: 5 })),
  prevLogTerm: usually(fc.integer({ min: 0, max: 6 })),
  terms: fc.array(fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: usually(fc.integer({ min: 0, max: 7 })) }), { maxLength: 4 }),
  commands: fc.array(commandArb, { maxLength: 4 }),
  indexShift: fc.constantFrom(0, 0, 0, 1, -1),
  leaderCommit: usually(fc.nat(9)),
  seq: fc.option(usually(fc.nat(9)), { nil: undefined }),
  extra: fc.option(anyJson, { nil: undefined }),
}).map(({ terms, commands, indexShift, extra, ...m }) => {
  const first = (typeof m.prevLogIndex === 'number' ? m.prevLogIndex : 0) + 1 + indexShift;
  const entries = commands.map((command, i) => ({ term: terms[i] ?? m.term, index: first + i, command }));
  // Through JSON, as a body arrives: no undefined fields, no shared objects.
  return JSON.parse(JSON.stringify({ ...m, entries, extraField: extra })) as unknown;
});

describe('the AppendEntries shortcut', () => {
  it('returns what the schema returns, or nothing, for any body', () => {
    let taken = 0;
    let refused = 0;
    fc.assert(fc.property(bodyArb, (body) => {
      const fast = fastAppendEntries(body, 'n2');
      const schema = appendEntriesBySchema(body, 'n2');
      if (!schema.ok) refused++;
      if (fast === undefined) return;
      taken++;
      expect(schema.ok).toBe(true);
      if (!schema.ok) return;
      // Same fields in the same order (what the WAL and the log lines are built from), frozen alike.
      expect(JSON.stringify(fast)).toBe(JSON.stringify(schema.value));
      expect(fast).toEqual(schema.value);
      fast.entries.forEach((e, i) => {
        expect(Object.isFrozen(e)).toBe(Object.isFrozen(schema.value.entries[i]));
        expect(Object.isFrozen(e.command)).toBe(Object.isFrozen(schema.value.entries[i]!.command));
      });
    }), { numRuns: 5000, seed: 20261203 });
    // The generator reaches both sides: bodies the shortcut takes and bodies the schema refuses.
    expect(taken).toBeGreaterThan(200);
    expect(refused).toBeGreaterThan(200);
  });

  it('takes the bodies a leader sends (sets, deletes, noops, sessions) and leaves the rest to the schema', () => {
    const body = {
      term: 3, leaderId: 'n1', leaderAddr: 'http://127.0.0.1:8081', prevLogIndex: 4, prevLogTerm: 2, leaderCommit: 4, seq: 17,
      entries: [
        { term: 3, index: 5, command: { op: 'noop' } },
        { term: 3, index: 6, command: { op: 'set', key: 'k', value: 'v' } },
        { term: 3, index: 7, command: { op: 'delete', key: 'k', session: { client: 5, seq: 2, ack: 1 }, at: 9 } },
      ],
    };
    expect(fastAppendEntries(body, 'n2')).toEqual((appendEntriesBySchema(body, 'n2') as { value: unknown }).value);
    const cas = { ...body, entries: [{ term: 3, index: 5, command: { op: 'cas', key: 'k', expected: null, value: 'w' } }] };
    expect(fastAppendEntries(cas, 'n2')).toBeUndefined();
    expect(parseRequest('appendentries', cas, 'n2').ok).toBe(true);
    const gap = { ...body, entries: [{ term: 3, index: 6, command: { op: 'noop' } }] };
    expect(fastAppendEntries(gap, 'n2')).toBeUndefined();
    expect(parseRequest('appendentries', gap, 'n2')).toEqual({ ok: false, error: expect.stringContaining('entries[0].index must be 5') });
  });
});
