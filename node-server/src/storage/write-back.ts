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
export const writeBackBytes = 4 * 1024 * 1024;
