/**
 * What a simulated node's disk keeps of a snapshot: like a real node's (node-server's DiskStorage,
 * docs/storage.md "Delta runs"), a delta run added to the snapshot it holds while the runs add up to
 * less than twice the whole state, else the whole state again. So transfers, restarts and the
 * fuzzer meet snapshots made of runs, as a real cluster's followers do.
 */
import { snapshotRunBytes } from '../kv';
import type { SnapshotSource } from '../replica';
import type { MemoryStorage } from '../storage';

/** RAFT_SNAPSHOT_DELTA_RATIO's default, which the simulated disk follows. */
const deltaRatio = 2;

function readAll(reader: { next(): string | null }): string[] {
  const chunks: string[] = [];
  for (let chunk = reader.next(); chunk !== null; chunk = reader.next()) chunks.push(chunk);
  return chunks;
}

export function snapshotChunksToStore(source: SnapshotSource, storage: MemoryStorage): string[] {
  const held = storage.snapshot();
  if (source.delta === undefined || source.delta.from !== held.index || held.chunkCount === 0) return readAll(source.reader);
  const heldChunks = Array.from({ length: held.chunkCount }, (_, i) => storage.snapshotChunk(i));
  const { base, deltas } = snapshotRunBytes(heldChunks);
  if (deltas >= deltaRatio * base) return readAll(source.reader);
  return [...heldChunks, ...readAll(source.delta)];
}
