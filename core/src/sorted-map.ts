/**
 * The sorted map the KV state machine keeps its data in: a B+ tree (the `sorted-btree` package)
 * whose clone() is O(1) and copy-on-write. That is what lets a snapshot read a frozen view of
 * the state, chunk by chunk, while writes go on; the simulator's checkpoints share it the same way.
 */
import * as btreeModule from 'sorted-btree';
import * as bulkLoadModule from 'sorted-btree/extended/bulkLoad';
import * as unionModule from 'sorted-btree/extended/union';
import type BTreeClass from 'sorted-btree';
import { fail } from './assert';

type BTreeConstructor = typeof BTreeClass;
type BulkLoad = typeof import('sorted-btree/extended/bulkLoad').bulkLoad;
type Union = typeof import('sorted-btree/extended/union').default;

// The package is CommonJS: bundlers hand its class over as `default`, Node's ESM loader as
// `default.default`. Resolve it once, here.
const moduleDefault = (btreeModule as unknown as { default: BTreeConstructor & { default?: BTreeConstructor } }).default;
const BTree: BTreeConstructor = moduleDefault.default ?? moduleDefault;
const bulkLoadNs = bulkLoadModule as unknown as { bulkLoad?: BulkLoad; default?: { bulkLoad: BulkLoad } };
const bulkLoad: BulkLoad = bulkLoadNs.bulkLoad ?? bulkLoadNs.default!.bulkLoad;
const unionDefault = (unionModule as unknown as { default: Union & { default?: Union } }).default;
const union: Union = unionDefault.default ?? unionDefault;

/** Keys per tree node: wide nodes keep the tree shallow and the per-key overhead small. */
const nodeSizeMax = 64;

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export type SortedMap = BTreeClass<string, string>;

/**
 * Strings this short that come out of JSON.parse are internalized by V8 (its JSON parser does that
 * to every string value of at most this many characters, as it does to property names).
 */
const internalizedLengthMax = 10;

/**
 * The string to keep in the map: `s`, or for a short one a fresh copy of its characters. A short
 * key parsed from JSON (a client's request, an AppendEntries, a WAL record) is an internalized
 * string: it lives in V8's string table for as long as it lives. A map of a million 8-byte keys
 * kept a million entries in that table, and every full garbage collection walks the whole table
 * twice (updating pointers after compaction, clearing dead entries), so its pause grew with the
 * data. A copy is an ordinary string, and the parsed one dies with the request that carried it.
 * V8 still hands out its shared one-character strings (a fixed table). Other engines may not
 * internalize at all; there the copy is merely a copy.
 */
export function ownedString(s: string): string {
  return s.length <= internalizedLengthMax ? (' ' + s).slice(1) : s;
}

export function emptySortedMap(): SortedMap {
  return new BTree<string, string>(undefined, compareStrings, nodeSizeMax);
}

/** Builds a map from keys in strictly ascending order, in O(n). */
export function sortedMapFromSorted(keys: string[], values: string[]): SortedMap {
  if (keys.length === 0) return emptySortedMap();
  return bulkLoad(keys, values, nodeSizeMax, compareStrings);
}

/**
 * `map` with pairs appended whose keys are strictly ascending and all above its last key; neither
 * input changes. The two key ranges do not overlap, so the union shares every node of both trees
 * but those along the seam: O(log n + pairs) (sorted-btree's union skips disjoint subtrees). This
 * is what lets a snapshot be rebuilt chunk by chunk, no step building the whole tree at once.
 */
export function appendSorted(map: SortedMap, keys: string[], values: string[]): SortedMap {
  if (keys.length === 0) return map;
  const tail = sortedMapFromSorted(keys, values);
  if (map.size === 0) return tail;
  if (compareStrings(map.maxKey()!, keys[0]!) >= 0) fail(`appendSorted: key ${JSON.stringify(keys[0])} is not above the map's last key`);
  return union<SortedMap, string, string>(map, tail, () => fail('appendSorted: a key is in both trees'));
}
