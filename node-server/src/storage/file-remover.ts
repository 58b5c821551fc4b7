/**
 * Deletes files the storage no longer needs (an old snapshot's data file, WAL segments a snapshot
 * covers) off the event loop, one after the other in the order given. Deleting a large file frees
 * its extents before unlink returns: at a million keys an old data file is about 270 MB, and its
 * synchronous deletion held the event loop for up to 109 ms (bench:scale, "snapshot commit").
 *
 * A deletion a crash loses is harmless, so the directory is not fsynced after one: at open, data
 * files the manifest does not name and segments before its walFrom are deleted, and a segment
 * whose entries a snapshot covers is replayed and skipped. In order, so a crash leaves the older
 * files, never a gap between segments.
 */
import fs from 'node:fs';
import type { Logger } from '../logger';

export class FileRemover {
  private queue: string[] = [];
  private running: Promise<void> | null = null;

  constructor(private readonly logger: Logger) {}

  remove(files: readonly string[]): void {
    if (files.length === 0) return;
    this.queue.push(...files);
    this.running ??= this.drain();
  }

  /** Resolves once every file handed over so far is deleted (or failed to be, with a warning). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async drain(): Promise<void> {
    // Starts after the turn that handed the files over, so that turn's own synchronous work (and a
    // test looking at the directory) sees them all.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let file = this.queue.shift(); file !== undefined; file = this.queue.shift()) {
      try {
        await fs.promises.rm(file, { force: true });
      } catch (err) {
        this.logger.warn(`[storage] could not delete ${file}: ${(err as Error).message}; it is deleted at the next start`);
      }
    }
    // In the same turn as the last look at the queue: a file handed over after it starts a new drain.
    this.running = null;
  }
}
