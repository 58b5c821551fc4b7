/** A word from the glossary, underlined: hover or focus it for its meaning. */
import type { ReactNode } from 'react';
import type { GlossaryWord } from './glossary';
import { glossary } from './glossary';

export function Term({ word, children }: { word: GlossaryWord; children?: ReactNode }) {
  return (
    <span className="term" tabIndex={0} title={glossary[word]} data-term-word={word}>
      {children ?? word}
    </span>
  );
}
