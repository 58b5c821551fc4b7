/**
 * Assertions are for programmer errors: a broken precondition or invariant crashes loudly
 * instead of corrupting a replicated log.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new AssertionError(typeof message === 'function' ? message() : message);
}
