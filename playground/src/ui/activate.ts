/** Keyboard activation for SVG elements that act as buttons (Enter or Space, as a <button> does). */
import type { KeyboardEvent } from 'react';

export function onActivateKey(fn: () => void) {
  return (e: KeyboardEvent) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    e.stopPropagation();
    fn();
  };
}
