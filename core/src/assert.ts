/**
 * Assertions are for programmer errors: a broken precondition or invariant crashes loudly
 * instead of corrupting a replicated log.
 */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Throws an AssertionError. Hot paths write `if (!ok) fail(\`...\`)` so that a passing check
 *  builds no message and allocates nothing. */
export function fail(message: string): never {
  throw new AssertionError(message);
}
