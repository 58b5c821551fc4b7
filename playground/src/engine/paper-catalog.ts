/**
 * The simulator-only scenarios of the Raft paper and the classic lab tests, from core
 * (core/src/scenarios/paper.ts): the guided runs in core's teaching order first, then the rest
 * (the membership scenarios, which core lists among them, have their own group on the page).
 */
import type { SimScenario } from '@raft-kv/core/scenarios';
import { guidedScenarios, membershipScenarios, paperScenarios } from '@raft-kv/core/scenarios';

export const guidedPaperScenarios: readonly SimScenario[] = guidedScenarios;
export const morePaperScenarios: readonly SimScenario[] = paperScenarios.filter((s) => !guidedScenarios.includes(s) && !membershipScenarios.includes(s));
