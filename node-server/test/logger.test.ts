import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('the timer flushes the stream only when lines went to it since the last flush', async () => {
    const sink = recordingSink();
    const batch = new TurnBatch(sink);
    batch.flushIfWritten();
    expect(sink.flushes).toBe(0);
    batch.write('a\n');
    batch.flushIfWritten();
    expect(sink.flushes).toBe(0); // still in the turn's batch, not yet in the stream
    await nextTurn();
    batch.flushIfWritten();
    expect(sink.flushes).toBe(1);
    batch.flushIfWritten();
    expect(sink.flushes).toBe(1);
    batch.write('b\n');
    batch.flush();
    batch.flushIfWritten();
    expect(sink.flushes).toBe(2);
    expect(sink.writes).toEqual(['a\n', 'b\n']);
  });

  it('keeps pino\'s own lines and the fast lines in the order they were logged, on the real stdout', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', path.join(here, 'support/logger-order.ts'), '3'], { encoding: 'utf8' });
    const messages = out.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string; node: string }));
    expect(messages.map((m) => m.msg)).toEqual([
      '[apply] index=1 op=set key=k value="a b"', '[raft] round 0', '[apply] index=2 op=noop',
      '[apply] index=3 op=set key=k value="a b"', '[raft] round 1', '[apply] index=4 op=noop',
      '[apply] index=5 op=set key=k value="a b"', '[raft] round 2', '[apply] index=6 op=noop',
      '[last] before exit',
    ]);
    expect(new Set(messages.map((m) => m.node))).toEqual(new Set(['n1']));
  });
});
