/**
 * Each protocol toggle's guided scenario (it passes with the rule on and fails with it off). Kept
 * apart from scenarios.ts so that the page can name them without loading the scenarios.
 */
import type { ProtocolName } from './protocol';

export const toggleScenario: Readonly<Record<ProtocolName, string>> = {
  preVote: 'prevote-rejoin',
  checkQuorum: 'partitioned-old-leader',
  leaderNoop: 'noop-read',
  fastBacktracking: 'fast-backtracking',
  readIndex: 'stale-read',
  commitRule: 'figure8',
};
