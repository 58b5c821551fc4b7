/**
 * The pseudocode view: for the feed line or message selected, the rules of Figure 2 (and the
 * core's extensions) that the core applied, in order, each with the values it compared and what
 * it did, stepped through line by line. Everything shown comes from the core's decision trace.
 */
import type { PseudocodeLine, PseudocodeView } from '../../engine/protocol';
import { useActions, usePlayground } from '../context';

export function Pseudocode() {
  const view = usePlayground((s) => s.sim?.lab?.pseudocode ?? null);
  if (!view) return null;
  return <Steps view={view} />;
}

/** The current line lives in the store (ui.pseudocodeLine), so the [ and ] keys step it too; a new selection starts at 0. */
function Steps({ view }: { view: PseudocodeView }) {
  const cursor = usePlayground((s) => s.ui.pseudocodeLine);
  const { explain, stepPseudocode } = useActions();
  const total = view.sections.reduce((n, s) => n + s.lines.length, 0);
  const at = Math.min(cursor, Math.max(0, total - 1));
  let index = 0;
  return (
    <section className="panel pseudocode" aria-label="Pseudocode" data-testid="pseudocode" data-target={view.target.kind} data-lines={total} data-cursor={at}>
      <div className="pseudocode-head">
        <h2>Rules that ran</h2>
        <button type="button" className="quiet" onClick={() => explain(null)} title="Close the pseudocode view">Close</button>
      </div>
      <p className="pseudocode-title">{view.title}</p>
      {view.sections.map((section) => (
        <div key={`${section.role}-${section.at}`} className="pseudocode-section" data-role={section.role}>
          <h3>{section.title} <span className="quiet">at {(section.at / 1000).toFixed(3)} s</span></h3>
          {section.lines.length === 0 && <p className="quiet pseudocode-note">No rule was tested for this input (it only sent what an earlier decision had queued).</p>}
          <ol className="pseudocode-lines">
            {section.lines.map((line) => {
              const i = index++;
              return <Line key={i} line={line} state={i < at ? 'done' : i === at ? 'current' : 'ahead'} />;
            })}
          </ol>
        </div>
      ))}
      {view.note && <p className="quiet pseudocode-note" data-testid="pseudocode-note">{view.note}</p>}
      {total > 0 && (
        <div className="row pseudocode-steps">
          <button type="button" data-testid="pseudocode-prev" disabled={at === 0} onClick={() => stepPseudocode(-1)} title="The line before ([)">◀ Prev</button>
          <span className="quiet" data-testid="pseudocode-position">line {at + 1} of {total}</span>
          <button type="button" data-testid="pseudocode-next" disabled={at >= total - 1} onClick={() => stepPseudocode(1)} title="The next line (])">Next ▶</button>
        </div>
      )}
    </section>
  );
}

/** One rule: its id and wording always; the values and the outcome once the cursor reached it. */
function Line({ line, state }: { line: PseudocodeLine; state: 'done' | 'current' | 'ahead' }) {
  return (
    <li
      className={`pseudocode-line ${state} ${line.holds ? 'holds' : 'fails'}`}
      data-testid="pseudocode-line"
      data-rule={line.rule}
      data-result={line.result}
      data-holds={String(line.holds)}
      data-state={state}
      aria-current={state === 'current' ? 'step' : undefined}
    >
      <span className="rule-id">{line.rule}</span>
      <span className="rule-text">{line.text}</span>
      {state === 'ahead'
        ? <span className="rule-eval quiet">…</span>
        : <span className="rule-eval"><code>{line.condition}</code>{line.holds ? '' : ' is false'} → <strong>{line.result}</strong></span>}
    </li>
  );
}
