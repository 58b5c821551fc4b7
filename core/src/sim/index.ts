export * from './simulation';
export * from './config';
export type { InFlightMessage, DropReason } from './network';
export type { Violation } from './invariants';
export { InvariantChecker } from './invariants';
export { cloneState } from './clone';
export * from './workload';
export * from './fuzz';
