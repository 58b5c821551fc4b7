/**
 * The real cluster behind the live specs, seen from Node (the test process): where it listens,
 * its supervisor's API, the nodes' HTTP APIs, and the processes it runs. The runner starts it once
 * per run, when the first spec asks (ensureCluster; owner.ts), and stops it at the end, checking
 * that nothing it started is left.
 *
 * Ports are not the defaults (8080-8083, 9081-9083), so a cluster a developer runs with `npm start`
 * does not collide with the tests: START_PORT = E2E_LIVE_PORT (default 18480), KV ports the next
 * three, Raft ports 10 above those.
 */
import { appendFileSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const livePort = Number(process.env.E2E_LIVE_PORT ?? 18480);
export const liveKvPortBase = livePort + 1;
export const liveRaftPortBase = livePort + 11;
export const liveBaseURL = `http://127.0.0.1:${livePort}`;
export const nodeIds = ['n1', 'n2', 'n3'] as const;

/** Shared by the setup, the specs' fixture and the teardown (different processes). */
export const statePath = path.join(os.tmpdir(), `raft-kv-e2e-live-${livePort}.json`);
export const pidsPath = path.join(os.tmpdir(), `raft-kv-e2e-live-${livePort}.pids`);

export interface LiveRunState {
  /** The supervisor (pid and start time), and its process group (it was started as a group leader). */
  supervisor: ProcessId | null;
  pgid: number;
  /** A fresh temporary directory: the nodes' data and the supervisor's log. */
  dir: string;
  log: string;
}

/** Asks the runner (global-setup.ts) for the cluster: it starts it on the first call and answers once it has a leader. */
export async function ensureCluster(): Promise<void> {
  const control = process.env.E2E_LIVE_CONTROL;
  if (!control) throw new Error('live: no cluster owner (E2E_LIVE_CONTROL): run the live specs through e2e/playwright.config.ts');
  const res = await fetch(`${control}/start`, { method: 'POST' });
  const body = (await res.json()) as { ok: boolean; message?: string };
  if (!body.ok) throw new Error(body.message ?? 'live: the cluster did not start');
}

export function readRunState(): LiveRunState | null {
  if (!existsSync(statePath)) return null;
  return JSON.parse(readFileSync(statePath, 'utf8')) as LiveRunState;
}

// ---- the supervisor's API (core/src/live.ts) --------------------------------------------------

export interface ClusterNode {
  id: string;
  kvUrl: string;
  raftUrl: string;
  observeUrl: string;
  state: 'running' | 'stopped' | 'starting';
  pid: number | null;
}

async function json<T>(url: string, init?: RequestInit, timeoutMs = 5000): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function getCluster(): Promise<ClusterNode[]> {
  const { status, body } = await json<{ nodes: ClusterNode[] }>(`${liveBaseURL}/api/cluster`);
  if (status !== 200) throw new Error(`GET /api/cluster: ${status}`);
  return body.nodes;
}

export async function supervisorPost(path: string, body?: unknown): Promise<unknown> {
  const init: RequestInit = body === undefined ? { method: 'POST' } : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  const answer = await json<unknown>(`${liveBaseURL}${path}`, init, 15_000);
  if (answer.status !== 200) throw new Error(`POST ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

// ---- membership, through the supervisor (docs/live-mode.md, "The supervisor API") --------------

export interface Member {
  id: string;
  role: 'voter' | 'learner';
  /** The leader's view: whether it could be promoted now (null when the list is not the leader's). */
  caughtUp: boolean | null;
}

export interface Members {
  leaderId: string | null;
  members: Member[];
}

/** GET /api/members: the leader's own list (or any running node's while none leads). */
export async function getMembers(): Promise<Members> {
  const { status, body } = await json<Members & { ok: boolean }>(`${liveBaseURL}/api/members`);
  if (status !== 200 || !body.ok) throw new Error(`GET /api/members: ${status} ${JSON.stringify(body)}`);
  return { leaderId: body.leaderId, members: body.members.map((m) => ({ id: m.id, role: m.role, caughtUp: m.caughtUp })) };
}

/** A membership request to the supervisor, its answer whatever the status. */
export async function supervisorMembership(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = body === undefined ? { method } : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
  try {
    return await json<Record<string, unknown>>(`${liveBaseURL}${path}`, init, 20_000);
  } catch (error) {
    return { status: 0, body: { error: (error as Error).message } };
  }
}

/**
 * Nodes the supervisor lists that are out of the cluster for good: stopped and not members (a
 * server a spec added, removed and killed). Healthy means healthy among the others. While no list
 * can be had (no node runs), none is.
 */
export async function retiredNodes(nodes: readonly ClusterNode[]): Promise<Set<string>> {
  const members = await getMembers().catch(() => null);
  if (!members) return new Set();
  const ids = new Set(members.members.map((m) => m.id));
  return new Set(nodes.filter((n) => n.state === 'stopped' && !ids.has(n.id)).map((n) => n.id));
}

/** A process, told apart from a later one that reuses its pid (pids wrap at 32768 here) by its start time. */
export interface ProcessId {
  pid: number;
  startTime: number;
}

/** Remembers every node process the tests saw, for the teardown's check. */
export function recordPids(nodes: readonly ClusterNode[]): void {
  const seen = nodes.map((n) => (n.pid === null ? null : processInfo(n.pid))).filter((p): p is ProcessInfo => p !== null);
  if (seen.length) appendFileSync(pidsPath, seen.map((p) => `${p.pid} ${p.startTime}\n`).join(''));
}

export function recordedProcesses(): ProcessId[] {
  if (!existsSync(pidsPath)) return [];
  const lines = [...new Set(readFileSync(pidsPath, 'utf8').split('\n').filter(Boolean))];
  return lines.map((line) => {
    const [pid, startTime] = line.split(' ').map(Number);
    return { pid: pid!, startTime: startTime! };
  });
}

export function identify(pid: number): ProcessId | null {
  const info = processInfo(pid);
  return info && { pid, startTime: info.startTime };
}

/** Whether this very process (not a later one with its pid) still runs. */
export function isRunning(p: ProcessId): boolean {
  const info = processInfo(p.pid);
  return info !== null && info.state !== 'Z' && info.startTime === p.startTime;
}

// ---- the nodes' HTTP APIs (docs/api.md) ---------------------------------------------------------

export interface RaftStatus {
  id: string;
  state: string;
  term: number;
  leaderId: string | null;
  commitIndex: number;
  lastApplied: number;
}

export async function raftStatus(node: ClusterNode): Promise<RaftStatus | null> {
  try {
    const { status, body } = await json<RaftStatus>(`${node.raftUrl}/raft/status`, undefined, 1000);
    return status === 200 ? body : null;
  } catch {
    return null;
  }
}

/** GET /get on a node, as any HTTP client does (linearizable unless `stale`). */
export async function kvGet(kvUrl: string, key: string, stale = false): Promise<{ status: number; body: Record<string, unknown> }> {
  try {
    return await json(`${kvUrl}/get?key=${encodeURIComponent(key)}${stale ? '&consistency=stale' : ''}`, undefined, 3000);
  } catch (error) {
    return { status: 0, body: { error: (error as Error).message } };
  }
}

// ---- processes (by pid and process group; never by name) --------------------------------------

interface ProcessInfo {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  /** Clock ticks since boot. */
  startTime: number;
}

/** /proc/<pid>/stat: state, parent, process group, start time (the name may hold spaces: parse after its ")"). */
function processInfo(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), startTime: Number(fields[19]) };
  } catch {
    return null;
  }
}

const hasProc = existsSync('/proc/self/stat');

/** Whether the process runs (a zombie has exited: only its parent has not collected it yet). */
export function isAlive(pid: number): boolean {
  if (hasProc) {
    const info = processInfo(pid);
    return info !== null && info.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Live members of a process group. */
export function groupMembers(pgid: number): number[] {
  if (!hasProc) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch {
      return [];
    }
  }
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = processInfo(Number(name));
    if (info && info.pgrp === pgid && info.state !== 'Z') members.push(info.pid);
  }
  return members;
}

export function describeProcess(pid: number): string {
  try {
    return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 120)})`;
  } catch {
    return String(pid);
  }
}
