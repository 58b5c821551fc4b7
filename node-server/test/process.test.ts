/**
 * One node as a real process: it serves, stops cleanly on SIGTERM, refuses a bad
 * configuration naming the variable, and refuses to start on a WAL damaged in the middle.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { waitFor } from '@raft-kv/core/scenarios';
import { describe, expect, it } from 'vitest';
import { nodeLauncher } from '../src/supervisor/node-processes';
import { clusterPerTest, startedProcesses } from './support/process-cluster';

const startCluster = clusterPerTest();

/** Runs main.ts with `env` until it exits; returns its exit code and output. */
function runToExit(env: Record<string, string>, timeoutMs = 15_000): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [nodeLauncher], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  startedProcesses.add(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    resolve({ code, output });
  }));
}

describe('a node process', () => {
  // Startup time (under 2 s) is a number for the benchmark to report, not a timed test.
  it('serves, and exits 0 on SIGTERM keeping its data', async () => {
    const c = await startCluster({ nodes: 1 });
    const leader = () => waitFor(c, 'n1 to lead', 10_000, async () => ((await c.status('n1')).role === 'leader' ? true : undefined), 50);
    await leader();
    expect((await c.put('n1', 'kept', 'yes')).status).toBe(200);
    const child = c.node('n1').child!;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    process.kill(child.pid!, 'SIGTERM');
    expect(await exited).toBe(0);
    c.node('n1').child = null;
    await c.restart('n1');
    await leader();
    expect((await c.get('n1', 'kept')).body.value).toBe('yes');
  });

  it('refuses an invalid configuration, naming the variable', async () => {
    const { code, output } = await runToExit({ KVSTORE_PORT: 'eighty' });
    expect(code).toBe(2);
    expect(output).toContain('KVSTORE_PORT');
  });

  it('refuses to start on a WAL damaged in the middle, naming the file and offset', async () => {
    const c = await startCluster({ nodes: 1 });
    await waitFor(c, 'n1 to lead', 10_000, async () => ((await c.status('n1')).role === 'leader' ? true : undefined), 50);
    for (let i = 0; i < 5; i++) expect((await c.put('n1', `k${i}`, 'v')).status).toBe(200);
    await c.kill('n1');
    const dir = path.join(c.dataDir, 'n1');
    // The segment holding k1 (the WAL may have moved on to a preallocated segment by then).
    const file = fs.readdirSync(dir).filter((f) => /^wal-\d{10}\.log$/.test(f)).map((f) => path.join(dir, f))
      .find((f) => fs.readFileSync(f).includes('"key":"k1"'))!;
    expect(file).toBeDefined();
    const buf = fs.readFileSync(file);
    const offset = buf.indexOf('"key":"k1"');
    buf[offset] = 0x20;
    fs.writeFileSync(file, buf);
    const { code, output } = await runToExit(c.envFor('n1'));
    expect(code).not.toBe(0);
    expect(output).toMatch(new RegExp(`WAL corrupt in ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at offset \\d+`));
  });
});
