export * from './driver';
export * from './scenario';
export * from './helpers';
export * from './a-h';
export * from './persistence';
export * from './sim-driver';
import { checklistScenarios } from './a-h';
import { persistenceScenarios } from './persistence';
import type { Scenario } from './scenario';

export const allScenarios: readonly Scenario[] = [...checklistScenarios, ...persistenceScenarios];

export function scenarioById(id: string): Scenario | undefined {
  return allScenarios.find((s) => s.id === id);
}
export * from './sim-scenario';
export * from './sim-helpers';
export * from './paper';
export { figure8Safe, figure8Unsafe } from './figure8';
export * from './membership';
export * from './protocol';
export { bugZooScenarios, bugDemonstrations } from './bug-zoo';
export type { BugScenarios } from './bug-zoo';
