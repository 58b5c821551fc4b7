/** The "?" overlay: every key the page answers to (from keys.ts, the table the handler uses). */
import { useActions, usePlayground } from './context';
import { keyBindings } from './keys';

export function KeyboardHelp() {
  const open = usePlayground((s) => s.ui.helpOpen);
  const live = usePlayground((s) => s.mode === 'live');
  const { toggleHelp } = useActions();
  if (!open) return null;
  return (
    <div className="overlay" role="presentation" onClick={() => toggleHelp(false)}>
      <section className="keyboard-help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" data-testid="keyboard-help" onClick={(e) => e.stopPropagation()}>
        <h2>Keys</h2>
        <p className="quiet">They work wherever the focus is, except while you type in a field (and a drop-down, a checkbox or the speed slider keep their own arrows and space).</p>
        <table>
          <tbody>
            {keyBindings.filter((b) => !(live && b.simOnly)).map((b) => (
              <tr key={b.label}><th scope="row"><kbd>{b.label}</kbd></th><td>{b.does}</td></tr>
            ))}
          </tbody>
        </table>
        <button type="button" onClick={() => toggleHelp(false)} autoFocus>Close</button>
      </section>
    </div>
  );
}
