/** Space plays or pauses, the right arrow (or S) steps: unless the learner is typing in a field. */
import { useEffect } from 'react';
import type { Actions } from '../store/actions';

const typingIn = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA', 'BUTTON'].includes(target.tagName));

export function useKeyboard(actions: Actions): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || typingIn(e.target)) return;
      if (e.key === ' ') {
        e.preventDefault();
        actions.togglePlay();
      } else if (e.key === 'ArrowRight' || e.key === 's') {
        actions.step();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [actions]);
}
