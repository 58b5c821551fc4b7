/**
 * Deep copy of a simulation's state for checkpoints (time travel). Class instances keep their
 * prototypes, shared references stay shared, and frozen objects (log entries, config) are shared
 * rather than copied: they never change, which is what makes a checkpoint cheap. An object with a
 * cloneForCheckpoint() method (a copy-on-write structure) makes its own copy.
 */
export function cloneState<T>(value: T): T {
  return cloneValue(value, new Map()) as T;
}

function cloneValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'function') throw new TypeError('cloneState: functions cannot be checkpointed');
    return value;
  }
  if (Object.isFrozen(value)) return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  // Objects with a copy-on-write structure of their own (the KV state machine's tree) copy themselves.
  const own = (value as { cloneForCheckpoint?: () => unknown }).cloneForCheckpoint;
  if (typeof own === 'function') {
    const copy = own.call(value);
    seen.set(value, copy);
    return copy;
  }
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) copy[i] = cloneValue(value[i], seen);
    return copy;
  }
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(cloneValue(k, seen), cloneValue(v, seen));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value) copy.add(cloneValue(v, seen));
    return copy;
  }
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = cloneValue((value as Record<string, unknown>)[key], seen);
  return copy;
}
