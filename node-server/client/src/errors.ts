/**
 * What the client tells its caller when an operation did not succeed. `outcome` is what matters
 * for a write: `failed` means it certainly did not take effect, `unknown` that it may have (the
 * client gave up without an answer it could trust), which a caller must not treat as either.
 */

export type KvErrorCode =
  /** The request was malformed (400, 413): sending it again will not help. */
  | 'bad_request'
  /** No node could serve it in time (no leader, no majority, nodes down). */
  | 'unavailable'
  /** A write whose outcome the client could not learn. */
  | 'unknown'
  /** The node refused it for another reason (the body's error says which). */
  | 'refused';

export class KvError extends Error {
  override name = 'KvError';

  constructor(
    readonly code: KvErrorCode,
    message: string,
    /** For writes: did it certainly not happen, or may it have? */
    readonly outcome: 'failed' | 'unknown',
    /** The last answer's status (0: no answer) and error code, when there was one. */
    readonly status = 0,
    readonly error = '',
  ) {
    super(message);
  }
}
