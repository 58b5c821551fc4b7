/**
 * The verdicts at a glance: the safety properties (the simulator checks them after every step;
 * the safety panel has each one) and the client history's linearizability. On a real cluster the
 * page sees statuses only, so it shows what those can tell: how many nodes are up, and whether
 * every node applies each index once, in order.
 */
import { useShallow } from 'zustand/shallow';
import { selectIsLive } from '../store/selectors';
import { usePlayground } from './context';

export function Badges() {
  const live = usePlayground(selectIsLive);
  if (live) {
    return (
      <div className="badges">
        <LiveUpBadge />
        <ApplyOrderBadge />
      </div>
    );
  }
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
    <a href="#safety" className={`badge ${first ? 'bad' : 'good'}`} data-testid="invariants" data-status={first ? 'violated' : 'ok'}
      title="Election safety, log matching, leader completeness, state machine safety, commit monotonicity, apply order: checked after every step. The safety panel has each one.">
      {first ? `✗ Safety violated: ${properties.join(', ')}` : '✓ Safety holds'}
      {first && <span className="badge-detail">first at {first.node}, t={(first.at / 1000).toFixed(3)} s: {first.message}{violations.length > 1 ? ` (${violations.length} violations in all)` : ''}</span>}
    </a>
  );
}

const verdictText = {
  empty: 'No client history yet',
  linearizable: 'Linearizable',
  not_linearizable: 'NOT linearizable',
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

function LiveUpBadge() {
  const { up, all } = usePlayground(useShallow((s) => ({ up: s.sim?.nodes.filter((n) => n.up).length ?? 0, all: s.sim?.nodes.length ?? 0 })));
  const supervisor = usePlayground((s) => s.sim?.live?.supervisor ?? 'connecting');
  const tone = supervisor !== 'ok' ? 'bad' : up === all ? 'good' : up * 2 > all ? 'neutral' : 'bad';
  return (
    <div className={`badge ${tone}`} data-testid="live-nodes-up" data-up={up} data-total={all} data-supervisor={supervisor}
      title="Nodes whose process runs and whose status stream the page hears. A majority is needed to elect a leader and commit.">
      {supervisor === 'unreachable' ? '✗ Supervisor unreachable' : `${up} of ${all} nodes up${all > 0 && up * 2 <= all ? ': no majority' : ''}`}
    </div>
  );
}

function ApplyOrderBadge() {
  const broken = usePlayground(useShallow((s) => (s.sim?.nodes ?? []).filter((n) => !n.applyLog.increasing).map((n) => n.id)));
  return (
    <div className={`badge ${broken.length ? 'bad' : 'good'}`} data-testid="apply-order" data-status={broken.length ? 'violated' : 'ok'}
      title="Each process prints [apply] index=N once per applied entry; the indexes must strictly increase. (The simulator also checks Raft's invariants and linearizability; a real cluster shows only its statuses.)">
      {broken.length ? `✗ Applied out of order on ${broken.join(', ')}` : '✓ Every node applies each index once, in order'}
    </div>
  );
}
