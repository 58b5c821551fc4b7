/**
 * The safety panel: each property of Figure 3, plus commit monotonicity and apply order, with its
 * own state. Clicking a violation jumps to the step that caused it. A bug-zoo run adds a line that
 * names the rule it broke (or kept). Test hooks: `safety-<property>` with data-status ok/violated,
 * `violation-<n>` buttons, `safety-zoo-rule` with data-status violated/ok/running/error and
 * data-caught-as.
 */
import type { ZooVerdictView } from '../../engine/protocol';
import { usePlayground, useActions } from '../context';

export function SafetyPanel() {
  const safety = usePlayground((s) => s.sim?.lab?.safety);
  const violations = usePlayground((s) => s.sim?.violations);
  const { seekViolation } = useActions();
  if (!safety || !violations) return null;
  return (
    <section className="panel safety-panel" id="safety" aria-label="Safety" data-testid="safety-panel">
      <h2>Safety, checked after every step</h2>
      <ZooVerdict />
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

const zooStatus = (v: ZooVerdictView): string => {
  if (v.status === 'running') return 'running';
  if (v.status === 'fail') return 'error';
  if (v.status === 'pass') return v.variant === 'bug' ? 'violated' : 'ok';
  return 'idle';
};

/** The rule the bug-zoo run on screen broke (and which checker caught it), or kept. */
function ZooVerdict() {
  const v = usePlayground((s) => s.sim?.lab?.zooVerdict ?? null);
  if (!v) return null;
  const status = zooStatus(v);
  const bad = status === 'violated' || status === 'error';
  return (
    <p className={`zoo-verdict ${bad ? 'bad' : status === 'ok' ? 'good' : ''}`} data-testid="safety-zoo-rule" data-status={status} data-bug={v.bug} data-caught-as={v.caughtAs.join(',')}>
      {status === 'violated' && <><strong>✗ Rule broken</strong> by <code>{v.bug}</code>: {v.rule}. <span className="quiet">Caught by {v.caughtAs.map(caughtBy).join(' and ')}.</span></>}
      {status === 'ok' && <><strong>✓ Rule kept</strong> (<code>{v.bug}</code> off): {v.rule}.</>}
      {status === 'running' && <>Running <code>{v.bug}</code> {v.variant === 'bug' ? 'with the bug on' : 'with the rule kept'}…</>}
      {status === 'error' && <><strong>The demonstration did not go as scripted</strong> (<code>{v.bug}</code>): see its verdict next to the ring.</>}
    </p>
  );
}

const caughtBy = (kind: ZooVerdictView['caughtAs'][number]): string =>
  kind === 'safety' ? 'the invariant checker (below)' : kind === 'linearizability' ? 'the linearizability checker (the header\'s history badge)' : 'the run\'s progress check (no stable leader, or nodes that never agree again)';
