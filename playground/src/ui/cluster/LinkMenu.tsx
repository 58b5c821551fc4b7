/** The menu of a clicked link: cut it both ways or one way, or heal it. */
import type { Point } from '../../store/selectors';
import { linkState } from '../../store/selectors';
import { useActions, usePlayground } from '../context';
import { ringSize } from './geometry';

export function LinkMenu({ layout }: { layout: Record<string, Point> }) {
  const link = usePlayground((s) => s.ui.selectedLink);
  const cutLinks = usePlayground((s) => s.sim?.cutLinks ?? []);
  const a = useActions();
  if (!link) return null;
  const [x, y] = link;
  const p = layout[x];
  const q = layout[y];
  if (!p || !q) return null;
  const state = linkState(cutLinks, x, y);
  const left = `${(((p.x + q.x) / 2) / ringSize) * 100}%`;
  const top = `${(((p.y + q.y) / 2) / ringSize) * 100}%`;
  const done = (fn: () => void) => () => {
    fn();
    a.selectLink(null);
  };
  return (
    <div className="link-menu" style={{ left, top }} role="dialog" aria-label={`Link ${x}–${y}`} data-testid="link-menu">
      <p>Link {x} – {y}: <strong>{state === 'up' ? 'up' : state === 'cut' ? 'cut' : 'cut one way'}</strong></p>
      <button type="button" data-testid="link-cut-both" onClick={done(() => a.cut(x, y, true))}>Cut both ways</button>
      <button type="button" data-testid="link-cut-forward" onClick={done(() => a.cut(x, y, false))}>Cut {x} → {y} only</button>
      <button type="button" data-testid="link-cut-backward" onClick={done(() => a.cut(y, x, false))}>Cut {y} → {x} only</button>
      <button type="button" data-testid="link-heal" disabled={state === 'up'} onClick={done(() => a.heal(x, y, true))}>Heal</button>
      <button type="button" className="quiet" onClick={() => a.selectLink(null)} aria-label="Close link menu">✕</button>
    </div>
  );
}
