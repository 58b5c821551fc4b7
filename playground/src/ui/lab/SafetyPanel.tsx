/**
 * The safety panel: each property of Figure 3, plus commit monotonicity and apply order, with its
 * own state. Clicking a violation jumps to the step that caused it. Test hooks: `safety-<property>`
 * with data-status ok/violated, `violation-<n>` buttons.
 */
import { usePlayground, useActions } from '../context';

export function SafetyPanel() {
  const safety = usePlayground((s) => s.sim?.lab?.safety);
  const violations = usePlayground((s) => s.sim?.violations);
  const { seekViolation } = useActions();
  if (!safety || !violations) return null;
  return (
    <section className="panel safety-panel" id="safety" aria-label="Safety" data-testid="safety-panel">
      <h2>Safety, checked after every step</h2>
      <ul className="properties">
        {safety.map((p) => {
          const bad = p.violations.length > 0;
          return (
            <li key={p.id} className={bad ? 'bad' : 'good'} data-testid={`safety-${p.id.replace(/_/g, '-')}`} data-status={bad ? 'violated' : 'ok'}>
              <strong>{bad ? '✗' : '✓'} {p.title}</strong> <span className="quiet">{p.rule}</span>
              {bad && (
                <ul className="violations">
                  {p.violations.slice(0, 5).map((i) => {
                    const v = violations[i]!;
                    return (
                      <li key={i}>
                        <button type="button" className="link-button" data-testid={`violation-${i}`} onClick={() => seekViolation(i)}
                          title="Go to the step that caused it">
                          t={(v.at / 1000).toFixed(3)} s at {v.node}
                        </button>: {v.message}
                      </li>
                    );
                  })}
                  {p.violations.length > 5 && <li className="quiet">…and {p.violations.length - 5} more</li>}
                </ul>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
