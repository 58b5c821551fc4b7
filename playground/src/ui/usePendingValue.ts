/**
 * For inputs whose value round-trips through the engine (time, speed, loss rate): show what the
 * user chose until the engine's snapshot agrees, instead of snapping back to the old value while
 * the command is on its way. (A controlled slider that snaps back would also fire its final
 * change event with the stale value.)
 */
import { useEffect, useState } from 'react';

/** How long to trust the user's value without the engine agreeing (a refused value is dropped). */
const trustMs = 1000;

export function usePendingValue(actual: number, epsilon = 1e-6): [number, (value: number) => void] {
  const [pending, setPending] = useState<{ value: number; at: number } | null>(null);
  useEffect(() => {
    if (!pending) return;
    if (Math.abs(actual - pending.value) <= epsilon) return setPending(null);
    const left = trustMs - (performance.now() - pending.at);
    const timer = setTimeout(() => setPending(null), Math.max(0, left));
    return () => clearTimeout(timer);
  }, [actual, pending, epsilon]);
  return [pending ? pending.value : actual, (value) => setPending({ value, at: performance.now() })];
}
