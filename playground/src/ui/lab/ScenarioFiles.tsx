/**
 * Scenarios as data: export the run on screen as a JSON file (its setup, its actions with their
 * simulated times, and what holds now), import one, or copy a link that opens it. An opened file
 * replays to its end and shows whether every check held.
 */
import { useRef } from 'react';
import { scenarioQuery } from '../../store/url';
import { useActions, usePlayground } from '../context';

export function ScenarioFiles() {
  const hasRun = usePlayground((s) => s.sim?.lab !== undefined);
  const a = useActions();
  const input = useRef<HTMLInputElement>(null);
  if (!hasRun) return null;
  const file = () => a.exportScenario(`Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`);
  const download = () => {
    const scenario = file();
    if (!scenario) return;
    const url = URL.createObjectURL(new Blob([`${JSON.stringify(scenario, null, 2)}\n`], { type: 'application/json' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `raft-scenario-seed${scenario.setup.seed}-t${Math.round(scenario.at ?? 0)}.json`;
    link.click();
    URL.revokeObjectURL(url);
  };
  const copyLink = async () => {
    const scenario = file();
    if (!scenario) return;
    const link = `${window.location.origin}${window.location.pathname}${scenarioQuery(scenario)}`;
    try {
      await navigator.clipboard.writeText(link);
      a.notify(`Scenario link copied: it opens this run and checks it. ${link}`);
    } catch {
      a.notify(`Scenario link: ${link}`);
    }
  };
  const open = async (files: FileList | null) => {
    const f = files?.[0];
    if (f) a.importScenario(await f.text());
    if (input.current) input.current.value = '';
  };
  return (
    <section className="panel scenario-files" aria-label="Scenario files">
      <h2>Scenario files</h2>
      <p className="quiet">A run as data: its seed and settings, your actions with their simulated times, and what holds at the end. The same file gets the same verdict here and in the tests.</p>
      <div className="row">
        <button type="button" data-testid="export-scenario" onClick={download}>Export this run</button>
        <button type="button" data-testid="scenario-link" onClick={() => void copyLink()}>Copy scenario link</button>
        <label className="file-button">
          Import…
          <input ref={input} type="file" accept="application/json,.json" data-testid="import-scenario" onChange={(e) => void open(e.target.files)} />
        </label>
      </div>
    </section>
  );
}
