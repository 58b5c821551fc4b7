/**
 * The keyboard shortcuts (keys.ts) work wherever focus is, except where typing needs the key: in
 * a text field every key types, and a drop-down, a checkbox or the speed slider keep the keys they
 * use themselves (arrows, space). A focused button does not also "click" on Space.
 */
import { useEffect } from 'react';
import type { Actions } from '../store/actions';
import type { PlaygroundStore } from '../store/store';
import { patchUi } from '../store/store';
import { keyBindings } from './keys';

const textTypes = new Set(['text', 'search', 'email', 'url', 'password', 'number', 'tel']);

/** Whether the focused element needs this key for itself. */
export function keyBelongsToField(target: EventTarget | null, key: string): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.tagName === 'TEXTAREA') return true;
  if (target.tagName === 'INPUT') {
    const input = target as HTMLInputElement;
    if (textTypes.has(input.type)) return true;
    if (input.dataset.testid === 'time-scrubber') return false;
    if (input.type === 'range') return key.startsWith('Arrow') || key === 'Home' || key === 'End' || key === 'PageUp' || key === 'PageDown';
    if (input.type === 'checkbox') return key === ' ';
  }
  if (target.tagName === 'SELECT') return key.startsWith('Arrow') || key === ' ' || key === 'Home' || key === 'End' || key.length === 1;
  return false;
}

export function useKeyboard(store: PlaygroundStore, actions: Actions, copyLink: () => void): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || keyBelongsToField(e.target, e.key)) return;
      const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
      const binding = keyBindings.find((b) => b.keys.includes(key) || b.keys.includes(e.key));
      if (!binding) return;
      const state = store.getState();
      if (binding.simOnly && state.mode === 'live') return;
      e.preventDefault();
      if (/^[1-7]$/.test(key)) {
        const id = `n${key}`;
        if (state.sim?.nodes.some((n) => n.id === id)) actions.selectNode(state.ui.selectedNode === id ? null : id);
        return;
      }
      if (key === 'Escape') {
        if (state.ui.inspected) actions.inspectMessage(null);
        patchUi(store, { helpOpen: false, selectedLink: null, notice: null });
        return;
      }
      if (key === 'l') return copyLink();
      binding.run(actions, state);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [store, actions, copyLink]);
}
