/**
 * A cheap, deterministic fingerprint of a simulation's state (FNV-1a, 32 bits): two runs that show
 * the same hash at the same simulated time are, for every practical purpose, in the same state.
 * The playground shows it so that a shared link can be checked against the run it came from.
 */
import type { SimNode } from './sim-node';

export class StateHasher {
  private h = 0x811c9dc5;

  add(value: string | number | boolean | null | undefined): this {
    const s = value === undefined ? '~' : String(value);
    for (let i = 0; i < s.length; i++) {
      this.h ^= s.charCodeAt(i);
      this.h = Math.imul(this.h, 0x01000193);
    }
    // A separator, so that ("ab", "c") and ("a", "bc") differ.
    this.h ^= 0x1f;
    this.h = Math.imul(this.h, 0x01000193);
    return this;
  }

  hex(): string {
    return (this.h >>> 0).toString(16).padStart(8, '0');
  }
}

/** What a node holds that matters: its memory (if up) and its disk. */
export function hashNode(h: StateHasher, node: SimNode): void {
  const storage = node.storage;
  const hs = storage.hardStateNow();
  h.add(node.id).add(node.incarnation).add(hs.term).add(hs.vote).add(hs.commit);
  h.add(storage.firstIndex()).add(storage.lastIndex()).add(storage.term(storage.lastIndex()));
  const raft = node.raft;
  if (!raft) return void h.add('down');
  const s = raft.status();
  h.add(s.role).add(s.term).add(s.vote).add(s.leaderId).add(s.commitIndex).add(s.lastApplied).add(s.lastIndex).add(s.lastTerm);
  h.add(s.electionElapsed).add(s.electionTimeout).add(node.persisting !== null);
  for (const [key, value] of node.kv.entries()) h.add(key).add(value);
}
