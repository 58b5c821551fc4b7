/**
 * The simulator's agenda: a binary min-heap ordered by time, then by insertion order, so events
 * at the same instant run in the order they were scheduled (which keeps runs deterministic).
 */
export interface Scheduled<T> {
  at: number;
  seq: number;
  item: T;
}

export class EventQueue<T> {
  private heap: Scheduled<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const node = { at, seq: this.nextSeq++, item };
    const heap = this.heap;
    heap.push(node);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(node, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = node;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.at;
  }

  pop(): Scheduled<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    const n = heap.length;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }

  /** Removes every scheduled item for which `keep` is false (used rarely: crash, drop). */
  filter(keep: (item: T) => boolean): void {
    const kept = this.heap.filter((node) => keep(node.item));
    this.heap = [];
    for (const node of kept.sort((a, b) => (before(a, b) ? -1 : 1))) this.heap.push(node);
  }
}

const before = (a: Scheduled<unknown>, b: Scheduled<unknown>): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);
