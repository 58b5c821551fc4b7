/**
 * What the guided scenario on screen is doing, next to the ring (so the learner never has to
 * scroll to follow it), and the verdict of a run opened from a link or a scenario file.
 */
import { useEffect, useRef } from 'react';
import { useActions, usePlayground } from '../context';

export function Narration() {
  return (
    <>
      <CurrentRun />
      <LoadedRun />
    </>
  );
}

function CurrentRun() {
  const run = usePlayground((s) => s.sim?.scenarioRun ?? null);
  const info = usePlayground((s) => s.sim?.scenarios.find((x) => x.id === run?.id));
  const status = usePlayground((s) => (run ? s.sim?.scenarioStatus[run.id] : undefined));
  const { stopScenario } = useActions();
  const list = useRef<HTMLOListElement>(null);
  const lines = run?.narration.length ?? 0;
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  if (!run || !info) return null;
  return (
    <div className={`current-run run-${status}`} data-testid="scenario-run" data-scenario={run.id} data-status={status}>
      <h3>{info.id === 'start-here' ? info.title : `${info.id}: ${info.title}`}</h3>
      <ol className="narration" ref={list} aria-live="polite">
        {run.narration.map((n, i) => <li key={i}><time>{(n.at / 1000).toFixed(2)} s</time> {n.text}</li>)}
      </ol>
      {status === 'running' && <button type="button" onClick={stopScenario}>Stop</button>}
    </div>
  );
}

function LoadedRun() {
  const loaded = usePlayground((s) => s.sim?.lab?.loaded ?? null);
  if (!loaded) return null;
  const verdict = loaded.status === 'pass' ? 'every check holds' : loaded.status === 'fail' ? 'a check failed' : 'replayed (nothing to check)';
  return (
    <div className={`current-run run-${loaded.status}`} data-testid="loaded-run" data-status={loaded.status}>
      <h3>{loaded.title ?? 'A shared run'}: {verdict}</h3>
      {loaded.results.length > 0 && (
        <ul className="checks">
          {loaded.results.map((r, i) => (
            <li key={i} className={r.ok ? 'good' : 'bad'}>{r.ok ? '✓' : '✗'} at {(r.expectation.at / 1000).toFixed(3)} s: {describeCheck(r.expectation)} — {r.actual}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

function describeCheck(e: import('../../engine/protocol').Expectation): string {
  switch (e.check) {
    case 'leader': return e.node ? `${e.node} leads` : 'no leader';
    case 'role': return `${e.node} is ${e.role}`;
    case 'term': return `${e.node} is in term ${e.term}`;
    case 'commitIndexAtLeast': return `${e.node} committed at least ${e.index}`;
    case 'value': return `${e.node} has ${e.key}=${e.value ?? '(none)'}`;
    case 'safety': return e.violated.length ? `violated: ${e.violated.join(', ')}` : 'no safety violation';
    case 'stateHash': return `state hash ${e.hash}`;
  }
}
