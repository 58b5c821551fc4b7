/**
 * The URL contract (docs/playground.md, "URL parameters"): `?seed=<int>&nodes=<n>` reproduces a run, `?mode=live`
 * opens live mode. The playground also reads `speed`, `load` (client ops per simulated second),
 * `loss` (message loss rate), `off=<rules>` (protocol rules switched off, e.g. `off=preVote,readIndex`;
 * the older `unsafe=1` is `off=commitRule`), `bugs=<options>` (bug-zoo options switched on, e.g.
 * `bugs=truncateMatchingEntries`), `paused=1`, and a shared run: `script=` (the actions,
 * base64url JSON) with `t=` (the simulated ms to show), or a whole scenario file as `scenario=`.
 */
import type { ProtocolToggles, RunSetup, SharedRun } from '../engine/protocol';
import { fullProtocol, protocolNames } from '../engine/protocol';
import { fromBase64Url, toBase64Url } from '../engine/script';
import { parseScenario, parseScript, simulatedTimeMax } from '../engine/scenario-format';

export interface UrlParams {
  seed: number;
  nodes: number;
  mode: 'sim' | 'live';
  speed: number;
  load: number;
  loss: number;
  protocol: ProtocolToggles;
  /** Bug-zoo options switched on (names as in core's UnsafeOptions; the engine ignores unknown ones). */
  bugs: string[];
  paused: boolean;
  /** Whether the URL named a seed (otherwise a random one was picked). */
  seedGiven: boolean;
  /** A shared run or a scenario file to open. */
  open: SharedRun | null;
  /** Why the shared run in the URL could not be read. */
  openError: string | null;
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

function protocolFrom(q: URLSearchParams): ProtocolToggles {
  const protocol = { ...fullProtocol };
  const off = (q.get('off') ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const name of protocolNames) if (off.includes(name.toLowerCase())) protocol[name] = false;
  if (q.get('unsafe') === '1' || q.get('unsafe') === 'true') protocol.commitRule = false;
  return protocol;
}

/** `bugs=a,b`: option names are identifiers, anything else is dropped. */
export function bugsFrom(raw: string | null): string[] {
  return [...new Set((raw ?? '').split(',').map((s) => s.trim()).filter((s) => /^[A-Za-z]+$/.test(s) && s !== 'commitOldTermByCount'))].sort();
}

function sharedFrom(q: URLSearchParams, setup: RunSetup): SharedRun | null {
  const scenario = q.get('scenario');
  if (scenario !== null) return parseScenario(JSON.parse(fromBase64Url(scenario)));
  const script = q.get('script');
  const t = num(q.get('t'));
  if (script === null && t === null) return null;
  const run: SharedRun = { setup, script: script === null ? [] : parseScript(JSON.parse(fromBase64Url(script)), setup.nodeCount) };
  if (t !== null && t >= 0) run.at = Math.min(t, simulatedTimeMax);
  return run;
}

/** Parses a query string; `randomSeed` is used when none is given (injected: this stays pure). */
export function parseUrl(search: string, randomSeed: number): UrlParams {
  const q = new URLSearchParams(search);
  const seed = int(q.get('seed'));
  const nodes = int(q.get('nodes'));
  const speed = num(q.get('speed'));
  const load = num(q.get('load'));
  const loss = num(q.get('loss'));
  const params: UrlParams = {
    seed: seed !== null && seed >= 0 ? seed : randomSeed,
    seedGiven: seed !== null && seed >= 0,
    nodes: nodes === null ? defaultNodes : clampNodes(nodes),
    mode: q.get('mode') === 'live' ? 'live' : 'sim',
    speed: speed !== null && speed > 0 ? Math.min(100, Math.max(0.01, speed)) : defaultSpeed,
    load: load !== null && load > 0 ? Math.min(200, load) : 0,
    loss: loss !== null && loss > 0 ? Math.min(1, loss) : 0,
    protocol: protocolFrom(q),
    bugs: bugsFrom(q.get('bugs')),
    paused: q.get('paused') === '1' || q.get('paused') === 'true',
    open: null,
    openError: null,
  };
  try {
    params.open = sharedFrom(q, setupOf(params));
  } catch (error) {
    params.openError = `The run in this link could not be read: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (params.open) {
    const s = params.open.setup;
    Object.assign(params, { seed: s.seed, seedGiven: true, nodes: s.nodeCount, load: s.loadOpsPerSec, loss: s.lossRate, protocol: s.protocol, bugs: s.bugs ?? [] });
  }
  return params;
}

export function setupOf(p: Pick<UrlParams, 'seed' | 'nodes' | 'protocol' | 'load' | 'loss'> & Partial<Pick<UrlParams, 'bugs'>>): RunSetup {
  const setup: RunSetup = { seed: p.seed, nodeCount: p.nodes, protocol: { ...p.protocol }, loadOpsPerSec: p.load, lossRate: p.loss };
  return p.bugs && p.bugs.length > 0 ? { ...setup, bugs: [...p.bugs] } : setup;
}

/** The rules a setup switches off, for `off=`. */
const offList = (protocol: ProtocolToggles): string => protocolNames.filter((name) => !protocol[name]).join(',');

/** The query string that starts this setup afresh: seed and node count, and the knobs that differ from the defaults. */
export function runQuery(setup: RunSetup, mode: 'sim' | 'live' = 'sim'): string {
  const q = new URLSearchParams({ seed: String(setup.seed), nodes: String(setup.nodeCount) });
  const off = offList(setup.protocol);
  if (off) q.set('off', off);
  if (setup.bugs && setup.bugs.length > 0) q.set('bugs', setup.bugs.join(','));
  if (setup.loadOpsPerSec > 0) q.set('load', String(setup.loadOpsPerSec));
  if (setup.lossRate > 0) q.set('loss', String(setup.lossRate));
  if (mode === 'live') q.set('mode', 'live');
  return `?${q.toString()}`;
}

/** The query string that reproduces a run up to the moment shown, at the speed it was watched. */
export function shareQuery(run: SharedRun & { at: number }, speed: number): string {
  const q = new URLSearchParams(runQuery(run.setup).slice(1));
  q.set('speed', String(speed));
  if (run.script.length > 0) q.set('script', toBase64Url(JSON.stringify(run.script)));
  q.set('t', String(run.at));
  return `?${q.toString()}`;
}

/** A scenario file as a link that opens it. */
export function scenarioQuery(file: unknown): string {
  return `?${new URLSearchParams({ scenario: toBase64Url(JSON.stringify(file)) }).toString()}`;
}
