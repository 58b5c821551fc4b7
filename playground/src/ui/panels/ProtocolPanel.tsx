/**
 * The protocol's rules, each with a switch and a scenario that shows what it prevents: run it
 * with the rule and it passes; without, it fails. Switching a rule starts a fresh run (same
 * seed) under the new rules. Test hooks: `protocol-<name>` checkboxes, `protocol-with-<name>` and
 * `protocol-without-<name>` buttons, `protocol-result-<name>` with data-status and data-rule.
 */
import type { ProtocolName } from '../../engine/protocol';
import { toggleScenario } from '../../engine/scenario-ids';
import { useActions, usePlayground } from '../context';
import { Term } from '../learn/Term';
import { usePendingChoice } from '../usePendingValue';
import { showStage } from './ScenarioPanel';

export const protocolIds: Record<ProtocolName, string> = {
  preVote: 'pre-vote',
  checkQuorum: 'check-quorum',
  leaderNoop: 'leader-noop',
  fastBacktracking: 'fast-backtracking',
  readIndex: 'read-index',
  commitRule: 'commit-rule',
};

const rules: { name: ProtocolName; label: React.ReactNode; prevents: string }[] = [
  { name: 'preVote', label: <Term word="pre-vote">PreVote</Term>, prevents: 'a node that was cut off raising its term and deposing a healthy leader when it returns' },
  { name: 'checkQuorum', label: <Term word="CheckQuorum" />, prevents: 'a leader cut off in a minority going on believing it leads' },
  { name: 'leaderNoop', label: <>the leader&apos;s <Term word="no-op" /> entry</>, prevents: 'a new leader unable to commit older entries, or to answer reads, until a client writes' },
  { name: 'fastBacktracking', label: 'fast log backtracking', prevents: 'a leader stepping back one entry per round trip to find where a follower\'s log matches' },
  { name: 'readIndex', label: <><Term word="ReadIndex" /> (off: local reads)</>, prevents: 'a deposed leader or a lagging node answering a read with an old value' },
  { name: 'commitRule', label: <>the current-term <Term word="commit" /> rule</>, prevents: 'Figure 8: a leader committing an old-term entry by counting replicas, which a later leader overwrites' },
];

export function ProtocolPanel() {
  return (
    <section className="panel protocol-panel" aria-label="Protocol rules">
      <h2>Protocol rules</h2>
      <p className="quiet">Switch a rule off (a fresh run starts), or run its scenario with and without it.</p>
      <ul className="rules">{rules.map((r) => <Rule key={r.name} {...r} />)}</ul>
    </section>
  );
}

function Rule({ name, label, prevents }: (typeof rules)[number]) {
  const actual = usePlayground((s) => s.sim?.lab?.protocol[name] ?? true);
  const [on, choose] = usePendingChoice(actual);
  const scenario = toggleScenario[name];
  const status = usePlayground((s) => s.sim?.scenarioStatus[scenario] ?? 'idle');
  const ranHere = usePlayground((s) => s.sim?.scenarioRun?.id === scenario);
  const a = useActions();
  const id = protocolIds[name];
  return (
    <li className="rule">
      <label className="check">
        <input type="checkbox" data-testid={`protocol-${id}`} checked={on} onChange={(e) => {
          choose(e.target.checked);
          a.setProtocol(name, e.target.checked);
        }} />
        {label}
      </label>
      <span className="quiet prevents">prevents {prevents}.</span>
      <span className="rule-run">
        <button type="button" data-testid={`protocol-with-${id}`} onClick={() => { a.runToggleScenario(name, true); showStage(); }} title={`Run ${scenario} with this rule`}>with</button>
        <button type="button" data-testid={`protocol-without-${id}`} onClick={() => { a.runToggleScenario(name, false); showStage(); }} title={`Run ${scenario} without this rule`}>without</button>
        <span className={`status status-${ranHere ? status : 'idle'}`} data-testid={`protocol-result-${id}`} data-status={ranHere ? status : 'idle'} data-rule={actual ? 'on' : 'off'}>
          {ranHere ? (status === 'pass' ? '✓ pass' : status === 'fail' ? '✗ fail' : status === 'running' ? 'running…' : '') : ''}
        </span>
      </span>
    </li>
  );
}
