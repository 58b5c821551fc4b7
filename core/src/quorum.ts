/** Majority arithmetic as pure functions (the paper's "a majority of the servers"). */
import type { NodeId } from './types';

export const quorumSize = (voterCount: number): number => Math.floor(voterCount / 2) + 1;

/**
 * The largest index that a majority of voters have matched: sort the match indexes from high to
 * low and take the quorum-th one. (Insertion sort into a scratch array: this runs on every
 * acknowledgement, for a handful of voters.)
 */
export function majorityMatchIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  const sorted = scratch.length >= n ? scratch : (scratch = new Array<number>(n));
  for (let i = 0; i < n; i++) {
    const value = matchOf(voters[i]!);
    let j = i;
    while (j > 0 && sorted[j - 1]! < value) {
      sorted[j] = sorted[j - 1]!;
      j--;
    }
    sorted[j] = value;
  }
  return sorted[quorumSize(n) - 1]!;
}

let scratch: number[] = new Array<number>(16);

export type VoteResult = 'won' | 'lost' | 'pending';

/** Won once a majority granted; lost once a majority can no longer grant. */
export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const quorum = quorumSize(voters.length);
  if (granted >= quorum) return 'won';
  if (rejected > voters.length - quorum) return 'lost';
  return 'pending';
}

/** True when the members for which `isActive` holds form a majority. */
export function hasActiveQuorum(voters: readonly NodeId[], isActive: (id: NodeId) => boolean): boolean {
  let active = 0;
  for (const id of voters) if (isActive(id)) active++;
  return active >= quorumSize(voters.length);
}
