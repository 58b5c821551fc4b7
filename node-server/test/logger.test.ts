import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { TurnBatch } from '../src/logger';

const here = path.dirname(fileURLToPath(import.meta.url));

function recordingSink(): { writes: string[]; flushes: number; write(text: string): void; flush(cb?: () => void): void } {
  return {
    writes: [],
    flushes: 0,
    write(text) {
      this.writes.push(text);
    },
    flush(cb) {
      this.flushes++;
      cb?.();
    },
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('the log line batch', () => {
  it('hands the lines of one turn to the stream as one write, in order, when the turn ends', async () => {
    const sink = recordingSink();
    const batch = new TurnBatch(sink);
    batch.write('a\n');
    batch.write('b\n');
    batch.write('c\n');
    expect(sink.writes).toEqual([]);
    await nextTurn();
    expect(sink.writes).toEqual(['a\nb\nc\n']);
    batch.write('d\n');
    await nextTurn();
    expect(sink.writes).toEqual(['a\nb\nc\n', 'd\n']);
  });

  it('flush hands over what is pending and then flushes the stream', async () => {
    const sink = recordingSink();
    const batch = new TurnBatch(sink);
    batch.write('a\n');
    let flushed = false;
    batch.flush(() => (flushed = true));
    expect(sink.writes).toEqual(['a\n']);
    expect(sink.flushes).toBe(1);
    expect(flushed).toBe(true);
    await nextTurn();
    expect(sink.writes).toEqual(['a\n']);
  });

  it('the timer flushes the stream while it holds bytes it has not reported written, and not after', async () => {
    const listeners: ((bytes: number) => void)[] = [];
    const sink = { ...recordingSink(), on: (_event: 'write', listener: (bytes: number) => void) => listeners.push(listener) };
    const wrote = (bytes: number) => listeners.forEach((l) => l(bytes));
    const batch = new TurnBatch(sink);
    batch.flushIfBuffered();
    expect(sink.flushes).toBe(0);
    batch.write('a\n');
    batch.flushIfBuffered();
    expect(sink.flushes).toBe(0); // still in the turn's batch, not yet in the stream
    await nextTurn();
    batch.flushIfBuffered();
    batch.flushIfBuffered();
    expect(sink.flushes).toBe(2); // the stream has not written it yet: flushed again
    wrote(2);
    batch.flushIfBuffered();
    expect(sink.flushes).toBe(2);
    batch.write('é\n');
    batch.flush();
    expect(sink.flushes).toBe(3);
    wrote(3); // 'é' is two bytes in UTF-8
    batch.flushIfBuffered();
    expect(sink.flushes).toBe(3);
    expect(sink.writes).toEqual(['a\n', 'é\n']);
  });

  it('a line logged while the stream writes reaches the file at a later tick (a flush during a write does nothing)', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'logger-')), 'out.log');
    const stream = pino.destination({ dest: file, sync: false, minLength: 4096 });
    await new Promise((resolve) => stream.once('ready', resolve));
    try {
      const batch = new TurnBatch(stream);
      batch.write(`${'x'.repeat(5000)}\n`);
      batch.push(); // over the minimum length: the stream starts writing it
      batch.write('tail\n');
      batch.push(); // held: the stream is writing
      batch.flushIfBuffered(); // does nothing while the stream writes
      const deadline = Date.now() + 5000;
      while (!fs.readFileSync(file, 'utf8').endsWith('tail\n') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        batch.flushIfBuffered(); // what the logger's timer does
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(`${'x'.repeat(5000)}\ntail\n`);
    } finally {
      stream.destroy();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  });

  // A pipe is written asynchronously (through the thread pool), a file synchronously (stdoutIsFile).
  it.each(['pipe', 'file'] as const)('keeps pino\'s own lines and the fast lines in the order they were logged, on the real stdout (a %s)', (kind) => {
    const args = ['--import', 'tsx', path.join(here, 'support/logger-order.ts'), '3'];
    let out: string;
    if (kind === 'pipe') {
      out = execFileSync(process.execPath, args, { encoding: 'utf8' });
    } else {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logger-order-'));
      const file = path.join(dir, 'stdout');
      const fd = fs.openSync(file, 'w');
      try {
        execFileSync(process.execPath, args, { stdio: ['ignore', fd, 'inherit'] });
        out = fs.readFileSync(file, 'utf8');
      } finally {
        fs.closeSync(fd);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    const messages = out.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string; node: string }));
    expect(messages.map((m) => m.msg)).toEqual([
      `[mode] stdout is a file: ${kind === 'file'}`,
      '[apply] index=1 op=set key=k value="a b"', '[raft] round 0', '[apply] index=2 op=noop',
      '[apply] index=3 op=set key=k value="a b"', '[raft] round 1', '[apply] index=4 op=noop',
      '[apply] index=5 op=set key=k value="a b"', '[raft] round 2', '[apply] index=6 op=noop',
      '[last] before exit',
    ]);
    expect(new Set(messages.map((m) => m.node))).toEqual(new Set(['n1']));
  });
});
