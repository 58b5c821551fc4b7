/**
 * For inputs whose value round-trips through the engine (time, speed, loss rate): show what the
 * user chose until the engine's snapshot agrees, instead of snapping back to the old value while
 * the command is on its way. (A controlled slider that snaps back would also fire its final
 * change event with the stale value.)
 */
import { useCallback, useEffect, useState } from 'react';

/** How long to trust the user's value without the engine agreeing (a refused value is dropped). */
const trustMs = 1000;

export function usePendingValue(actual: number, epsilon = 1e-6): [number, (value: number) => void] {
  return usePending(actual, useCallback((a: number, b: number) => Math.abs(a - b) <= epsilon, [epsilon]));
}

/** The same for a checkbox: it shows the click at once, as an uncontrolled one would. */
export function usePendingChoice(actual: boolean): [boolean, (value: boolean) => void] {
  return usePending(actual, sameChoice);
}

const sameChoice = (a: boolean, b: boolean): boolean => a === b;

function usePending<T>(actual: T, same: (a: T, b: T) => boolean): [T, (value: T) => void] {
  const [pending, setPending] = useState<{ value: T; at: number } | null>(null);
  useEffect(() => {
    if (!pending) return;
    if (same(actual, pending.value)) return setPending(null);
    const left = trustMs - (performance.now() - pending.at);
    const timer = setTimeout(() => setPending(null), Math.max(0, left));
    return () => clearTimeout(timer);
  }, [actual, pending, same]);
  return [pending ? pending.value : actual, (value) => setPending({ value, at: performance.now() })];
}
