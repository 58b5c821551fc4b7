/**
 * The bug zoo: one switch per unsafe option of the core, each a classic Raft bug. Switching one on
 * starts a fresh run with the bug (same seed) and offers its demonstration, which shows the bug
 * breaking its rule; with the switch off the same script runs with the rule kept. The commit-rule
 * option is the protocol panel's commit rule under its other name: one setting, two switches.
 * Test hooks: `bug-<name>` checkboxes, `bug-run-<name>` buttons, `bug-result-<name>` with
 * data-status idle/running/pass/fail and data-bug on/off (which of the two runs it was).
 */
import type { ScenarioStatus, ZooEntryView } from '../../engine/protocol';
import { useActions, usePlayground } from '../context';
import { usePendingChoice } from '../usePendingValue';
import { showStage } from '../panels/ScenarioPanel';

export function BugZooPanel() {
  const zoo = usePlayground((s) => s.sim?.lab?.zoo);
  if (!zoo) return null;
  return (
    <section className="panel zoo-panel" aria-label="Bug zoo" data-testid="bug-zoo">
      <h2>Bug zoo</h2>
      <p className="quiet">Classic Raft bugs real systems shipped. Switch one on (a fresh run starts with it), then run its demonstration: the checkers catch it and name the rule it breaks. Off, the same script keeps the rule.</p>
      <ul className="rules">{zoo.map((entry) => <Bug key={entry.name} entry={entry} />)}</ul>
    </section>
  );
}

function resultText(status: ScenarioStatus, bug: boolean): string {
  if (status === 'running') return 'running…';
  if (status === 'fail') return '✗ not as scripted';
  if (status === 'pass') return bug ? '✗ rule broken' : '✓ rule kept';
  return '';
}

function Bug({ entry }: { entry: ZooEntryView }) {
  const { name, rule, effect, bugScenario, ruleScenario } = entry;
  const actual = usePlayground((s) => s.sim?.lab?.bugs.includes(name) ?? false);
  const [on, choose] = usePendingChoice(actual);
  const ran = usePlayground((s) => {
    const id = s.sim?.scenarioRun?.id;
    return id === bugScenario ? 'bug' : id === ruleScenario ? 'rule' : null;
  });
  const status = usePlayground((s) => (ran ? (s.sim?.scenarioStatus[ran === 'bug' ? bugScenario : ruleScenario] ?? 'idle') : 'idle'));
  const a = useActions();
  return (
    <li className={`rule bug${on ? ' bug-on' : ''}`}>
      <label className="check" title={`Breaks: ${rule}`}>
        <input type="checkbox" data-testid={`bug-${name}`} checked={on} onChange={(e) => {
          choose(e.target.checked);
          a.setBug(name, e.target.checked);
        }} />
        <code>{name}</code>
      </label>
      <span className="quiet prevents">{on ? <>breaks: {rule}. <em>{effect}.</em></> : <>rule: {rule}.</>}</span>
      <span className="rule-run">
        <button type="button" data-testid={`bug-run-${name}`} className={on ? 'primary' : ''}
          onClick={() => { a.runBugScenario(name); showStage(); }}
          title={on ? `Run ${bugScenario}: the bug at work` : `Run ${ruleScenario}: the same script with the rule kept`}>
          {on ? 'show it' : 'run'}
        </button>
        <span className={`status status-${status}`} data-testid={`bug-result-${name}`} data-status={status} data-bug={ran === 'bug' ? 'on' : ran === 'rule' ? 'off' : ''}>
          {resultText(status, ran === 'bug')}
        </span>
      </span>
    </li>
  );
}
