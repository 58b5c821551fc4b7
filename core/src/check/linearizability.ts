/**
 * Linearizability checker for KV histories: Wing & Gong's search with Lowe's memoization, laid
 * out as in porcupine (github.com/anishathalye/porcupine, checker.go), but iterative and over
 * typed arrays.
 *
 * The store is a map of independent registers, and linearizability is compositional, so each key
 * is checked on its own (a much smaller search than the whole history). A register is read (get),
 * written (put, delete) or compared-and-swapped (cas: it must swap exactly when the register holds
 * `expected`, and say what the register holds after). Writers use unique values, so a write
 * applied twice shows as a read of a value that should be gone.
 */
import type { HistoryOp } from './history';
import { Bitset, ExploredStates } from './bitset';

export interface LinearizabilityResult {
  verdict: 'linearizable' | 'not_linearizable' | 'unknown';
  keysChecked: number;
  /** For not_linearizable: the first failing key, an explanation naming the longest prefix that
   *  could be linearized and the op that could not be placed, and the checked ops of that key. */
  failure?: { key: string; explanation: string; ops: HistoryOp[] };
  /** Keys whose search exceeded the budget. */
  unknownKeys: string[];
}

export interface LinearizabilityOptions {
  /** Search steps (one per call or return entry visited) allowed per key before giving up. */
  stepBudgetPerKey?: number;
}

export const defaultStepBudgetPerKey = 5_000_000;

/**
 * Checks keys in order of first appearance and stops at the first one that is not
 * linearizable: one counterexample is what a caller acts on.
 */
export function checkLinearizability(
  history: readonly HistoryOp[],
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const stepBudget = options.stepBudgetPerKey ?? defaultStepBudgetPerKey;
  if (!Number.isInteger(stepBudget) || stepBudget <= 0) {
    throw new Error(`stepBudgetPerKey must be a positive integer, got ${stepBudget}`);
  }
  history.forEach(validateOp);
  const unknownKeys: string[] = [];
  let keysChecked = 0;
  for (const [key, ops] of partitionByKey(history)) {
    keysChecked++;
    const outcome = new LinearizationSearch(ops).run(stepBudget);
    if (outcome.kind === 'not_linearizable') {
      const failure = { key, explanation: explainFailure(key, ops, outcome), ops };
      return { verdict: 'not_linearizable', keysChecked, failure, unknownKeys };
    }
    if (outcome.kind === 'budget_exceeded') unknownKeys.push(key);
  }
  return { verdict: unknownKeys.length > 0 ? 'unknown' : 'linearizable', keysChecked, unknownKeys };
}

const opKinds: ReadonlySet<string> = new Set(['put', 'get', 'delete', 'cas']);
const statuses: ReadonlySet<string> = new Set(['ok', 'fail', 'unknown']);

function validateOp(op: HistoryOp, index: number): void {
  const fail = (why: string): never => {
    throw new Error(`history[${index}] (${JSON.stringify(op)}): ${why}`);
  };
  if (!opKinds.has(op.op)) fail(`unknown op kind ${JSON.stringify(op.op)}`);
  if (!statuses.has(op.status)) fail(`unknown status ${JSON.stringify(op.status)}`);
  if (typeof op.key !== 'string') fail('key is not a string');
  if (!Number.isFinite(op.call)) fail('call time is not a finite number');
  if (op.op === 'put' && typeof op.value !== 'string') fail('put without a string value');
  if (op.op === 'cas' && (typeof op.value !== 'string' || !(op.expected === null || typeof op.expected === 'string'))) {
    fail('cas without a string value and an expected string or null');
  }
  if (op.status !== 'ok') return;
  if (op.return === null) fail('ok op without a return time');
  else if (!Number.isFinite(op.return)) fail('return time is not a finite number');
  else if (op.return < op.call) fail(`ok op returns (${op.return}) before its call (${op.call})`);
  if (op.op === 'get' && op.output !== null && typeof op.output !== 'string') {
    fail('ok get without an output (null means not found)');
  }
  if (op.op === 'cas' && (typeof op.swapped !== 'boolean' || !(op.output === null || typeof op.output === 'string'))) {
    fail('ok cas without swapped and an output (the value after it, null when absent)');
  }
}

/**
 * Groups the ops that carry information by key, each group sorted by call time. A failed op did
 * not take effect, and a get without an answer read nothing, so both are dropped.
 */
function partitionByKey(history: readonly HistoryOp[]): Map<string, HistoryOp[]> {
  const byKey = new Map<string, HistoryOp[]>();
  for (const op of history) {
    if (op.status === 'fail' || (op.op === 'get' && op.status !== 'ok')) continue;
    const ops = byKey.get(op.key);
    if (ops === undefined) byKey.set(op.key, [op]);
    else ops.push(op);
  }
  for (const ops of byKey.values()) ops.sort((a, b) => a.call - b.call);
  return byKey;
}

/** Register states are interned values: 0 is absent, 1.. are the distinct strings of the key. */
const ABSENT = 0;
const ILLEGAL = -2;

/** What an op does to the register. */
const GET = 0;
const WRITE = 1;
const CAS = 2;
/** A cas's answer: it swapped, it did not, or the client never learned (status unknown). */
const CAS_SWAPPED = 1;
const CAS_KEPT = 0;
const CAS_UNKNOWN = -1;

/** One key's ops as the search sees them; typed-array reads use `!` as explained in bitset.ts. */
interface RegisterOps {
  kinds: Uint8Array;
  /** The state a put, delete or swapping cas writes. */
  writes: Int32Array;
  /** The state a get must observe, or an ok cas must answer as the value after it. */
  reads: Int32Array;
  /** The state a cas compares with. */
  expected: Int32Array;
  casOutcomes: Int8Array;
}

function toRegisterOps(ops: readonly HistoryOp[]): RegisterOps {
  const valueIds = new Map<string, number>();
  const idOf = (value: string | null | undefined): number => {
    if (value === null || value === undefined) return ABSENT;
    let id = valueIds.get(value);
    if (id === undefined) valueIds.set(value, (id = valueIds.size + 1));
    return id;
  };
  const n = ops.length;
  const model: RegisterOps = { kinds: new Uint8Array(n), writes: new Int32Array(n), reads: new Int32Array(n), expected: new Int32Array(n), casOutcomes: new Int8Array(n) };
  ops.forEach((op, i) => {
    model.kinds[i] = op.op === 'get' ? GET : op.op === 'cas' ? CAS : WRITE;
    model.writes[i] = op.op === 'delete' ? ABSENT : idOf(op.value);
    model.reads[i] = idOf(op.output);
    model.expected[i] = idOf(op.expected);
    model.casOutcomes[i] = op.status !== 'ok' ? CAS_UNKNOWN : op.swapped ? CAS_SWAPPED : CAS_KEPT;
  });
  return model;
}

/** The register model's step: the next state, or ILLEGAL when the op's answer contradicts `state`. */
function stepRegister(ops: RegisterOps, state: number, op: number): number {
  const kind = ops.kinds[op]!;
  if (kind === WRITE) return ops.writes[op]!;
  if (kind === GET) return ops.reads[op]! === state ? state : ILLEGAL;
  const matches = state === ops.expected[op]!;
  const outcome = ops.casOutcomes[op]!;
  if (outcome === CAS_UNKNOWN) return matches ? ops.writes[op]! : state;
  const after = matches ? ops.writes[op]! : state;
  return (outcome === CAS_SWAPPED) === matches && ops.reads[op]! === after ? after : ILLEGAL;
}

/**
 * Call and return entries in time order, as a doubly linked list over node ids: node 0 is the
 * head sentinel, op i's call is node 2i+1 and its return node 2i+2, and -1 ends the list.
 */
class EntryList {
  readonly next: Int32Array;
  private readonly prev: Int32Array;

  constructor(ops: readonly HistoryOp[]) {
    const order = Array.from({ length: ops.length * 2 }, (_, i) => i + 1);
    const times = order.map((node) => entryTime(ops[opOfNode(node)]!, isCallNode(node)));
    // An op takes effect strictly inside its interval (the request leaves after its call is
    // stamped, the answer arrives before its return is), so A precedes B when A.return <= B.call:
    // at equal times the returns of earlier ops go first, then calls, then the returns of ops that
    // took no time at all. Comparing with < rather than subtracting keeps +Infinity returns equal.
    const timeOf = (node: number): number => times[node - 1]!;
    const rank = (node: number): number => {
      if (isCallNode(node)) return 1;
      return entryTime(ops[opOfNode(node)]!, true) < timeOf(node) ? 0 : 2;
    };
    order.sort((a, b) => {
      if (timeOf(a) !== timeOf(b)) return timeOf(a) < timeOf(b) ? -1 : 1;
      return rank(a) !== rank(b) ? rank(a) - rank(b) : a - b;
    });
    this.next = new Int32Array(order.length + 1).fill(-1);
    this.prev = new Int32Array(order.length + 1).fill(-1);
    [0, ...order].forEach((node, i) => {
      const after = order[i];
      if (after === undefined) return;
      this.next[node] = after;
      this.prev[after] = node;
    });
  }

  first(): number {
    return this.next[0]!;
  }

  /** Removes an op's call and return entries once the op is linearized. */
  lift(callNode: number): void {
    this.unlink(callNode);
    this.unlink(callNode + 1);
  }

  /** Undoes `lift`; lifts are undone in reverse order, so the neighbours are still in place. */
  unlift(callNode: number): void {
    this.relink(callNode + 1);
    this.relink(callNode);
  }

  private unlink(node: number): void {
    const prev = this.prev[node]!;
    const next = this.next[node]!;
    this.next[prev] = next;
    if (next !== -1) this.prev[next] = prev;
  }

  private relink(node: number): void {
    const prev = this.prev[node]!;
    const next = this.next[node]!;
    this.next[prev] = node;
    if (next !== -1) this.prev[next] = node;
  }
}

/**
 * An unknown write may take effect at any time after its call, or never: a return at +Infinity
 * lets the search place it anywhere, and placing it last is the same as never.
 */
function entryTime(op: HistoryOp, isCall: boolean): number {
  if (isCall) return op.call;
  return op.status === 'ok' ? op.return! : Infinity;
}

function isCallNode(node: number): boolean {
  return (node & 1) === 1;
}

function opOfNode(node: number): number {
  return (node - 1) >>> 1;
}

type SearchOutcome =
  | { kind: 'linearizable' }
  | { kind: 'budget_exceeded' }
  | { kind: 'not_linearizable'; longestPrefix: number[]; blockedOp: number };

/** The depth-first search over one key's ops, with an explicit stack instead of recursion. */
class LinearizationSearch {
  private readonly ops: RegisterOps;
  private readonly entries: EntryList;
  private readonly linearized: Bitset;
  private readonly explored: ExploredStates;
  /** The linearized call entries in order, and the state before each. */
  private readonly stackCalls: Int32Array;
  private readonly stackStates: Int32Array;
  private depth = 0;
  private state = ABSENT;
  private node: number;
  private longestPrefix: number[] = [];
  private blockedOp = -1;

  constructor(ops: readonly HistoryOp[]) {
    this.ops = toRegisterOps(ops);
    this.entries = new EntryList(ops);
    this.linearized = new Bitset(ops.length);
    this.explored = new ExploredStates(ops.length);
    this.stackCalls = new Int32Array(ops.length);
    this.stackStates = new Int32Array(ops.length);
    this.node = this.entries.first();
  }

  run(stepBudget: number): SearchOutcome {
    for (let steps = 0; this.entries.first() !== -1; steps++) {
      if (steps >= stepBudget) return { kind: 'budget_exceeded' };
      if (isCallNode(this.node)) {
        this.tryLinearize();
        continue;
      }
      // A return entry: its op had to be linearized by now, so this branch is dead.
      this.recordIfLongest();
      if (this.depth === 0) {
        return { kind: 'not_linearizable', longestPrefix: this.longestPrefix, blockedOp: this.blockedOp };
      }
      this.backtrack();
    }
    return { kind: 'linearizable' };
  }

  /** Linearizes the op of the current call entry if the model allows it and the resulting
   *  (ops, state) pair is new; otherwise moves on to the next entry. */
  private tryLinearize(): void {
    const op = opOfNode(this.node);
    const nextState = stepRegister(this.ops, this.state, op);
    if (nextState !== ILLEGAL) {
      this.linearized.add(op);
      if (this.explored.add(this.linearized, nextState)) {
        this.stackCalls[this.depth] = this.node;
        this.stackStates[this.depth] = this.state;
        this.depth++;
        this.state = nextState;
        this.entries.lift(this.node);
        this.node = this.entries.first();
        return;
      }
      this.linearized.delete(op);
    }
    this.node = this.entries.next[this.node]!;
  }

  /** Undoes the last linearized op and tries the entries after its call. */
  private backtrack(): void {
    this.depth--;
    const callNode = this.stackCalls[this.depth]!;
    this.state = this.stackStates[this.depth]!;
    this.linearized.delete(opOfNode(callNode));
    this.entries.unlift(callNode);
    this.node = this.entries.next[callNode]!;
  }

  private recordIfLongest(): void {
    if (this.blockedOp !== -1 && this.depth <= this.longestPrefix.length) return;
    this.longestPrefix = Array.from(this.stackCalls.subarray(0, this.depth), opOfNode);
    this.blockedOp = opOfNode(this.node);
  }
}

function explainFailure(
  key: string,
  ops: readonly HistoryOp[],
  outcome: { longestPrefix: number[]; blockedOp: number },
): string {
  const prefix = outcome.longestPrefix.map((i) => ops[i]!);
  const blocked = ops[outcome.blockedOp]!;
  const value = prefix.reduce<string | null>((v, op) => valueAfter(v, op), null);
  const lines = [`key ${JSON.stringify(key)}: no linearization of its ${ops.length} ops.`];
  if (prefix.length === 0) lines.push('The longest linearizable prefix is empty.');
  else lines.push(`Longest linearizable prefix (${prefix.length} ops):`);
  prefix.forEach((op, i) => lines.push(`  ${i + 1}. ${describeOp(op)}`));
  lines.push(
    `With the key ${value === null ? 'absent' : `= ${JSON.stringify(value)}`}, ` +
      `${describeOp(blocked)} could not be placed before its return.`,
  );
  return lines.join('\n');
}

/** The register's value after `op` (as linearized), given its value before. */
function valueAfter(before: string | null, op: HistoryOp): string | null {
  if (op.op === 'get') return before;
  if (op.op === 'cas') return before === op.expected ? op.value! : before;
  return op.op === 'put' ? op.value! : null;
}

function describeOp(op: HistoryOp): string {
  const returned = op.status === 'ok' ? String(op.return) : '?';
  const casAnswer = op.status === 'ok' ? ` -> ${op.swapped ? 'swapped' : 'kept'} ${JSON.stringify(op.output)}` : '';
  const what =
    op.op === 'put' ? `put ${JSON.stringify(op.value)}`
    : op.op === 'get' ? `get -> ${JSON.stringify(op.output)}`
    : op.op === 'cas' ? `cas ${JSON.stringify(op.expected)} => ${JSON.stringify(op.value)}${casAnswer}`
    : 'delete';
  return `${op.clientId} ${what} [${op.call}, ${returned}]${op.status === 'unknown' ? ' (unknown)' : ''}`;
}
