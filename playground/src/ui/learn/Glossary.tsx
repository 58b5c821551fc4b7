/** The glossary, as a side note: every word the page uses, in a sentence. */
import { glossary } from './glossary';

export function Glossary() {
  return (
    <details className="panel glossary" data-testid="glossary">
      <summary><h2>Glossary</h2></summary>
      <dl>
        {Object.entries(glossary).map(([word, meaning]) => (
          <div key={word} className="gloss"><dt>{word}</dt><dd>{meaning}</dd></div>
        ))}
      </dl>
    </details>
  );
}
