/**
 * What the kernel says about a process or a directory, for the benchmarks: CPU time and resident
 * memory from /proc (Linux), disk usage by walking a directory. Readings that cannot be taken
 * (another OS, a process gone) are NaN, so a table shows "-" instead of a made-up number.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
const clockTicksPerSecond = 100;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    // The command name (field 2) may contain spaces; the fields after it are space-separated.
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
  } catch {
    return NaN;
  }
}

/**
 * A process's main thread (for a node: the thread that runs JavaScript) as the scheduler counts it,
 * in ns since it started: time on a core, and time runnable but waiting for one
 * (/proc/<pid>/schedstat). The waiting is what a stall holds besides the node's own work and GC.
 */
export function mainThreadSchedNs(pid: number): { onCpu: number; waiting: number } {
  try {
    const [onCpu, waiting] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { onCpu: onCpu ?? NaN, waiting: waiting ?? NaN };
  } catch {
    return { onCpu: NaN, waiting: NaN };
  }
}

/** Resident set size in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Bytes allocated on disk under `dir` (like `du -s`), counting each file's blocks. */
export function diskBytes(dir: string): number {
  let total = 0;
  const walk = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // removed while walking (a compacted WAL segment)
    }
    total += st.blocks * 512;
    if (!st.isDirectory()) return;
    let names: string[];
    try {
      names = fs.readdirSync(p);
    } catch {
      return;
    }
    for (const name of names) walk(path.join(p, name));
  };
  walk(dir);
  return total;
}

export function machineLine(): string {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(', ');
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check` returns a value (not undefined), polling every `everyMs`; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

export const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : '-');

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A random base port below Linux's ephemeral range (32768 and up) and above the tests' ports
 * (10000-28999) such that base + each offset is free now.
 */
export async function freePortBase(offsets: number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 29_000 + Math.floor(Math.random() * 700) * 2;
    const free = await Promise.all(offsets.map((o) => portFree(base + o)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free ports found for the benchmark clusters (29000-32767)');
}
