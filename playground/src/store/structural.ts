/**
 * Structural sharing for snapshots: keeps every part of the previous snapshot that is deep-equal
 * to the new one, so a zustand selector sees the same object when its part did not change and the
 * component reading it does not re-render. (Snapshots cross from the worker as fresh copies.)
 */
export function replaceEqualDeep<T>(prev: unknown, next: T): T {
  if (prev === next) return next;
  if (Array.isArray(prev) && Array.isArray(next)) {
    // Lists of keyed items (feed lines, log entries, messages) shift as they grow: match the
    // items by key so an item that only moved keeps its identity.
    const key = listKey(next);
    const prevByKey = key && listKey(prev) === key ? new Map(prev.map((item: Record<string, unknown>) => [item[key], item])) : null;
    let same = prev.length === next.length;
    const out = next.map((item, i) => {
      const before = prevByKey ? prevByKey.get((item as Record<string, unknown>)[key!]) : prev[i];
      const kept = replaceEqualDeep(before, item);
      if (kept !== prev[i]) same = false;
      return kept;
    });
    return (same ? prev : out) as T;
  }
  if (isPlainObject(prev) && isPlainObject(next)) {
    const prevKeys = Object.keys(prev);
    const nextKeys = Object.keys(next);
    let same = prevKeys.length === nextKeys.length;
    const out: Record<string, unknown> = {};
    for (const key of nextKeys) {
      const kept = replaceEqualDeep(prev[key], next[key]);
      out[key] = kept;
      if (kept !== prev[key] || !(key in prev)) same = false;
    }
    return (same ? prev : out) as T;
  }
  return next;
}

const keyFields = ['seq', 'id', 'index'] as const;

/** The field that identifies the items of a list of plain objects, if they have one. */
function listKey(list: unknown[]): string | null {
  const first = list[0];
  if (!isPlainObject(first)) return null;
  return keyFields.find((k) => typeof first[k] === 'number' || typeof first[k] === 'string') ?? null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
