/**
 * Candidate in-memory representations of the KV state machine, behind one small interface, for the
 * study in main.ts. Each can take a consistent snapshot (`freeze`) and hand it out in chunks while
 * writes go on, answer a prefix range, and be rebuilt from a snapshot's sorted chunks.
 *
 * - `Map (copy)`: today's native Map; a consistent snapshot has to copy every entry at once.
 * - `Map + undo log`: the same Map; while a snapshot is out, the first write to a key saves its old
 *   value, and the snapshot's iterator reports the saved value (O(1) freeze, unsorted).
 * - `sorted-btree`: a B+ tree whose clone() is O(1) copy-on-write; the clone is iterated in key order.
 * - `immutable Map`: a persistent hash trie (immutable has no sorted map); a snapshot is a reference.
 */
import * as btreeModule from 'sorted-btree';
import type BTreeClass from 'sorted-btree';
import { bulkLoad } from 'sorted-btree/extended/bulkLoad';
import { Map as ImmutableMap } from 'immutable';

// sorted-btree is CommonJS with `exports.default = BTree`: depending on the loader's interop the
// class is the namespace's `default` or that object's `default`.
function btreeClass(): typeof BTreeClass {
  let candidate: unknown = btreeModule;
  for (let depth = 0; depth < 3 && typeof candidate !== 'function'; depth++) candidate = (candidate as { default?: unknown }).default;
  if (typeof candidate !== 'function') throw new Error('sorted-btree: no BTree class found in the module');
  return candidate as typeof BTreeClass;
}
const BTree = btreeClass();

export type Pair = [string, string];

export interface Representation {
  readonly name: string;
  readonly size: number;
  set(key: string, value: string): void;
  get(key: string): string | undefined;
  /** Starts a consistent snapshot of the state now; its iterator yields that state whatever is written meanwhile. */
  freeze(): Iterator<Pair>;
  /** Call when the snapshot's iterator is done (drops the clone or the undo log). */
  thaw(): void;
  /** The first `limit` keys (in key order) that start with `prefix`. */
  prefixRange(prefix: string, limit: number): Pair[];
}

export interface RepresentationKind {
  name: string;
  empty(): Representation;
  /** Rebuilds from a snapshot's pairs, in key order. */
  fromSorted(keys: string[], values: string[]): Representation;
}

const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A scan of every entry: what a hash map must do for a range. */
function scanRange(entries: Iterable<Pair>, prefix: string, limit: number): Pair[] {
  const found: Pair[] = [];
  for (const [k, v] of entries) if (k.startsWith(prefix)) found.push([k, v]);
  return found.sort((a, b) => byKey(a[0], b[0])).slice(0, limit);
}

class CopyMap implements Representation {
  readonly name = 'Map (copy)';
  constructor(private readonly map = new Map<string, string>()) {}
  get size(): number {
    return this.map.size;
  }
  set(key: string, value: string): void {
    this.map.set(key, value);
  }
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  freeze(): Iterator<Pair> {
    return Array.from(this.map)[Symbol.iterator]();
  }
  thaw(): void {}
  prefixRange(prefix: string, limit: number): Pair[] {
    return scanRange(this.map, prefix, limit);
  }
}

class UndoMap implements Representation {
  readonly name = 'Map + undo log';
  /** Old values (undefined: the key was absent) of keys written since the snapshot began. */
  private undo: Map<string, string | undefined> | null = null;
  constructor(private readonly map = new Map<string, string>()) {}
  get size(): number {
    return this.map.size;
  }
  set(key: string, value: string): void {
    if (this.undo !== null && !this.undo.has(key)) this.undo.set(key, this.map.get(key));
    this.map.set(key, value);
  }
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  freeze(): Iterator<Pair> {
    if (this.undo !== null) throw new Error('one snapshot at a time');
    const undo = new Map<string, string | undefined>();
    this.undo = undo;
    const live = this.map.entries();
    // A Map iterator visits entries in insertion order and sees keys added later (at the end):
    // the undo log says which of those did not exist when the snapshot began. This study never
    // deletes; a real one would also emit deleted keys from the log at the end.
    return (function* (): Generator<Pair> {
      for (const [k, v] of live) {
        if (!undo.has(k)) yield [k, v];
        else {
          const old = undo.get(k);
          if (old !== undefined) yield [k, old];
        }
      }
    })();
  }
  thaw(): void {
    this.undo = null;
  }
  prefixRange(prefix: string, limit: number): Pair[] {
    return scanRange(this.map, prefix, limit);
  }
}

class BTreeRep implements Representation {
  readonly name = 'sorted-btree';
  private frozen: BTreeClass<string, string> | null = null;
  constructor(private readonly tree: BTreeClass<string, string> = new BTree<string, string>(undefined, byKey)) {}
  get size(): number {
    return this.tree.size;
  }
  set(key: string, value: string): void {
    this.tree.set(key, value);
  }
  get(key: string): string | undefined {
    return this.tree.get(key);
  }
  freeze(): Iterator<Pair> {
    this.frozen = this.tree.clone();
    return this.frozen.entries();
  }
  thaw(): void {
    this.frozen = null;
  }
  prefixRange(prefix: string, limit: number): Pair[] {
    const out: Pair[] = [];
    for (const pair of this.tree.entries(prefix)) {
      if (!pair[0].startsWith(prefix) || out.length >= limit) break;
      out.push([pair[0], pair[1]]);
    }
    return out;
  }
}

class ImmutableRep implements Representation {
  readonly name = 'immutable Map';
  constructor(private map = ImmutableMap<string, string>()) {}
  get size(): number {
    return this.map.size;
  }
  set(key: string, value: string): void {
    this.map = this.map.set(key, value);
  }
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  freeze(): Iterator<Pair> {
    return this.map.entries();
  }
  thaw(): void {}
  prefixRange(prefix: string, limit: number): Pair[] {
    return scanRange(this.map.entries(), prefix, limit);
  }
}

function mapOf(keys: string[], values: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i < keys.length; i++) map.set(keys[i]!, values[i]!);
  return map;
}

/** sorted-btree's default node size. */
const btreeNodeSize = 32;

export const kinds: RepresentationKind[] = [
  {
    name: 'Map (copy)',
    empty: () => new CopyMap(),
    fromSorted: (keys, values) => new CopyMap(mapOf(keys, values)),
  },
  {
    name: 'Map + undo log',
    empty: () => new UndoMap(),
    fromSorted: (keys, values) => new UndoMap(mapOf(keys, values)),
  },
  {
    name: 'sorted-btree',
    empty: () => new BTreeRep(),
    fromSorted: (keys, values) => new BTreeRep(bulkLoad(keys, values, btreeNodeSize, byKey)),
  },
  {
    name: 'immutable Map',
    empty: () => new ImmutableRep(),
    fromSorted: (keys, values) => new ImmutableRep(ImmutableMap<string, string>().withMutations((m) => {
      for (let i = 0; i < keys.length; i++) m.set(keys[i]!, values[i]!);
    })),
  },
];
