/** Quorum arithmetic against a naive definition, with generated inputs. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { majorityMatchIndex, quorumSize, tallyVotes } from '../src/index';

/** The largest N such that more than half the voters have match >= N (the paper's wording). */
function naiveCommitIndex(matches: number[]): number {
  let best = 0;
  for (const candidate of matches) {
    if (matches.filter((m) => m >= candidate).length * 2 > matches.length) best = Math.max(best, candidate);
  }
  return best;
}

function naiveTally(n: number, granted: number, rejected: number): 'won' | 'lost' | 'pending' {
  if (granted * 2 > n) return 'won';
  if ((n - rejected) * 2 <= n) return 'lost';
  return 'pending';
}

describe('quorum', () => {
  it('a majority is more than half', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  it('majorityMatchIndex equals the naive "largest N matched by a majority"', () => {
    fc.assert(fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 9 }), (matches) => {
      const voters = matches.map((_, i) => `n${i}`);
      expect(majorityMatchIndex(voters, (id) => matches[Number(id.slice(1))]!)).toBe(naiveCommitIndex(matches));
    }));
  });

  it('tallyVotes equals the naive count of grants and rejections', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom<boolean | undefined>(true, false, undefined), { minLength: 1, maxLength: 9 }), (answers) => {
      const voters = answers.map((_, i) => `n${i}`);
      const votes = new Map<string, boolean>();
      answers.forEach((a, i) => a !== undefined && votes.set(`n${i}`, a));
      const granted = answers.filter((a) => a === true).length;
      const rejected = answers.filter((a) => a === false).length;
      expect(tallyVotes(voters, votes)).toBe(naiveTally(answers.length, granted, rejected));
    }));
  });
});
