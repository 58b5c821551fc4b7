/**
 * A recorded client history of KV operations, in the format the simulator, the nemesis and
 * outside checkers share (one JSON object per line when written to disk).
 *
 * Times are numbers on one monotonic clock (simulated ms in the simulator, ns in the nemesis).
 * Only their order matters to the checker: an operation takes effect at one instant strictly
 * between its call and its return, so A precedes B when A.return <= B.call.
 */
export type HistoryOpKind = 'put' | 'get' | 'delete' | 'cas';

/**
 * - `ok`: the client got a definite answer (for `get`, `output` holds what it read; for `cas`,
 *   `swapped` and `output` what it did).
 * - `fail`: the operation definitely did not take effect (for example 409 not_leader, 400).
 * - `unknown`: the client never learned the outcome (timeout, lost connection). A write with
 *   this status may take effect at any time after its call, or never.
 */
export type HistoryStatus = 'ok' | 'fail' | 'unknown';

export interface HistoryOp {
  clientId: string;
  op: HistoryOpKind;
  key: string;
  /** The value written by `put`, or by `cas` when it swaps. */
  value?: string;
  /** What `cas` required the key to hold (null: absent). */
  expected?: string | null;
  /** What `get` read (null when the key was not found); for an ok `cas`, the key's value after it. */
  output?: string | null;
  /** For an ok `cas`: whether it swapped. */
  swapped?: boolean;
  call: number;
  /** When the answer arrived; null when it never did (status `unknown`). */
  return: number | null;
  status: HistoryStatus;
}
