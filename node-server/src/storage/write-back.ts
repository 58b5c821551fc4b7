/**
 * How much a file written in the background (a snapshot's data file, the WAL's spare segment) may
 * leave unsynced in the page cache before it is flushed: past this many bytes it is fdatasynced
 * before the next write.
 *
 * Why: the WAL's appends are O_DSYNC, and each waits for the disk to take everything queued before
 * it. A 270 MB snapshot file (1M keys) written through the page cache and synced once at its end
 * put it all on the disk at once, and the WAL's writes waited up to 170-180 ms behind it: the writes'
 * p99.9 then grew with the size of the data. Synced every 4 MiB, a WAL write waits behind at most
 * about that much. RocksDB's `bytes_per_sync` does the same for its table files.
 */
import fs from 'node:fs';

export const writeBackBytes = 4 * 1024 * 1024;

/**
 * For one file written in the background: after each write, the returned function counts its bytes
 * and, once writeBackBytes are unsynced, fdatasyncs the file before calling `then` (else at once).
 */
export function writeBack(fd: number): (bytes: number, then: (err: Error | null) => void) => void {
  let unsynced = 0;
  return (bytes, then) => {
    unsynced += bytes;
    if (unsynced < writeBackBytes) return then(null);
    unsynced = 0;
    fs.fdatasync(fd, then);
  };
}
