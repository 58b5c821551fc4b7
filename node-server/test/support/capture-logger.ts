/** A pino logger whose lines a test can read. */
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/logger';

export function captureLogger(level: pino.Level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push((JSON.parse(line) as { msg: string }).msg);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}
