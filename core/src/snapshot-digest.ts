/**
 * A snapshot's digest: a 32-bit checksum of its chunks, in order.
 *
 * Why: two nodes' snapshots at the same index hold the same state but need not hold the same
 * chunks. A snapshot is a base run followed by delta runs (kv.ts), and each node took its runs at
 * its own points, so the same index, term, chunk count and byte count can still hide two different
 * layouts. A follower resumes a transfer, after a restart or from a new leader, only when the
 * snapshot offered is the one it was receiving: comparing digests says so, and mixing the chunks
 * of two layouts would corrupt its state.
 *
 * The digest folds one checksum per chunk, so a snapshot extended by a delta run continues the
 * digest of the snapshot it was added to. Where the checksum comes from is the storage's choice
 * (a real node has a CRC-32 of each chunk's bytes already, the simulator hashes the string); the
 * digests of two storages that checksum alike are comparable.
 */

/** The digest of a snapshot of no chunks. */
export const emptySnapshotDigest = 0x811c9dc5;

/** The digest after one more chunk whose checksum is `chunkChecksum` (an unsigned 32-bit value). */
export function foldChunkChecksum(digest: number, chunkChecksum: number): number {
  // FNV-1a over the checksum's four bytes: order matters, so a reordered layout differs too.
  let h = digest;
  for (let shift = 0; shift < 32; shift += 8) h = Math.imul(h ^ ((chunkChecksum >>> shift) & 0xff), 0x01000193);
  return h >>> 0;
}

/** The digest once chunks with these checksums, in order, follow those whose digest is `from`. */
export function foldChunkChecksums(checksums: Iterable<number>, from = emptySnapshotDigest): number {
  let digest = from;
  for (const checksum of checksums) digest = foldChunkChecksum(digest, checksum);
  return digest;
}

/** A checksum of a chunk's text (FNV-1a over its UTF-16 code units), for storages that keep strings. */
function chunkTextChecksum(chunk: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < chunk.length; i++) h = Math.imul(h ^ chunk.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The digest of chunks held as text. */
export function textChunksDigest(chunks: readonly string[]): number {
  return foldChunkChecksums(chunks.map(chunkTextChecksum));
}
