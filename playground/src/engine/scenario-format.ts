/**
 * Scenarios as data: a JSON file holds a run's setup, its actions with the simulated step and time
 * each happened, and what must hold at given moments. The page exports the run on screen as one,
 * imports one, or opens one from a link; `replayShared` (replay.ts) runs it, in the page and in
 * vitest alike, so a file gets the same verdict everywhere. This module only reads and writes the
 * format (the page uses it without loading the simulator).
 *
 * {
 *   "format": "raft-kv-scenario", "version": 1, "title": "Kill the leader",
 *   "setup": { "seed": 7, "nodeCount": 3, "protocol": { "preVote": true, ... }, "loadOpsPerSec": 0, "lossRate": 0 },
 *   "script": [ { "step": 812, "at": 1500, "action": { "type": "sim", "action": { "type": "crash", "node": "n2" } } } ],
 *   "at": 4000,
 *   "expect": [ { "at": 4000, "check": "leader", "node": "n3" } ]
 * }
 */
import type { ConfigChange } from '@raft-kv/core';
import type { SimAction } from '@raft-kv/core/sim';
import type { Expectation, LearnerAction, ProtocolToggles, RunSetup, ScriptEntry, SharedRun, SimSnapshot } from './protocol';
import { fullProtocol, protocolNames } from './protocol';

/** The simulator's node ids (n1, n2, ...): spelled out here so the page need not load the simulator. */
const nodeIdsFor = (count: number): string[] => Array.from({ length: count }, (_, i) => `n${i + 1}`);

export const scenarioFormat = 'raft-kv-scenario';
export const scenarioVersion = 1;

export interface ScenarioFile extends SharedRun {
  format: typeof scenarioFormat;
  version: number;
}

/** The longest run a file or a link may ask for (it is replayed at once, in the page's worker). */
export const simulatedTimeMax = 3_600_000;

export class ScenarioFileError extends Error {
  override name = 'ScenarioFileError';
}

// ---- reading (files and links come from outside: every field is checked) -----------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, what: string, min = 0): number => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ScenarioFileError(`${what} must be a number >= ${min}`);
  return v;
};
/** A simulated time: at most an hour. */
const time = (v: unknown, what: string): number => {
  const t = num(v, what);
  if (t > simulatedTimeMax) throw new ScenarioFileError(`${what} is past ${simulatedTimeMax} ms (an hour of simulated time)`);
  return t;
};
const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new ScenarioFileError(`${what} must be a string`);
  return v;
};
const bool = (v: unknown, what: string): boolean => {
  if (typeof v !== 'boolean') throw new ScenarioFileError(`${what} must be true or false`);
  return v;
};

export function parseSetup(v: unknown): RunSetup {
  if (!isObject(v)) throw new ScenarioFileError('setup must be an object');
  const nodeCount = num(v.nodeCount, 'setup.nodeCount', 1);
  if (!Number.isInteger(nodeCount) || nodeCount > 7 || nodeCount < 3) throw new ScenarioFileError('setup.nodeCount must be 3 to 7');
  const seed = num(v.seed, 'setup.seed');
  if (!Number.isSafeInteger(seed)) throw new ScenarioFileError('setup.seed must be an integer');
  const protocol: ProtocolToggles = { ...fullProtocol };
  if (v.protocol !== undefined) {
    if (!isObject(v.protocol)) throw new ScenarioFileError('setup.protocol must be an object');
    for (const name of protocolNames) if (v.protocol[name] !== undefined) protocol[name] = bool(v.protocol[name], `setup.protocol.${name}`);
  }
  const lossRate = v.lossRate === undefined ? 0 : num(v.lossRate, 'setup.lossRate');
  if (lossRate > 1) throw new ScenarioFileError('setup.lossRate must be at most 1');
  const setup: RunSetup = { seed, nodeCount, protocol, loadOpsPerSec: v.loadOpsPerSec === undefined ? 0 : Math.min(200, num(v.loadOpsPerSec, 'setup.loadOpsPerSec')), lossRate };
  if (v.bugs === undefined) return setup;
  if (!Array.isArray(v.bugs)) throw new ScenarioFileError('setup.bugs must be a list of option names');
  const bugs = v.bugs.map((b, i) => {
    const name = str(b, `setup.bugs[${i}]`);
    if (!/^[A-Za-z]+$/.test(name)) throw new ScenarioFileError(`setup.bugs[${i}] is not an option name`);
    return name;
  });
  return bugs.length > 0 ? { ...setup, bugs: [...new Set(bugs)].sort() } : setup;
}

/** A membership change as a file spells it: `{ "type": "addLearner" | "promote" | "remove", "node": "n4" }`. */
function parseChange(v: unknown, node: (x: unknown, field: string) => string, what: string): ConfigChange {
  if (!isObject(v)) throw new ScenarioFileError(`${what}.request.change must be an object`);
  if (v.type !== 'addLearner' && v.type !== 'promote' && v.type !== 'remove') throw new ScenarioFileError(`${what}.request.change.type must be addLearner, promote or remove`);
  return { type: v.type, node: node(v.node, 'request.change.node') };
}

/** A client request of a script: the KV verbs, or the operator's membership change and leadership transfer. */
function parseClientRequest(r: unknown, node: (x: unknown, field: string) => string, what: string): Extract<SimAction, { type: 'client' }>['request'] {
  if (!isObject(r)) throw new ScenarioFileError(`${what}.request must be an object`);
  const common = { clientId: str(r.clientId, `${what}.request.clientId`), node: node(r.node, 'request.node'), key: str(r.key ?? '', `${what}.request.key`), ...(r.record === false ? { record: false } : {}) };
  if (r.op === 'config') return { ...common, op: 'config', change: parseChange(r.change, node, what) };
  if (r.op === 'transfer') return { ...common, op: 'transfer', target: node(r.target, 'request.target') };
  const op = r.op === 'put' || r.op === 'get' || r.op === 'delete' ? r.op : null;
  if (!op) throw new ScenarioFileError(`${what}.request.op must be put, get, delete, config or transfer`);
  return {
    ...common, op,
    ...(r.value !== undefined ? { value: str(r.value, `${what}.request.value`) } : {}),
    ...(r.consistency === 'stale' ? { consistency: 'stale' as const } : {}),
  };
}

function parseSimAction(v: unknown, ids: readonly string[], what: string): SimAction {
  if (!isObject(v)) throw new ScenarioFileError(`${what} must be an object`);
  const node = (x: unknown, field: string) => {
    const id = str(x, `${what}.${field}`);
    if (!ids.includes(id)) throw new ScenarioFileError(`${what}.${field}: no node ${id} (nodes: ${ids.join(', ')})`);
    return id;
  };
  switch (v.type) {
    case 'crash': case 'restart': case 'isolate': case 'campaign':
      return { type: v.type, node: node(v.node, 'node') };
    case 'cut': case 'heal':
      return { type: v.type, from: node(v.from, 'from'), to: node(v.to, 'to'), bothWays: bool(v.bothWays, `${what}.bothWays`) };
    case 'partition': {
      if (!Array.isArray(v.groups) || !v.groups.every(Array.isArray)) throw new ScenarioFileError(`${what}.groups must be lists of node ids`);
      return { type: 'partition', groups: (v.groups as unknown[][]).map((g) => g.map((id) => node(id, 'groups'))) };
    }
    case 'healAll':
      return { type: 'healAll' };
    case 'setNetwork': {
      if (!isObject(v.network)) throw new ScenarioFileError(`${what}.network must be an object`);
      const network: Record<string, number> = {};
      for (const key of ['lossRate', 'duplicateRate', 'reorderRate', 'reorderDelayMaxMs', 'latencyMinMs', 'latencyMaxMs']) {
        if (v.network[key] !== undefined) network[key] = num(v.network[key], `${what}.network.${key}`);
      }
      return { type: 'setNetwork', network };
    }
    case 'dropMessage': case 'duplicateMessage':
      return { type: v.type, id: num(v.id, `${what}.id`, 1) };
    case 'delayMessage':
      return { type: 'delayMessage', id: num(v.id, `${what}.id`, 1), ms: num(v.ms, `${what}.ms`) };
    case 'electionTimers':
      if (v.mode !== 'align' && v.mode !== 'spread') throw new ScenarioFileError(`${what}.mode must be align or spread`);
      return { type: 'electionTimers', mode: v.mode };
    case 'addNode':
      return { type: 'addNode' };
    case 'client':
      return { type: 'client', request: parseClientRequest(v.request, node, what) };
    default:
      throw new ScenarioFileError(`${what}.type: unknown action ${JSON.stringify(v.type)}`);
  }
}

function parseAction(v: unknown, ids: readonly string[], what: string): LearnerAction {
  if (!isObject(v)) throw new ScenarioFileError(`${what} must be an object`);
  switch (v.type) {
    case 'sim':
      return { type: 'sim', action: parseSimAction(v.action, ids, `${what}.action`) };
    case 'setLoad':
      return { type: 'setLoad', opsPerSec: Math.min(200, num(v.opsPerSec, `${what}.opsPerSec`)) };
    case 'request': {
      const op = v.op === 'put' || v.op === 'get' || v.op === 'delete' ? v.op : null;
      if (!op) throw new ScenarioFileError(`${what}.op must be put, get or delete`);
      const target = str(v.target, `${what}.target`);
      if (target !== 'leader' && !ids.includes(target)) throw new ScenarioFileError(`${what}.target: no node ${target}`);
      return {
        type: 'request', client: str(v.client, `${what}.client`), op, key: str(v.key, `${what}.key`), value: str(v.value ?? '', `${what}.value`),
        target, stale: v.stale === true, retry: v.retry === true,
      };
    }
    default:
      throw new ScenarioFileError(`${what}.type must be sim, request or setLoad`);
  }
}

export function parseScript(v: unknown, nodeCount: number): ScriptEntry[] {
  return parseScriptWithIds(v, nodeCount).script;
}

/** The script, and the node ids it ends with (an `addNode` adds the next one, as the simulator does). */
function parseScriptWithIds(v: unknown, nodeCount: number): { script: ScriptEntry[]; ids: string[] } {
  if (!Array.isArray(v)) throw new ScenarioFileError('script must be a list');
  const ids = nodeIdsFor(nodeCount);
  let last = { step: 0, at: 0 };
  const script = v.map((e, i) => {
    if (!isObject(e)) throw new ScenarioFileError(`script[${i}] must be an object`);
    const entry: ScriptEntry = { step: num(e.step, `script[${i}].step`), at: time(e.at, `script[${i}].at`), action: parseAction(e.action, ids, `script[${i}].action`) };
    if (entry.step < last.step || entry.at < last.at) throw new ScenarioFileError(`script[${i}] is out of order (step and time never go back)`);
    if (entry.action.type === 'sim' && entry.action.action.type === 'addNode') {
      if (ids.length >= serversMax) throw new ScenarioFileError(`script[${i}]: a simulated cluster has at most ${serversMax} servers`);
      ids.push(`n${ids.length + 1}`);
    }
    last = entry;
    return entry;
  });
  return { script, ids };
}

/** The simulator's limit on servers (initial and added). */
export const serversMax = 9;

function parseExpectation(v: unknown, ids: readonly string[], i: number): Expectation {
  const what = `expect[${i}]`;
  if (!isObject(v)) throw new ScenarioFileError(`${what} must be an object`);
  const at = time(v.at, `${what}.at`);
  const node = () => {
    const id = str(v.node, `${what}.node`);
    if (!ids.includes(id)) throw new ScenarioFileError(`${what}.node: no node ${id}`);
    return id;
  };
  switch (v.check) {
    case 'leader': return { at, check: 'leader', node: v.node === null ? null : node() };
    case 'role': {
      if (!['leader', 'follower', 'candidate', 'down'].includes(v.role as string)) throw new ScenarioFileError(`${what}.role must be leader, follower, candidate or down`);
      return { at, check: 'role', node: node(), role: v.role as 'leader' };
    }
    case 'term': return { at, check: 'term', node: node(), term: num(v.term, `${what}.term`) };
    case 'commitIndexAtLeast': return { at, check: 'commitIndexAtLeast', node: node(), index: num(v.index, `${what}.index`) };
    case 'value': return { at, check: 'value', node: node(), key: str(v.key, `${what}.key`), value: v.value === null ? null : str(v.value, `${what}.value`) };
    case 'safety': {
      if (!Array.isArray(v.violated)) throw new ScenarioFileError(`${what}.violated must be a list`);
      return { at, check: 'safety', violated: v.violated.map((p, j) => str(p, `${what}.violated[${j}]`)).sort() };
    }
    case 'stateHash': return { at, check: 'stateHash', hash: str(v.hash, `${what}.hash`) };
    default: throw new ScenarioFileError(`${what}.check: unknown check ${JSON.stringify(v.check)}`);
  }
}

/** Reads a scenario file (or a link's run): throws ScenarioFileError saying what is wrong. */
export function parseScenario(v: unknown): SharedRun {
  if (!isObject(v)) throw new ScenarioFileError('a scenario is a JSON object');
  if (v.format !== undefined && v.format !== scenarioFormat) throw new ScenarioFileError(`format must be "${scenarioFormat}"`);
  if (v.version !== undefined && v.version !== scenarioVersion) throw new ScenarioFileError(`version ${String(v.version)} is not supported (this page reads ${scenarioVersion})`);
  const setup = parseSetup(v.setup);
  const { script, ids } = parseScriptWithIds(v.script ?? [], setup.nodeCount);
  const run: SharedRun = { setup, script };
  if (v.at !== undefined) run.at = time(v.at, 'at');
  if (v.title !== undefined) run.title = str(v.title, 'title');
  if (v.expect !== undefined) {
    if (!Array.isArray(v.expect)) throw new ScenarioFileError('expect must be a list');
    run.expect = v.expect.map((e, i) => parseExpectation(e, ids, i));
  }
  return run;
}

// ---- writing -------------------------------------------------------------------------------------------

/** The run on screen as a scenario file: its setup, its actions so far, and what holds now. */
export function scenarioFromSnapshot(s: SimSnapshot, title: string): ScenarioFile {
  const at = s.clock.now;
  const leaders = s.nodes.filter((n) => n.displayRole === 'leader').sort((a, b) => b.term - a.term);
  const expect: Expectation[] = [
    { at, check: 'leader', node: leaders[0]?.id ?? null },
    ...s.nodes.map((n): Expectation => ({ at, check: 'role', node: n.id, role: n.displayRole })),
    ...s.nodes.filter((n) => n.up).map((n): Expectation => ({ at, check: 'commitIndexAtLeast', node: n.id, index: n.commitIndex })),
    { at, check: 'safety', violated: [...new Set(s.violations.map((v) => v.property))].sort() },
    ...(s.lab ? [{ at, check: 'stateHash', hash: s.lab.stateHash } as Expectation] : []),
  ];
  return { format: scenarioFormat, version: scenarioVersion, title, setup: s.setup, script: s.lab?.script ?? [], at, expect };
}
