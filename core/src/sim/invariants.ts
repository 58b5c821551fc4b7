/**
 * Raft's safety properties (Figure 3), checked on every Ready a simulated node produces:
 * - election safety: at most one leader per term;
 * - log matching: two logs with an entry of the same index and term agree on it and on the term before it;
 * - leader completeness: a new leader holds every entry committed so far;
 * - state machine safety: no two nodes commit or apply different entries at one index, and no node
 *   replaces a committed entry it held on disk;
 * - a node's commit index never goes back within one run of the node; it applies in order, only committed entries;
 * - membership: a leader is a voter of its own configuration when it wins, and a leader's log never
 *   holds two configuration changes that are not committed (one change at a time);
 * - a leader's matchIndex for a follower of its term is true: the follower holds the leader's entry there.
 * The checker keeps the entries committed anywhere so far; each check is incremental.
 */
import type { Ready, RaftNode } from '../raft-node';
import type { Storage } from '../storage';
import type { Entry, NodeId } from '../types';

export interface Violation {
  at: number;
  node: NodeId;
  property:
    | 'election_safety' | 'log_matching' | 'leader_completeness' | 'state_machine_safety' | 'commit_regressed' | 'apply_order'
    | 'leader_is_voter' | 'one_config_change' | 'match_index';
  message: string;
}

/** Another node's term and log, as the matchIndex check reads them (its memory, or its disk while it is down). */
export interface LogView {
  term: number;
  firstIndex: number;
  termAt(index: number): number | undefined;
}

interface NodeMemory {
  incarnation: number;
  commit: number;
  applied: number;
  leaderTerm: number;
}

export class InvariantChecker {
  readonly violations: Violation[] = [];
  /** committed[i] is the entry committed at index i, once any node has committed it. */
  private readonly committed: Entry[] = [];
  /** commitTerm[i]: the term of the node that committed index i first (its leader's). */
  private readonly commitTerm: number[] = [];
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** seen[index]: each entry first seen at that index (one per term; rarely more than one) and the term before it. */
  private readonly seen: ({ entry: Entry; prevTerm: number }[] | undefined)[] = [];
  private readonly memory = new Map<NodeId, NodeMemory>();

  get committedIndex(): number {
    return this.committed.length - 1;
  }

  committedEntry(index: number): Entry | undefined {
    return this.committed[index];
  }

  /** `storage` is the node's durable state before this Ready is written. */
  onReady(at: number, id: NodeId, incarnation: number, rd: Ready, node: RaftNode, storage: Storage): void {
    const mem = this.memoryOf(id, incarnation, node);
    this.at = at;
    this.current = id;
    if (rd.role === 'leader') {
      this.checkLeader(mem, node);
      this.checkOneConfigChange(node);
    }
    if (rd.entries.length > 0) this.checkAppended(rd.entries, node, storage);
    if (rd.hardState) this.checkCommit(mem, rd.hardState.commit, node);
    if (rd.snapshot) mem.applied = rd.snapshot.index;
    if (rd.committedEntries.length > 0) this.checkApplied(mem, rd.committedEntries);
  }

  /**
   * A leader's matchIndex is what it commits by: the follower must hold the leader's entry at it.
   * Only for followers in the leader's term: one in a later term may have had entries replaced by
   * a newer leader this one has not heard of. Entries compacted on the follower are committed ones.
   */
  checkMatchIndexes(at: number, leader: RaftNode, viewOf: (id: NodeId) => LogView | undefined): void {
    for (const id of leader.peers) {
      const match = leader.matchIndexOf(id);
      const view = match === null ? undefined : viewOf(id);
      if (match === null || view === undefined || view.term !== leader.term || match < view.firstIndex) continue;
      const want = leader.termAt(match);
      const have = view.termAt(match);
      if (want === undefined || have === want) continue;
      this.at = at;
      this.current = leader.id;
      this.fail('match_index', `${leader.id} counts ${id} as holding entry ${match} (term ${want}), but ${id} ${have === undefined ? 'does not hold it' : `has term ${have} there`}`);
    }
  }

  /** Where the Ready being checked came from. */
  private at = 0;
  private current: NodeId = '';

  private fail(property: Violation['property'], message: string): void {
    this.violations.push({ at: this.at, node: this.current, property, message });
  }

  private memoryOf(id: NodeId, incarnation: number, node: RaftNode): NodeMemory {
    let mem = this.memory.get(id);
    if (!mem || mem.incarnation !== incarnation) {
      // A restarted node starts from its durable state: its commit and applied restart there.
      mem = { incarnation, commit: node.commitIndex, applied: node.appliedIndex, leaderTerm: 0 };
      this.memory.set(id, mem);
    }
    return mem;
  }

  private checkLeader(mem: NodeMemory, node: RaftNode): void {
    const term = node.term;
    if (mem.leaderTerm === term) return;
    mem.leaderTerm = term;
    const other = this.leaderOfTerm.get(term);
    if (other !== undefined && other !== node.id) this.fail('election_safety', `${node.id} and ${other} are both leader in term ${term}`);
    this.leaderOfTerm.set(term, node.id);
    if (!node.configuration.voters.includes(node.id)) {
      this.fail('leader_is_voter', `${node.id} leads term ${term} but is not a voter of its configuration (${node.configuration.voters.join(',')})`);
    }
    // Leader completeness binds the leaders of terms after the one an entry was committed in: a
    // candidate of an older term may still win its election without the entry, with votes cast
    // before its voters heard of the newer term.
    for (let i = Math.max(1, node.firstIndex); i < this.committed.length; i++) {
      const want = this.committed[i]!;
      if (this.commitTerm[i]! < term && node.termAt(i) !== want.term) {
        this.fail('leader_completeness', `leader ${node.id} of term ${term} lacks committed entry ${i} (term ${want.term}); it has term ${node.termAt(i)}`);
        return;
      }
    }
  }

  /** The uncommitted tail of a leader's log holds at most one configuration entry. */
  private checkOneConfigChange(node: RaftNode): void {
    const from = Math.max(node.commitIndex + 1, node.firstIndex);
    if (node.lastIndex - from > 10_000) return;
    const tail = from <= node.lastIndex ? node.entries(from, node.lastIndex + 1) ?? [] : [];
    let changes = 0;
    for (const entry of tail) if (entry.command.op === 'config') changes++;
    if (changes > 1) this.fail('one_config_change', `${node.id}'s log holds ${changes} uncommitted configuration changes after ${node.commitIndex}`);
  }

  private checkAppended(entries: readonly Entry[], node: RaftNode, storage: Storage): void {
    for (const entry of entries) {
      const prevTerm = entry.index === 1 ? 0 : node.termAt(entry.index - 1) ?? -1;
      const atIndex = this.seen[entry.index] ?? (this.seen[entry.index] = []);
      const first = atIndex.find((s) => s.entry.term === entry.term);
      if (!first) {
        atIndex.push({ entry, prevTerm });
      } else if (!sameEntry(first.entry, entry) || (prevTerm !== -1 && first.prevTerm !== -1 && first.prevTerm !== prevTerm)) {
        this.fail('log_matching', `${node.id}: entry ${entry.index} of term ${entry.term} differs from the one first seen there`);
      }
      // A follower behind in terms may hold a stale leader's entry where another one committed
      // (it never commits it), and a stale leader may replace the committed entry on a follower
      // that was too far behind to count toward its commit. But a node in the term that committed
      // the entry, or later, may have been counted: replacing the copy it durably held loses it.
      const committed = this.committed[entry.index];
      if (committed && committed.term !== entry.term && storage.term(entry.index) === committed.term && node.term >= this.commitTerm[entry.index]!) {
        this.fail('state_machine_safety', `${node.id} overwrote committed entry ${entry.index} (term ${committed.term}) with term ${entry.term}`);
      }
    }
  }

  private checkCommit(mem: NodeMemory, commit: number, node: RaftNode): void {
    if (commit < mem.commit) this.fail('commit_regressed', `${node.id}: commit went from ${mem.commit} back to ${commit}`);
    const from = Math.max(mem.commit + 1, node.firstIndex);
    const entries = from <= commit ? node.entries(from, commit + 1) ?? [] : [];
    for (const entry of entries) {
      const known = this.committed[entry.index];
      if (known === undefined) {
        // Commits happen in index order somewhere, so the slot before is filled (or compacted here).
        this.committed[entry.index] = entry;
        this.commitTerm[entry.index] = node.term;
      } else if (!sameEntry(known, entry)) {
        this.fail('state_machine_safety', `${node.id} committed ${entry.index} with term ${entry.term}, but term ${known.term} was committed there`);
      }
    }
    mem.commit = Math.max(mem.commit, commit);
  }

  private checkApplied(mem: NodeMemory, entries: readonly Entry[]): void {
    for (const entry of entries) {
      if (entry.index !== mem.applied + 1) this.fail('apply_order', `applied ${entry.index} after ${mem.applied}`);
      if (entry.index > mem.commit) this.fail('apply_order', `applied ${entry.index} beyond commit ${mem.commit}`);
      const known = this.committed[entry.index];
      if (known && !sameEntry(known, entry)) {
        this.fail('state_machine_safety', `applied entry ${entry.index} (term ${entry.term}) differs from committed term ${known.term}`);
      }
      mem.applied = entry.index;
    }
  }
}

function sameEntry(a: Entry, b: Entry): boolean {
  if (a === b) return true;
  return a.index === b.index && a.term === b.term && JSON.stringify(a.command) === JSON.stringify(b.command);
}
