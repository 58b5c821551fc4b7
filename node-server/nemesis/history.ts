/**
 * The nemesis history: one JSON object per line, in the order answers arrived, the format
 * core/src/check/history.ts defines (outside checkers can read it):
 *   {"clientId":"c3","op":"put","key":"k2","value":"c3-17","call":1234,"return":5678,"status":"ok"}
 *   {"clientId":"c1","op":"get","key":"k2","output":"c3-17","call":...,"return":...,"status":"ok"}
 *   {"clientId":"c2","op":"delete","key":"k4","call":...,"return":null,"status":"unknown"}
 * `call` and `return` are nanoseconds from one monotonic clock (process.hrtime) on the machine that
 * ran the clients; `return` is null when the answer never came. `output` is the value a get read,
 * or null for "not found". Status: ok (a definite answer), fail (certainly did not take effect),
 * unknown (a write that may or may not have taken effect: timeout, lost connection).
 */
import fs from 'node:fs';
import type { HistoryOp } from '@raft-kv/core/check';

export const nowNs = (): number => Number(process.hrtime.bigint());

export class HistoryRecorder {
  readonly ops: HistoryOp[] = [];

  record(op: HistoryOp): void {
    this.ops.push(op);
  }

  writeJsonLines(file: string): void {
    fs.writeFileSync(file, this.ops.map((op) => JSON.stringify(op)).join('\n') + '\n');
  }

  static readJsonLines(file: string): HistoryOp[] {
    return fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as HistoryOp);
  }
}
