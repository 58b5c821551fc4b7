/**
 * Bit sets of op ids and a memo table of (bit set, state) pairs for the linearizability search.
 *
 * Typed-array reads use `!`: every index is in range by construction (ids < size, slots masked
 * to the table length), and the checks `noUncheckedIndexedAccess` would add sit in the hot loop.
 */

/** A fixed-size set of op ids whose hash is kept up to date on every change, in O(1). */
export class Bitset {
  readonly words: Uint32Array;
  /** XOR of `idHash(id)` over the members (Zobrist hashing), so set and clear are O(1). */
  hash = 0;

  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }

  has(id: number): boolean {
    return (this.words[id >>> 5]! & (1 << (id & 31))) !== 0;
  }

  add(id: number): void {
    if (this.has(id)) return;
    this.words[id >>> 5]! |= 1 << (id & 31);
    this.hash ^= idHash(id);
  }

  delete(id: number): void {
    if (!this.has(id)) return;
    this.words[id >>> 5]! &= ~(1 << (id & 31));
    this.hash ^= idHash(id);
  }
}

/** murmur3's 32-bit finalizer: spreads consecutive ids over all bits. */
function idHash(id: number): number {
  let h = (id + 1) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * The (linearized ops, model state) pairs the search has already entered. This is Lowe's
 * memoization: two orders that linearize the same ops and end in the same state have the same
 * future, so the second one need not be explored.
 *
 * Stored packed (one word pool, open addressing) rather than as one object per pair, because a
 * hard history can enter millions of pairs before the step budget runs out.
 */
export class ExploredStates {
  private readonly wordsPerSet: number;
  private bitsPool: Uint32Array;
  private states: Int32Array;
  private hashes: Int32Array;
  /** Entry index + 1 per slot; 0 marks an empty slot. The length is a power of two. */
  private slots: Int32Array;
  private count = 0;

  constructor(setSize: number) {
    this.wordsPerSet = Math.ceil(setSize / 32);
    const initialEntries = 256;
    this.bitsPool = new Uint32Array(initialEntries * this.wordsPerSet);
    this.states = new Int32Array(initialEntries);
    this.hashes = new Int32Array(initialEntries);
    this.slots = new Int32Array(initialEntries * 2);
  }

  /** Records the pair; returns false when it had been recorded before. */
  add(bits: Bitset, state: number): boolean {
    const hash = pairHash(bits.hash, state);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (; this.slots[slot]! !== 0; slot = (slot + 1) & mask) {
      if (this.isEntry(this.slots[slot]! - 1, hash, bits, state)) return false;
    }
    this.append(bits, state, hash);
    this.slots[slot] = this.count;
    if (this.count * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    return true;
  }

  private isEntry(entry: number, hash: number, bits: Bitset, state: number): boolean {
    if (this.hashes[entry]! !== hash || this.states[entry]! !== state) return false;
    const base = entry * this.wordsPerSet;
    for (let w = 0; w < this.wordsPerSet; w++) {
      if (this.bitsPool[base + w]! !== bits.words[w]!) return false;
    }
    return true;
  }

  private append(bits: Bitset, state: number, hash: number): void {
    if (this.count === this.states.length) this.growPool(this.count * 2);
    this.bitsPool.set(bits.words, this.count * this.wordsPerSet);
    this.states[this.count] = state;
    this.hashes[this.count] = hash;
    this.count++;
  }

  private growPool(entries: number): void {
    const bitsPool = new Uint32Array(entries * this.wordsPerSet);
    bitsPool.set(this.bitsPool);
    this.bitsPool = bitsPool;
    const states = new Int32Array(entries);
    states.set(this.states);
    this.states = states;
    const hashes = new Int32Array(entries);
    hashes.set(this.hashes);
    this.hashes = hashes;
  }

  private rehash(slotCount: number): void {
    this.slots = new Int32Array(slotCount);
    const mask = slotCount - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = this.hashes[entry]! & mask;
      while (this.slots[slot]! !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = entry + 1;
    }
  }
}

function pairHash(bitsHash: number, state: number): number {
  return bitsHash ^ Math.imul(state + 1, 0x9e3779b1);
}
