/** Challenges: goals the engine checks in your own runs (not in guided ones); each turns green when achieved. */
import { usePlayground } from '../context';

export function Challenges() {
  const challenges = usePlayground((s) => s.sim?.lab?.challenges);
  if (!challenges) return null;
  return (
    <section className="panel challenges" aria-label="Challenges" data-testid="challenges">
      <h2>Challenges</h2>
      <ul>
        {challenges.map((c) => (
          <li key={c.id} className={c.achieved ? 'good' : ''} data-testid={`challenge-${c.id}`} data-status={c.achieved ? 'achieved' : 'open'}>
            <strong>{c.achieved ? '✓' : '○'} {c.title}</strong>
            <span className="quiet">{c.achieved ? c.how : c.hint}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
