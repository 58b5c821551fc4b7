/**
 * What a simulated node's disk keeps of a snapshot: like a real node's (node-server's DiskStorage,
 * docs/storage.md "Delta runs"), a delta run added to the snapshot it holds while the runs add up to
 * less than twice the whole state, else the whole state again. So transfers, restarts and the
 * fuzzer meet snapshots made of runs, as a real cluster's followers do.
 */
import { deltaRunFits, readAllChunks, snapshotDeltaRatioDefault, snapshotRunBytes } from '../kv';
import type { SnapshotSource } from '../replica';
import type { MemoryStorage } from '../storage';

export function snapshotChunksToStore(source: SnapshotSource, storage: MemoryStorage): string[] {
  const held = storage.snapshot();
  if (source.delta === undefined || source.delta.from !== held.index) return readAllChunks(source.reader);
  const heldChunks = Array.from({ length: held.chunkCount }, (_, i) => storage.snapshotChunk(i));
  // An empty snapshot (no chunks) has no base to add to: deltaRunFits says no.
  if (!deltaRunFits(snapshotRunBytes(heldChunks), snapshotDeltaRatioDefault)) return readAllChunks(source.reader);
  return [...heldChunks, ...readAllChunks(source.delta)];
}
