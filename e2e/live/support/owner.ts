/**
 * The live specs' real cluster, owned by Playwright's runner process (global-setup.ts): started
 * through the supervisor (the command `npm start` runs) on test ports, 127.0.0.1 only, with a fresh
 * temporary data directory, the first time a spec asks for it; stopped at the end of the run, with
 * the check that nothing it started is left.
 *
 * The runner lives for the whole run and is the supervisor's parent: the supervisor stops
 * everything when its parent goes away, so even an interrupted run leaves nothing. The supervisor
 * leads its own process group, which its nodes join: that is how the stop reaches them all (Ctrl-C's
 * SIGINT, to the group) and how the check finds them.
 */
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterNode, LiveRunState, ProcessId } from './cluster';
import {
  describeProcess, getCluster, groupMembers, identify, isRunning, liveBaseURL, liveKvPortBase, livePort, liveRaftPortBase, nodeIds, pidsPath, raftStatus,
  readRunState, recordPids, recordedProcesses, repoRoot, statePath,
} from './cluster';

/** docs/scenarios.md: startup to a stable leader within 25 s; the processes' own start (tsx) comes first. */
const readyTimeoutMs = 60_000;
/** The supervisor stops its nodes with SIGTERM and SIGKILLs any still running after 5 s. */
const stopTimeoutMs = 15_000;
const resultsDir = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** The command `npm start` runs (root package.json), run directly so that the supervisor's parent is this process. */
function startCommand(): { command: string; args: string[] } {
  const script = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? '';
  const words = script.trim().split(/\s+/);
  if (words[0] === 'node' && words.length > 1 && !/[;&|<>$`"']/.test(script)) return { command: process.execPath, args: words.slice(1) };
  return { command: 'npm', args: ['start'] };
}

const kill = (targets: readonly number[]): void => {
  for (const target of targets) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
};

/**
 * A cluster an earlier, interrupted run of these tests left on these ports: its processes, known
 * from our own state file by pid and start time (a pid alone may have been reused since).
 */
function stopLeftover(): void {
  const previous = readRunState();
  if (!previous) return;
  const ours = [...(previous.supervisor ? [previous.supervisor] : []), ...recordedProcesses()].filter(isRunning);
  if (ours.length) console.log(`live: stopping what an earlier run left: ${ours.map((p) => p.pid).join(', ')}`);
  kill([...(previous.supervisor && isRunning(previous.supervisor) ? [-previous.pgid] : []), ...ours.map((p) => p.pid)]);
  rmSync(statePath, { force: true });
  if (previous.dir.includes('raft-kv-e2e-live-')) rmSync(previous.dir, { recursive: true, force: true });
}

const tail = (file: string, lines = 40): string => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
};

/** Every node runs and one leader is followed by the others in its term. */
async function clusterReady(): Promise<boolean> {
  let nodes: ClusterNode[];
  try {
    nodes = await getCluster();
  } catch {
    return false;
  }
  if (!nodes.every((n) => n.state === 'running')) return false;
  const statuses = await Promise.all(nodes.map(raftStatus));
  const leaders = statuses.filter((s) => s?.state === 'leader');
  if (leaders.length !== 1) return false;
  const leader = leaders[0]!;
  return statuses.every((s) => s !== null && s.term === leader.term && (s.id === leader.id || s.leaderId === leader.id));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export class ClusterOwner {
  private starting: Promise<void> | null = null;
  private stopping = false;

  /** Starts the cluster once; later calls wait for the same start. */
  start(): Promise<void> {
    this.starting ??= this.spawn();
    return this.starting;
  }

  private async spawn(): Promise<void> {
    stopLeftover();
    rmSync(pidsPath, { force: true });
    const playgroundDir = path.join(repoRoot, 'playground/dist');
    if (!existsSync(path.join(playgroundDir, 'index.html'))) throw new Error(`live: no playground build in ${playgroundDir} (the web server builds it first)`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'raft-kv-e2e-live-'));
    const log = path.join(dir, 'supervisor.log');
    const out = openSync(log, 'a');
    const { command, args } = startCommand();
    const child = spawn(command, args, {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        START_PORT: String(livePort),
        START_KV_PORT: String(liveKvPortBase),
        START_RAFT_PORT: String(liveRaftPortBase),
        RAFT_DATA_DIR: path.join(dir, 'data'),
        // The web server has just built the page: serve that build, build nothing.
        START_PLAYGROUND_DIR: playgroundDir,
        LOG_FORMAT: 'json',
      },
    });
    closeSync(out);
    let exited: string | null = null;
    child.once('exit', (code, signal) => {
      exited = signal ?? `exit code ${code}`;
      if (!this.stopping) console.error(`live: the supervisor exited (${exited}) while the tests ran; its log: ${log}`);
    });
    child.once('error', (error) => { exited = error.message; });
    const pid = child.pid!;
    const state: LiveRunState = { supervisor: identify(pid), pgid: pid, dir, log };
    writeFileSync(statePath, JSON.stringify(state));
    console.log(`live: supervisor ${pid} (${command === 'npm' ? 'npm start' : args.join(' ')}) at ${liveBaseURL}, data in ${dir}`);
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await clusterReady())) {
      if (exited !== null) throw new Error(`live: the supervisor exited (${exited}) before the cluster was ready:\n${tail(log)}`);
      if (Date.now() > deadline) throw new Error(`live: no cluster with a leader at ${liveBaseURL} within ${readyTimeoutMs / 1000} s:\n${tail(log)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    recordPids(await getCluster());
  }

  /**
   * Stops the cluster as a user does (Ctrl-C: SIGINT to the group) and checks that nothing it
   * started is left: no process of its group, none of the node processes the specs saw (by pid and
   * start time), nothing listening on its ports. Anything left is killed (by pid, never by name) and
   * this throws, naming it.
   */
  async stop(): Promise<void> {
    if (!this.starting) return;
    await this.starting.catch(() => {});
    const state = readRunState();
    if (!state) return;
    this.stopping = true;
    try {
      recordPids(await getCluster());
    } catch {
      // the supervisor is already gone: the check below says whether it left anything
    }
    const started: ProcessId[] = [...(state.supervisor ? [state.supervisor] : []), ...recordedProcesses()];
    try {
      process.kill(-state.pgid, 'SIGINT');
    } catch {
      // no such group: everything has already exited
    }
    const left = () => [...new Set([...groupMembers(state.pgid), ...started.filter(isRunning).map((p) => p.pid)])];
    const deadline = Date.now() + stopTimeoutMs;
    while (left().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const remaining = left();
    const ports = [livePort, ...nodeIds.flatMap((_, i) => [liveKvPortBase + i, liveRaftPortBase + i])];
    const open: number[] = [];
    for (const port of ports) if (await listening(port)) open.push(port);

    mkdirSync(resultsDir, { recursive: true });
    copyFileSync(state.log, path.join(resultsDir, 'live-supervisor.log'));
    if (remaining.length > 0 || open.length > 0) {
      const described = remaining.map(describeProcess);
      kill(remaining);
      throw new Error(`live: the cluster left ${remaining.length ? `processes behind: ${described.join('; ')}` : ''}${open.length ? ` ports listening: ${open.join(', ')}` : ''} (killed now; supervisor log in test-results/live-supervisor.log)`);
    }
    console.log(`live: cluster stopped; none of its ${new Set(started.map((p) => p.pid)).size} processes is left and its ports are closed`);
    rmSync(state.dir, { recursive: true, force: true });
    rmSync(statePath, { force: true });
    rmSync(pidsPath, { force: true });
  }
}
