/**
 * Runs the real kvctl binary (node_modules/.bin/kvctl, as `npx kvctl` does) as a child process,
 * recorded with the other processes tests start so the leak check sees it, and killed by pid if
 * it outlives its test.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startedProcesses } from './process-cluster';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const kvctlBin = path.join(root, 'node_modules/.bin/kvctl');

export interface KvctlRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface KvctlChild {
  pid: number;
  /** Everything printed so far. */
  readonly stdout: string;
  readonly stderr: string;
  done: Promise<KvctlRun>;
  kill(): void;
}

export function startKvctl(args: readonly string[], env: Record<string, string> = {}): KvctlChild {
  const child = spawn(kvctlBin, args, { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  startedProcesses.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<KvctlRun>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return {
    pid: child.pid!,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
    },
  };
}

/** Runs kvctl to the end (killed after `timeoutMs`, which fails the caller's expectations on its code). */
export async function kvctl(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<KvctlRun> {
  const child = startKvctl(args, env);
  const timer = setTimeout(() => child.kill(), timeoutMs);
  try {
    return await child.done;
  } finally {
    clearTimeout(timer);
  }
}
