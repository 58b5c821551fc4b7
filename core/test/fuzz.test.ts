/**
 * A bounded sweep of randomized fault schedules (the full sweep is `npm run fuzz`), and proof that
 * the sweep can fail: with a safety rule removed, with stale reads, or with clients that resend
 * writes without a session, it reports failures.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../src/sim/fuzz';

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('randomized fault schedules', () => {
  it.each([[3, range(1, 150)], [5, range(1, 80)], [7, range(1, 40)]] as const)(
    '%i nodes: no invariant violation, linearizable histories, progress after healing',
    (nodes, seeds) => {
      const failing = seeds.map((seed) => runFuzz({ seed, nodes, faultPhaseMs: 10_000 })).filter((r) => !r.ok);
      expect(failing.map((r) => `seed ${r.seed}: ${r.failures.join(' | ')}`)).toEqual([]);
    },
  );

  it('granting votes without the log check is caught (leader completeness, state machine safety)', () => {
    const results = range(1, 20).map((seed) => runFuzz({ seed, nodes: 5, unsafe: { skipVoteLogCheck: true } }));
    const failures = results.flatMap((r) => r.failures);
    expect(failures.some((f) => f.startsWith('leader_completeness'))).toBe(true);
    expect(failures.some((f) => f.startsWith('state_machine_safety'))).toBe(true);
  });

  it('clients resending unanswered writes without a session apply some twice: the exactly-once check catches it', () => {
    const blind = range(1, 20).map((seed) => runFuzz({ seed, nodes: 3, blindRetries: true }));
    expect(blind.every((r) => !r.sessions && r.resent > 0)).toBe(true);
    const twice = blind.filter((r) => r.appliedTwice > 0);
    expect(twice.length).toBeGreaterThan(0);
    expect(twice[0]!.failures.some((f) => f.startsWith('exactly-once: a write applied twice'))).toBe(true);
    // The same fault schedules with sessions: the resent writes are recognized.
    const withSessions = twice.map((r) => runFuzz({ seed: r.seed, nodes: 3, sessions: true }));
    expect(withSessions.every((r) => r.sessions && r.resent > 0)).toBe(true);
    expect(withSessions.filter((r) => !r.ok).map((r) => r.failures)).toEqual([]);
  });

  it('reads served locally without ReadIndex are caught by the linearizability checker', () => {
    const results = range(1, 10).map((seed) => runFuzz({ seed, nodes: 3, staleReads: true }));
    expect(results.filter((r) => r.linearizability === 'not_linearizable').length).toBeGreaterThan(5);
  });
});
