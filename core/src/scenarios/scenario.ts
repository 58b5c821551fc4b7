/** The shape of a scenario: data (id, title, narration, cluster needs) plus a small script. */
import type { ClusterDriver, ClusterOptions } from './driver';

export type World = 'sim' | 'browser' | 'process';

export interface ScenarioContext {
  d: ClusterDriver;
  /** Tells the learner (or the test log) what is about to happen and why. */
  narrate(text: string): void;
}

export interface Scenario {
  id: string;
  title: string;
  /** What the scenario shows, in a sentence or two. */
  summary: string;
  cluster: ClusterOptions;
  /** Where it is meant to run. */
  worlds: readonly World[];
  /** Resolves on pass; throws ScenarioFailure (or any error) on fail. */
  run(ctx: ScenarioContext): Promise<void>;
}

export const everywhere: readonly World[] = ['sim', 'browser', 'process'];
