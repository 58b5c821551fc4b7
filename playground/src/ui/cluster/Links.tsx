/** The links between every pair of nodes. A cut link is red and dashed; a one-way cut shows its blocked direction. */
import { linkPairs, linkState } from '../../store/selectors';
import type { LinkState, Point } from '../../store/selectors';
import { onActivateKey } from '../activate';
import { useActions, usePlayground } from '../context';
import { nodeRadius } from './geometry';

interface Props {
  ids: string[];
  layout: Record<string, Point>;
}

export function Links({ ids, layout }: Props) {
  const cutLinks = usePlayground((s) => s.sim?.cutLinks);
  const selected = usePlayground((s) => s.ui.selectedLink);
  if (!cutLinks) return null;
  return (
    <g className="links">
      {linkPairs(ids).map(([a, b]) => (
        <Link key={`${a}-${b}`} a={a} b={b} from={layout[a]!} to={layout[b]!} state={linkState(cutLinks, a, b)}
          selected={selected !== null && selected[0] === a && selected[1] === b} />
      ))}
    </g>
  );
}

interface LinkProps {
  a: string;
  b: string;
  from: Point;
  to: Point;
  state: LinkState;
  selected: boolean;
}

function Link({ a, b, from, to, state, selected }: LinkProps) {
  const { selectLink } = useActions();
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const len = Math.hypot(dx, dy);
  const ux = dx / len;
  const uy = dy / len;
  const p1 = { x: from.x + ux * nodeRadius, y: from.y + uy * nodeRadius };
  const p2 = { x: to.x - ux * nodeRadius, y: to.y - uy * nodeRadius };
  const mid = { x: (p1.x + p2.x) / 2, y: (p1.y + p2.y) / 2 };
  const label = state === 'up' ? `link ${a}–${b}: up` : state === 'cut' ? `link ${a}–${b}: cut both ways` : state === 'forward-cut' ? `link ${a}→${b} cut (one way)` : `link ${b}→${a} cut (one way)`;
  // The blocked direction, drawn as a red arrow through the middle of the link.
  const arrow = state === 'forward-cut' ? [mid, ux, uy] as const : state === 'backward-cut' ? [mid, -ux, -uy] as const : null;
  return (
    <g className={`link link-${state}${selected ? ' selected' : ''}`} data-testid={`link-${a}-${b}`} data-state={state}
      onClick={() => selectLink(selected ? null : [a, b])} onKeyDown={onActivateKey(() => selectLink(selected ? null : [a, b]))} tabIndex={0} role="button" aria-label={`${label}. Click to cut or heal.`}>
      <title>{label} — click to cut or heal</title>
      <line className="link-hit" x1={p1.x} y1={p1.y} x2={p2.x} y2={p2.y} />
      <line className="link-line" x1={p1.x} y1={p1.y} x2={p2.x} y2={p2.y} />
      {state === 'cut' && <CutMark at={mid} />}
      {arrow && (
        <line className="link-oneway" x1={arrow[0].x - arrow[1] * 14} y1={arrow[0].y - arrow[2] * 14} x2={arrow[0].x + arrow[1] * 14} y2={arrow[0].y + arrow[2] * 14} markerEnd="url(#cut-arrow)" />
      )}
    </g>
  );
}

function CutMark({ at }: { at: Point }) {
  return (
    <g className="cut-mark" transform={`translate(${at.x} ${at.y})`}>
      <circle r="9" />
      <path d="M -4 -4 L 4 4 M 4 -4 L -4 4" />
    </g>
  );
}
