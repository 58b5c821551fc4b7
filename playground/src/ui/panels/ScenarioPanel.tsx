/**
 * Guided scenarios: each runs its script on a fresh cluster at the chosen speed, narrates what it
 * does next to the ring (the page scrolls the ring back into view), and ends with a verdict.
 * Test hooks: `scenario-<id>` buttons and `scenario-result-<id>` with data-status
 * idle/running/pass/fail.
 */
import type { ScenarioInfo, ScenarioStatus } from '../../engine/protocol';
import { useActions, usePlayground } from '../context';

const groups: { id: ScenarioInfo['group']; title: string }[] = [
  { id: 'checklist', title: 'Checklist A–H' },
  { id: 'paper', title: 'From the Raft paper (guided)' },
  { id: 'protocol', title: 'What each protocol rule prevents' },
  { id: 'membership', title: 'Membership changes and leadership transfer' },
  { id: 'persistence', title: 'Crashes and disks' },
  { id: 'lab', title: 'More from the paper and the labs' },
  { id: 'zoo', title: 'The bug zoo: each bug at work, and its rule kept' },
];

export function ScenarioPanel() {
  const scenarios = usePlayground((s) => s.sim?.scenarios);
  if (!scenarios) return null;
  return (
    <div className="scenario-panel">
      <h2>Guided scenarios</h2>
      <p className="quiet">Each starts a fresh cluster and tells you, next to the ring, what it does as it goes. Rules you switched off stay off.</p>
      {groups.map((g) => {
        const list = scenarios.filter((s) => s.group === g.id);
        if (list.length === 0) return null;
        return (
          <details key={g.id} open={g.id === 'checklist' || g.id === 'paper'}>
            <summary>{g.title}</summary>
            <ul className="scenario-list">{list.map((s) => <ScenarioRow key={s.id} info={s} />)}</ul>
          </details>
        );
      })}
    </div>
  );
}

const statusLabel: Record<ScenarioStatus, string> = { idle: '', running: 'running…', pass: '✓ pass', fail: '✗ fail' };

/** Brings the ring and the narration back into view: a scenario is watched there. */
export function showStage(): void {
  const reduced = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
  document.querySelector('.stage')?.scrollIntoView({ block: 'start', behavior: reduced ? 'auto' : 'smooth' });
}

function ScenarioRow({ info }: { info: ScenarioInfo }) {
  const status = usePlayground((s) => s.sim?.scenarioStatus[info.id] ?? 'idle');
  const { runScenario } = useActions();
  return (
    <li className="scenario">
      <button type="button" data-testid={`scenario-${info.id}`} onClick={() => { runScenario(info.id); showStage(); }}
        aria-label={`Run scenario ${info.id}: ${info.title}`} title={info.summary}>
        {/* Checklist ids (A1, P2...) are names people use; the paper's ids are long slugs. */}
        {info.id.length <= 3 ? info.id : 'Run'}
      </button>
      <span className="scenario-title" title={info.summary}>{info.title}</span>
      <span className={`status status-${status}`} data-testid={`scenario-result-${info.id}`} data-status={status}>{statusLabel[status]}</span>
    </li>
  );
}
