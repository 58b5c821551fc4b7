/**
 * Guided scenarios: each runs its script on a fresh cluster at the chosen speed, narrates what it
 * does, and ends with a verdict. Test hooks: `scenario-<id>` buttons and `scenario-result-<id>`
 * with data-status idle/running/pass/fail.
 */
import type { ScenarioInfo, ScenarioStatus } from '../../engine/protocol';
import { useActions, usePlayground } from '../context';

const groups: { id: ScenarioInfo['group']; title: string }[] = [
  { id: 'checklist', title: 'Checklist A–H' },
  { id: 'paper', title: 'From the Raft paper (guided)' },
  { id: 'persistence', title: 'Crashes and disks' },
  { id: 'lab', title: 'More from the paper and the labs' },
];

export function ScenarioPanel() {
  const scenarios = usePlayground((s) => s.sim?.scenarios);
  if (!scenarios) return null;
  return (
    <div className="scenario-panel">
      <h2>Guided scenarios</h2>
      <CurrentRun />
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

function ScenarioRow({ info }: { info: ScenarioInfo }) {
  const status = usePlayground((s) => s.sim?.scenarioStatus[info.id] ?? 'idle');
  const { runScenario } = useActions();
  return (
    <li className="scenario">
      <button type="button" data-testid={`scenario-${info.id}`} onClick={() => runScenario(info.id)} aria-label={`Run scenario ${info.id}: ${info.title}`} title={info.summary}>
        {/* Checklist ids (A1, P2...) are names people use; the paper's ids are long slugs. */}
        {info.id.length <= 3 ? info.id : 'Run'}
      </button>
      <span className="scenario-title" title={info.summary}>{info.title}</span>
      <span className={`status status-${status}`} data-testid={`scenario-result-${info.id}`} data-status={status}>{statusLabel[status]}</span>
    </li>
  );
}

function CurrentRun() {
  const run = usePlayground((s) => s.sim?.scenarioRun ?? null);
  const info = usePlayground((s) => s.sim?.scenarios.find((x) => x.id === run?.id));
  const status = usePlayground((s) => (run ? s.sim?.scenarioStatus[run.id] : undefined));
  const { stopScenario } = useActions();
  if (!run || !info) return <p className="quiet">Pick a scenario: it starts a fresh cluster and tells you what it does as it goes.</p>;
  return (
    <div className={`current-run status-${status}`} data-testid="scenario-run">
      <h3>{info.id}: {info.title}</h3>
      <p className="summary">{info.summary}</p>
      <ol className="narration">{run.narration.map((n, i) => <li key={i}><time>{(n.at / 1000).toFixed(2)} s</time> {n.text}</li>)}</ol>
      {status === 'running' && <button type="button" onClick={stopScenario}>Stop</button>}
    </div>
  );
}
