/**
 * The three member processes of a benchmarked cluster, whichever system they run: started with
 * their output in `<dataDir>/<name>.log`, signalled by pid, waited for, wiped. OurCluster and
 * EtcdCluster say how to start one member; the rest is here, once.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export abstract class ThreeMembers {
  private readonly children: (ChildProcess | null)[] = [null, null, null];
  private readonly exits: Promise<void>[] = [Promise.resolve(), Promise.resolve(), Promise.resolve()];

  constructor(readonly names: readonly string[], readonly dataDir: string) {}

  /** Starts member i (with `launch`). */
  abstract start(i: number): void;

  nodeDir(i: number): string {
    return path.join(this.dataDir, this.names[i]!);
  }

  pid(i: number): number {
    const pid = this.children[i]?.pid;
    if (pid === undefined) throw new Error(`${this.names[i]} is not running`);
    return pid;
  }

  isRunning(i: number): boolean {
    return this.children[i] !== null;
  }

  /** Spawns member i's process, its output appended to its log file. */
  protected launch(i: number, command: string, args: readonly string[], options: Pick<SpawnOptions, 'cwd' | 'env'>): void {
    if (this.children[i]) throw new Error(`${this.names[i]} already runs`);
    const log = fs.openSync(path.join(this.dataDir, `${this.names[i]}.log`), 'a');
    const child = spawn(command, args, { ...options, stdio: ['ignore', log, log] });
    fs.closeSync(log);
    this.children[i] = child;
    this.exits[i] = new Promise((resolve) => child.once('exit', () => {
      this.children[i] = null;
      resolve();
    }));
  }

  startAll(): void {
    for (let i = 0; i < 3; i++) this.start(i);
  }

  /** Sends `signal` to the member (by pid) and waits until it has exited. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.children[i];
    if (!child?.pid) return;
    try {
      process.kill(child.pid, signal);
    } catch {
      // already exiting
    }
    await this.exits[i];
  }

  /** SIGTERM, then SIGKILL for a member still running after 5 s. */
  async stopAll(): Promise<void> {
    await Promise.all([0, 1, 2].map(async (i) => {
      const stopped = this.kill(i, 'SIGTERM');
      const timer = setTimeout(() => void this.kill(i, 'SIGKILL'), 5000);
      await stopped;
      clearTimeout(timer);
    }));
  }

  /** SIGKILL to every running member, synchronously (for process exit). */
  killNow(): void {
    for (const child of this.children) {
      if (!child?.pid) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  wipe(i: number): void {
    fs.rmSync(this.nodeDir(i), { recursive: true, force: true });
  }
}
