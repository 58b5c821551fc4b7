/**
 * The one logger (pino). JSON lines when stdout is a pipe (fast, and scripts grep them); a
 * readable one-line format on a terminal or with LOG_FORMAT=pretty. Either way every message text
 * is on one line, so `[apply] index=N` and `[raft] ... became leader` can be parsed from stdout.
 */
import fs from 'node:fs';
import pino from 'pino';
import pretty from 'pino-pretty';
import type { NodeConfig } from './config';

export type Logger = pino.Logger;

export function createLogger(config: Pick<NodeConfig, 'nodeId' | 'logLevel' | 'logFormat'>): Logger {
  const options: pino.LoggerOptions = { level: config.logLevel, base: { node: config.nodeId } };
  if (config.logFormat === 'pretty') {
    const stream = pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,node' });
    return pino(options, stream);
  }
  // Lines go out in 4 KiB batches or within flushIntervalMs, whichever comes first (and at exit).
  const destination = pino.destination({ dest: 1, sync: stdoutIsFile(), minLength: 4096 });
  const batch = new TurnBatch(destination);
  setInterval(() => {
    try {
      batch.flushIfBuffered();
    } catch {
      // destroyed at exit
    }
  }, flushIntervalMs).unref();
  batches.add(batch);
  // pino's own lines go through the same batch, so every line keeps its place.
  const logger = pino(options, batch);
  // The same JSON line pino writes, without its per-call machinery (a third of the cost).
  const head = `{"level":30,"time":`;
  const node = `,"node":${JSON.stringify(config.nodeId)},"msg":`;
  fastLines.set(logger, (msg) => {
    if (logger.isLevelEnabled('info')) batch.write(`${head}${Date.now()}${node}${JSON.stringify(msg)}}\n`);
  });
  return logger;
}

/**
 * Whether stdout is a regular file: then the logger writes it synchronously, on the event loop.
 *
 * Why: a write to a file lands in the page cache and never waits for a reader, and an
 * asynchronous write goes through libuv's thread pool, a hand-off to a worker thread and back
 * for every batch. On the project's 2-core VM that cost about 3 µs of CPU per 360-byte `[apply]`
 * line (1.3-1.6 µs user, 1.8-2.2 µs system), against 0.2-0.3 µs written synchronously, measured
 * alone; with four such lines per write (an `[apply]` line on each node and the leader's `[http]`
 * line) it was a few percent of the cluster's CPU. A pipe, a terminal or a socket is written
 * asynchronously as before: its reader may be slow, and a synchronous write into a full pipe
 * would stop the node's event loop (its timers, heartbeats and elections) until the reader
 * catches up.
 */
export function stdoutIsFile(): boolean {
  try {
    return fs.fstatSync(1).isFile();
  } catch {
    return false;
  }
}

/**
 * The lines of one event-loop turn, handed to the stream as one string at the end of the turn.
 * pino's stream (sonic-boom) measures the UTF-8 length of its whole pending buffer on every write,
 * and that buffer is a string it appends to: each line copied the buffer again (up to 16 KiB) and
 * took a few microseconds. Three nodes log each write four times in all (an `[apply]` line each
 * and the leader's `[http]` line), and a follower applies a dozen entries in one turn.
 */
export class TurnBatch {
  private lines: string[] = [];
  private scheduled = false;
  /** Bytes handed to the stream that it has not reported written yet (its 'write' events). */
  private buffered = 0;

  constructor(private readonly sink: LineSink) {
    sink.on?.('write', (bytes: number) => {
      this.buffered -= bytes;
    });
  }

  write(line: string): boolean {
    this.lines.push(line);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.push());
    }
    return true;
  }

  /** Hands the batch to the stream, then flushes the stream (pino's logger.flush comes here too). */
  flush(cb?: (err?: Error) => void): void {
    this.push();
    this.sink.flush(cb);
  }

  /**
   * Flushes the stream while it holds bytes it has not written (the timer's call). Flushing an
   * empty sonic-boom still writes an empty string through the thread pool: 50 of them a second
   * were a visible part of an idle node's CPU. Whether lines went out since the last flush is not
   * enough to know: a flush made while the stream is writing does nothing, and what it holds
   * below its minimum length then stays until the next flush.
   */
  flushIfBuffered(): void {
    if (this.buffered > 0 || !this.sink.on) this.sink.flush();
  }

  /** Hands the lines written so far to the stream. */
  push(): void {
    this.scheduled = false;
    if (this.lines.length === 0) return;
    const text = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    // The stream counts what it holds in UTF-8 bytes, and its 'write' events too.
    if (this.sink.on) this.buffered += Buffer.byteLength(text);
    this.sink.write(text);
  }
}

/** What a batch writes to: pino's stream (sonic-boom), or a test's. */
export interface LineSink {
  write(text: string): unknown;
  flush(cb?: (err?: Error) => void): void;
  /** sonic-boom reports each write it made, in bytes; a sink without it is flushed on every tick. */
  on?(event: 'write', listener: (bytes: number) => void): unknown;
}

/** Every logger's batch, in front of its stream: flushLogs and the exit listener reach the streams through them. */
const batches = new Set<TurnBatch>();
// On process.exit the batches go to their streams first: this listener is registered when this
// module loads, before pino registers the one that flushes each stream at exit.
process.on('exit', () => {
  for (const batch of batches) {
    try {
      batch.push();
    } catch {
      // its stream is already gone (destroyed): nothing can be written there any more
    }
  }
});

const fastLines = new WeakMap<Logger, (msg: string) => void>();

/**
 * An info line for the lines written once per request or per applied entry (`[http]`, `[apply]`):
 * on the JSON stream it formats the line itself, about 1.6 µs against pino's 5.2 µs here, which
 * is a visible share of a write's CPU once three nodes each log every entry. Same line, same
 * stream, same order as pino's own.
 */
export function infoLine(logger: Logger): (msg: string) => void {
  return fastLines.get(logger) ?? ((msg) => logger.info(msg));
}

const flushIntervalMs = 20;
const flushWaitMsMax = 500;

/**
 * Writes out buffered log lines (before a deliberate exit), waiting at most flushWaitMsMax.
 * Asynchronously on purpose: sonic-boom's flushSync retries a broken pipe (EPIPE: whoever read our
 * stdout is gone, e.g. a SIGKILLed supervisor) forever, blocking the process; an asynchronous write
 * fails instead, and pino then turns every later write, and the flushSync it runs at exit, into a no-op.
 */
export async function flushLogs(): Promise<void> {
  await Promise.all([...batches].map((batch) => new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, flushWaitMsMax);
    try {
      batch.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      // destroyed: nothing left to write
      clearTimeout(timer);
      resolve();
    }
  })));
}

/** A value printed in a log line: plain when it is a simple token, JSON-quoted otherwise. */
export function logValue(value: string): string {
  return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}
