/** The live safety verdicts: Raft's invariants after every step, and the client history's linearizability. */
import { usePlayground } from './context';

export function Badges() {
  return (
    <div className="badges">
      <InvariantBadge />
      <LinearizabilityBadge />
    </div>
  );
}

function InvariantBadge() {
  const violations = usePlayground((s) => s.sim?.violations);
  if (!violations) return null;
  const first = violations[0];
  const properties = [...new Set(violations.map((v) => v.property.replace(/_/g, ' ')))];
  return (
    <div className={`badge ${first ? 'bad' : 'good'}`} data-testid="invariants" data-status={first ? 'violated' : 'ok'}
      title="Election safety, log matching, leader completeness, state machine safety, commit never goes back, apply in order: checked after every step.">
      {first ? `✗ Safety violated: ${properties.join(', ')}` : '✓ Safety invariants hold'}
      {first && <span className="badge-detail">first at {first.node}, t={(first.at / 1000).toFixed(3)} s: {first.message}{violations.length > 1 ? ` (${violations.length} violations in all)` : ''}</span>}
    </div>
  );
}

const verdictText = {
  empty: 'No client history yet',
  linearizable: 'Client history is linearizable',
  not_linearizable: 'Client history is NOT linearizable',
  unknown: 'Linearizability: undecided (search budget)',
} as const;

function LinearizabilityBadge() {
  const lin = usePlayground((s) => s.sim?.linearizability);
  if (!lin) return null;
  const tone = lin.verdict === 'not_linearizable' ? 'bad' : lin.verdict === 'linearizable' ? 'good' : 'neutral';
  return (
    <div className={`badge ${tone}`} data-testid="linearizability" data-verdict={lin.verdict}
      title="Every completed client operation is checked: could they have happened one at a time, in an order that respects real time?">
      {lin.verdict === 'linearizable' ? '✓ ' : lin.verdict === 'not_linearizable' ? '✗ ' : ''}{verdictText[lin.verdict]}{lin.ops > 0 ? ` (${lin.ops} ops)` : ''}
      {lin.explanation && <span className="badge-detail">{lin.explanation}</span>}
    </div>
  );
}
