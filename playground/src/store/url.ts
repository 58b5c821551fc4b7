/**
 * The URL contract (docs/playground.md, "URL parameters"): `?seed=<int>&nodes=<n>` reproduces a run, `?mode=live`
 * opens live mode. The playground also reads `speed`, `load` (client ops per simulated second),
 * `unsafe=1` (Figure 8's unsafe commit rule) and `paused=1`.
 */
export interface UrlParams {
  seed: number;
  nodes: number;
  mode: 'sim' | 'live';
  speed: number;
  load: number;
  unsafe: boolean;
  paused: boolean;
  /** Whether the URL named a seed (otherwise a random one was picked). */
  seedGiven: boolean;
}

export const nodesMin = 3;
export const nodesMax = 7;
export const defaultNodes = 5;
/** Slow enough to watch a message cross a link, fast enough to see an election within seconds. */
export const defaultSpeed = 0.1;

const int = (raw: string | null): number | null => {
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
};

const num = (raw: string | null): number | null => {
  if (raw === null || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
};

export const clampNodes = (n: number): number => Math.min(nodesMax, Math.max(nodesMin, Math.round(n)));

/** Parses a query string; `randomSeed` is used when none is given (injected: this stays pure). */
export function parseUrl(search: string, randomSeed: number): UrlParams {
  const q = new URLSearchParams(search);
  const seed = int(q.get('seed'));
  const nodes = int(q.get('nodes'));
  const speed = num(q.get('speed'));
  const load = num(q.get('load'));
  return {
    seed: seed !== null && seed >= 0 ? seed : randomSeed,
    seedGiven: seed !== null && seed >= 0,
    nodes: nodes === null ? defaultNodes : clampNodes(nodes),
    mode: q.get('mode') === 'live' ? 'live' : 'sim',
    speed: speed !== null && speed > 0 ? Math.min(100, Math.max(0.01, speed)) : defaultSpeed,
    load: load !== null && load > 0 ? Math.min(200, load) : 0,
    unsafe: q.get('unsafe') === '1' || q.get('unsafe') === 'true',
    paused: q.get('paused') === '1' || q.get('paused') === 'true',
  };
}

/** The query string that reproduces a run: seed and node count (and the unsafe toggle when on). */
export function runQuery(run: { seed: number; nodeCount: number; unsafeCommitOldTerm: boolean }, mode: 'sim' | 'live' = 'sim'): string {
  const q = new URLSearchParams({ seed: String(run.seed), nodes: String(run.nodeCount) });
  if (run.unsafeCommitOldTerm) q.set('unsafe', '1');
  if (mode === 'live') q.set('mode', 'live');
  return `?${q.toString()}`;
}
