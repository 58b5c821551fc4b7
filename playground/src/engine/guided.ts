/**
 * Guided runs: a scenario's script runs on a fresh cluster over the page's paced world, narrating
 * as it goes, and stops on its verdict (pass or fail) so the final state stays on screen.
 */
import type { ScenarioNote } from './feed';
import { ScenarioAborted } from './pacer';
import type { PacedWorld } from './paced-driver';
import type { ScenarioRun, ScenarioStatus } from './protocol';
import type { GuidedScenario } from './scenarios';
import { guidedScenarios } from './scenarios';

export interface GuidedHost extends PacedWorld {
  /** A fresh feed sequence number (notes and events share the counter). */
  nextSeq(): number;
  /** The run stopped on its verdict: stop playing and show it. */
  finished(): void;
}

export class GuidedRuns {
  readonly status: Record<string, ScenarioStatus> = {};
  current: ScenarioRun | null = null;
  /** Narration lines, for the feed. */
  notes: ScenarioNote[] = [];
  private token = 0;

  constructor() {
    for (const s of guidedScenarios) this.status[s.info.id] = 'idle';
  }

  get running(): boolean {
    return this.current !== null && this.status[this.current.id] === 'running';
  }

  /** Starts `scenario` in the world the host just built for it. */
  start(scenario: GuidedScenario, host: GuidedHost): void {
    const id = scenario.info.id;
    const token = ++this.token;
    this.status[id] = 'running';
    this.current = { id, narration: [], error: null };
    const narrate = (text: string) => {
      if (token !== this.token || !this.current) return;
      const note = { seq: host.nextSeq(), at: host.sim.now, text: `${id}: ${text}` };
      this.notes.push(note);
      this.current = { ...this.current, narration: [...this.current.narration, { at: note.at, text }] };
    };
    scenario.run(host, narrate).then(
      () => this.finish(token, id, 'pass', null, host),
      (error: unknown) => {
        if (error instanceof ScenarioAborted) return;
        this.finish(token, id, 'fail', error instanceof Error ? error.message : String(error), host);
      },
    );
  }

  private finish(token: number, id: string, status: 'pass' | 'fail', error: string | null, host: GuidedHost): void {
    if (token !== this.token) return;
    this.status[id] = status;
    const verdict = status === 'pass' ? 'passed' : `failed: ${error}`;
    this.notes.push({ seq: host.nextSeq(), at: host.sim.now, text: `${id} ${verdict}` });
    this.current = this.current && { ...this.current, error, narration: [...this.current.narration, { at: host.sim.now, text: `Verdict: ${verdict}` }] };
    this.token++;
    host.finished();
  }

  /**
   * Stops the scenario under way (its waits reject) and takes its narration off screen. A finished
   * one's narration stays while the learner travels through its run, unless `forgetFinished`.
   */
  abort(reason: string, pacerAbort: (reason: string) => void, forgetFinished: boolean): void {
    const run = this.current;
    if (!run) return;
    if (this.status[run.id] === 'running') {
      this.status[run.id] = 'idle';
      this.token++;
      pacerAbort(reason);
      this.current = null;
    } else if (forgetFinished) {
      this.current = null;
    }
  }

  /** A fresh run starts: its narration starts empty. */
  clearNotes(): void {
    this.notes = [];
  }
}
