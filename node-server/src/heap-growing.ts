/**
 * How far V8 lets a node's heap grow after each full garbage collection (RAFT_HEAP_GROWING_PERCENT).
 *
 * V8 chooses between 1.1 and 4 times what is live, more on a process that allocates fast: at 1M
 * keys a leader (it parses every client's request) held 571 MiB of heap with 379 in use, while its
 * followers stayed within about 50 MiB of what they used (bench:scale). With the factor fixed at
 * 1.2 the leader held 472 with 373 in use, and RSS was 2.41-2.53x the live data instead of
 * 2.57-3.42x. On a small heap the fixed factor costs: full collections come so often that 64
 * clients wrote about 8% less (bench:cluster's load: 6,665-6,882 writes/s against 7,307-7,451). So
 * the factor is fixed only once the heap holds `heapGrowingFromBytes` in use, where memory is what
 * matters.
 *
 * V8 reads the flag at each collection, so setting it in a running process takes effect. The flag
 * given on the command line (`node --heap-growing-percent=N`) wins; 0 leaves the choice to V8.
 */
import v8 from 'node:v8';

const heapGrowingFromBytes = 256 * 1024 * 1024;
const checkEveryMs = 5000;

/** Fixes the factor once the heap is large (checked now, then every few seconds); returns a stop function. */
export function fixHeapGrowingWhenLarge(percent: number): () => void {
  if (percent === 0 || process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return () => undefined;
  const fixIfLarge = (): boolean => {
    if (v8.getHeapStatistics().used_heap_size < heapGrowingFromBytes) return false;
    v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
    return true;
  };
  if (fixIfLarge()) return () => undefined;
  const timer = setInterval(() => {
    if (fixIfLarge()) clearInterval(timer);
  }, checkEveryMs);
  timer.unref();
  return () => clearInterval(timer);
}
