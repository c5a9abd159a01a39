/**
 * Errors Latchkey throws. Two kinds, kept apart on purpose:
 *
 * - Programmer and operator mistakes (bad options, using a session after its response was sent)
 *   throw at once, naming what to change: {@link ConfigurationError}, {@link SessionStateError}.
 * - Anything an attacker controls (cookies, headers) never throws: it reads as "no session" and is
 *   reported through an event.
 *
 * Infrastructure failures are the third case: {@link StoreUnavailableError}, which adapters turn
 * into a 503 response.
 */

/** Base class of every error Latchkey throws, so apps can tell ours from theirs. */
export class LatchkeyError extends Error {
  override name = 'LatchkeyError';
}

/** An option is missing, malformed or contradicts another. Thrown by factories at start-up. */
export class ConfigurationError extends LatchkeyError {
  override name = 'ConfigurationError';
}

/** A session was used in a way its life cycle does not allow (e.g. written after the response). */
export class SessionStateError extends LatchkeyError {
  override name = 'SessionStateError';
}

/**
 * The session store failed or did not answer in time. The request must fail closed: never treat
 * it as anonymous or hand out a fresh session. Adapters answer 503. `cause` holds the driver's
 * own error for the operator.
 */
export class StoreUnavailableError extends LatchkeyError {
  override name = 'StoreUnavailableError';
  /** HTTP status adapters answer with. */
  readonly status = 503;
  /** The store operation that failed, e.g. `"get"`, `"update"`. */
  readonly operation: string;

  constructor(operation: string, options?: { cause?: unknown; message?: string }) {
    super(options?.message ?? `session store unavailable (${operation} failed)`, {
      cause: options?.cause,
    });
    this.operation = operation;
  }
}
