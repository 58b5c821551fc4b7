/** The pinned first step for a newcomer: the first election, slowly, with every step explained. */
import { useActions, usePlayground } from '../context';
import { Term } from './Term';

export function StartHere() {
  const status = usePlayground((s) => s.sim?.scenarioStatus['start-here'] ?? 'idle');
  const { runScenario } = useActions();
  return (
    <div className="start-here" data-testid="start-here-card">
      <button type="button" className="primary" data-testid="start-here" onClick={() => runScenario('start-here')} title="Start here (B)">
        {status === 'running' ? 'Watching…' : status === 'idle' ? '▶ Start here' : '▶ Again'}
      </button>
      {status === 'idle' ? (
        <p>
          Five servers agree on one log. One is the <Term word="leader" />; the others are <Term word="follower">followers</Term>.
          Each <Term word="term" /> has at most one leader; a follower that hears nothing becomes a <Term word="candidate" />.
          An entry is <Term word="commit">committed</Term> once a <Term word="majority" /> stores it.
        </p>
      ) : (
        <p>The first election, narrated below. Then try it yourself: kill the leader, step with ← and →, press ? for every key.</p>
      )}
    </div>
  );
}
