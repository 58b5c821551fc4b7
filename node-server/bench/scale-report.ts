/**
 * The scale probe's results and how they are printed: a row per window, and the summary against
 * the goals of the scale issue (ours beside etcd).
 */
import type { LongestStepMs } from './ours';
import { markdownTable } from './results';
import { mib } from './proc';

export const liveDataBytes = (n: number): number => n * (8 + 256);
export const f = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

export interface WindowRow {
  from: number;
  to: number;
  seconds: number;
  writesPerSec: number;
  p50: number;
  p99: number;
  /** Absent in runs before it was measured. */
  p999?: number;
  elections: number;
  retries: number;
  rssBytes: number[];
  diskBytes: number[];
  /** Ours: the longest event-loop stall of each node in the window, snapshot files written in it (all nodes) and seconds spent writing them. */
  stallMs: number[] | null;
  /** Ours: the longest garbage-collection pause of each node in the window (a stall that long was, at least in part, the collector). */
  gcPauseMs: number[] | null;
  gcPauseKinds?: string[];
  /** Ours: each node's longest synchronous steps since it started (core / snapshot chunk / snapshot commit), as it reports them. */
  longestStepMs: (LongestStepMs | null)[] | null;
  snapshotFiles: number | null;
  snapshotFileSeconds: number | null;
  /** Ours: each node's V8 heap (reserved, in use) and buffers outside it at the end of the window. */
  heapBytes?: ({ total: number; used: number; outside: number } | null)[] | null;
  /** Ours: each node's main thread in the window, ms per second on a core and runnable but waiting for one. */
  mainThread?: { onCpuMsPerSec: number; waitingMsPerSec: number }[] | null;
}

export interface ScaleResult {
  system: string;
  keysWritten: number;
  stoppedEarly: boolean;
  windows: WindowRow[];
  restart: { lastKeyReadMs: number; perMemberMs: number[]; answeringMs: number[]; leaderMs: number } | null;
  catchUp: {
    ms: number; targetIndex: number; snapshotIndex: number | undefined; writesPerSec: number; retries: number;
    /** Ours: the wiped follower's longest synchronous steps, from its restart until it caught up. */
    followerSteps: LongestStepMs | null;
  } | null;
  errors: string[];
}

export function windowTable(r: ScaleResult): string {
  const showStall = r.windows.some((w) => w.stallMs);
  const rows = r.windows.map((w) => [
    `${w.from.toLocaleString('en')}-${w.to.toLocaleString('en')}`, f(w.writesPerSec, 0), f(w.p50), f(w.p99), f(w.p999 ?? NaN), String(w.elections), String(w.retries),
    w.rssBytes.map(mib).join(' / '), w.diskBytes.map(mib).join(' / '),
    ...(showStall ? [(w.stallMs ?? []).map((s) => f(s, 0)).join(' / '), (w.gcPauseMs ?? []).map((s, i) => `${f(s, 0)}${gcKindMark(w.gcPauseKinds?.[i])}`).join(' / ') || '-',
      (w.longestStepMs ?? []).map(stepsCell).join('; ') || '-',
      (w.mainThread ?? []).map((m) => `${f(m.onCpuMsPerSec, 0)}/${f(m.waitingMsPerSec, 0)}`).join('; ') || '-',
      (w.heapBytes ?? []).map((h) => (h ? `${mib(h.total)}/${mib(h.used)}/${mib(h.outside)}` : '-')).join('; ') || '-',
      `${w.snapshotFiles ?? '-'} (${f(w.snapshotFileSeconds ?? NaN, 1)} s)`] : []),
  ]);
  const header = ['keys', 'writes/s', 'p50 ms', 'p99 ms', 'p99.9 ms', 'elections', 'retries', 'RSS MiB (n1 / n2 / n3)', 'disk MiB',
    ...(showStall ? ['longest event-loop stall ms', 'longest GC pause ms (M mark-compact, s scavenge, i incremental)', 'longest step ms so far, core/snapshot chunk/snapshot commit (without GC pauses, and the CPU time of the snapshot steps) [steps over 10 ms of all steps]',
      'main thread ms per s: on a core/waiting for one', 'V8 heap MiB: reserved/in use/buffers outside', 'snapshot files written (s writing)'] : [])];
  // The first column names the window, every other one is a number: derived, so it cannot fall
  // out of step with the header (it did when p99.9 came, and the tables stopped rendering).
  return markdownTable(header, header.map((_, i) => (i === 0 ? 'l' : 'r')), rows);
}

/** A GC pause's kind as a letter after it: M a mark-compact, s a scavenge, i a step of incremental marking. */
function gcKindMark(kind: string | undefined): string {
  return ({ major: ' M', minor: ' s', incremental: ' i', 'weak callbacks': ' w' } as Record<string, string>)[kind ?? ''] ?? '';
}

/**
 * One node's longest steps as `core/chunk/commit` in ms, each with the figure without GC pauses in
 * brackets, and for the snapshot kinds the most CPU time the main thread used in one step.
 */
export function stepsCell(s: LongestStepMs | null): string {
  if (!s) return '-';
  const one = (all: number, withoutGc: number, cpu?: number): string => `${f(all, 0)} (${f(withoutGc, 0)}${cpu === undefined ? '' : `, CPU ${f(cpu, 1)}`})`;
  return [one(s.core, s.coreWithoutGc), one(s.snapshotChunk, s.snapshotChunkWithoutGc, s.snapshotChunkCpu), one(s.snapshotCommit, s.snapshotCommitWithoutGc, s.snapshotCommitCpu)].join('/') +
    ` [${s.coreOver10Ms}/${s.snapshotChunkOver10Ms}/${s.snapshotCommitOver10Ms} of ${s.coreSteps}/${s.snapshotChunkSteps}/${s.snapshotCommitSteps} over 10 ms]`;
}

interface Summary {
  label: string;
  value: (r: ScaleResult) => number;
  digits: number;
  goal: string;
  met: (ours: number, etcd: number) => boolean | null;
}

const lastWindow = (r: ScaleResult): WindowRow | undefined => r.windows[r.windows.length - 1];
/**
 * Ours: the largest figure of any member over the load (each node reports its longest since it
 * started); NaN for etcd, and when no member took a snapshot (nothing was shown).
 */
function snapshotStepMax(r: ScaleResult, figure: (s: LongestStepMs) => number): number {
  const steps = (lastWindow(r)?.longestStepMs ?? []).filter((s): s is LongestStepMs => s !== null);
  return steps.some((s) => s.snapshotCommitSteps > 0) ? Math.max(...steps.map(figure)) : NaN;
}
const summaries = (requestedKeys: number): Summary[] => [
  { label: 'keys written', value: (r) => r.keysWritten, digits: 0, goal: `${requestedKeys}`, met: (o) => o >= requestedKeys },
  { label: 'writes/s, first window', value: (r) => r.windows[0]?.writesPerSec ?? NaN, digits: 0, goal: '', met: () => null },
  { label: 'writes/s, last window', value: (r) => lastWindow(r)?.writesPerSec ?? NaN, digits: 0, goal: '', met: () => null },
  { label: 'last / first window', value: (r) => (lastWindow(r)?.writesPerSec ?? NaN) / (r.windows[0]?.writesPerSec ?? NaN), digits: 2, goal: '>= 0.9', met: (o) => o >= 0.9 },
  { label: 'elections during the load', value: (r) => r.windows.reduce((a, w) => a + w.elections, 0), digits: 0, goal: '0', met: (o) => o === 0 },
  { label: 'client retries during the load', value: (r) => r.windows.reduce((a, w) => a + w.retries, 0), digits: 0, goal: '0', met: (o) => o === 0 },
  { label: 'largest RSS at the end, MiB', value: (r) => Math.max(...(lastWindow(r)?.rssBytes ?? [NaN])) / 2 ** 20, digits: 0, goal: '', met: () => null },
  { label: 'largest RSS / live data', value: (r) => Math.max(...(lastWindow(r)?.rssBytes ?? [NaN])) / liveDataBytes(r.keysWritten), digits: 2, goal: '<= 3', met: (o) => o <= 3 },
  { label: 'largest disk at the end, MiB', value: (r) => Math.max(...(lastWindow(r)?.diskBytes ?? [NaN])) / 2 ** 20, digits: 0, goal: '', met: () => null },
  { label: 'longest snapshot step (chunk or commit), ms', value: (r) => snapshotStepMax(r, (s) => Math.max(s.snapshotChunk, s.snapshotCommit)), digits: 0, goal: '', met: () => null },
  { label: 'the most CPU time of the main thread in one snapshot step, ms (to within a scheduler tick)', value: (r) => snapshotStepMax(r, (s) => Math.max(s.snapshotChunkCpu, s.snapshotCommitCpu)), digits: 1, goal: '<= ~10', met: (o) => o <= 10 },
  { label: 'restart: last key reads, ms', value: (r) => r.restart?.lastKeyReadMs ?? NaN, digits: 0, goal: '<= 3000 and <= etcd', met: (o, e) => o <= 3000 && o <= e },
  { label: 'restart: slowest member serves it, ms', value: (r) => Math.max(...(r.restart?.perMemberMs ?? [NaN])), digits: 0, goal: '', met: () => null },
  { label: 'wiped follower caught up, ms', value: (r) => r.catchUp?.ms ?? NaN, digits: 0, goal: 'reported', met: (o) => Number.isFinite(o) },
  { label: 'writes/s while it caught up', value: (r) => r.catchUp?.writesPerSec ?? NaN, digits: 0, goal: '', met: () => null },
];

export function summaryTable(ours: ScaleResult | undefined, etcd: ScaleResult | undefined, requestedKeys: number): string {
  const rows = summaries(requestedKeys).map((s) => {
    const o = ours ? s.value(ours) : NaN;
    const e = etcd ? s.value(etcd) : NaN;
    const met = ours ? s.met(o, e) : null;
    return [s.label, f(o, s.digits), f(e, s.digits), s.goal, met === null ? '' : met ? 'yes' : '**no**'];
  });
  return markdownTable(['', 'raft-kv', 'etcd', 'goal (issue 9)', 'met'], ['l', 'r', 'r', 'l', 'l'], rows);
}
