/**
 * The simulated time to draw moving messages at. Snapshots arrive a few dozen times a second;
 * between two of them, while playing, the clock is extrapolated at the current speed on every
 * animation frame, so messages glide instead of jumping. Only the message layer uses this: the
 * rest of the page redraws when a snapshot arrives.
 */
import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/shallow';
import { usePlayground } from './context';

/** Never run ahead of the last snapshot by more than this much real time (a late snapshot must not let messages overshoot). */
const leadMaxMs = 120;

/** `animate` false: the snapshot's own time, no extrapolation (reduced motion). */
export function useSmoothNow(animate = true): number {
  const clock = usePlayground(useShallow((s) => ({ now: s.sim?.clock.now ?? 0, speed: s.sim?.clock.speed ?? 1, playing: s.sim?.clock.playing ?? false })));
  const base = useRef({ now: clock.now, at: 0 });
  const [now, setNow] = useState(clock.now);

  useEffect(() => {
    base.current = { now: clock.now, at: performance.now() };
    setNow(clock.now);
  }, [clock.now]);

  useEffect(() => {
    if (!clock.playing || !animate) return;
    let id = requestAnimationFrame(function tick() {
      const b = base.current;
      setNow(b.now + Math.min(leadMaxMs, performance.now() - b.at) * clock.speed);
      id = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(id);
  }, [clock.playing, clock.speed, animate]);

  // Without animation, the snapshot's own time, in the same render as the snapshot: the state
  // above catches up one effect later, after a frame may have been painted with new messages at
  // the old time (a jump within one snapshot, which reduced motion promises never to show).
  return animate ? now : clock.now;
}
