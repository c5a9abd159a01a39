import { publicIdOf } from '../core/token.js';

/**
 * How the PostgreSQL store reports what it does not throw: rows it cannot read, and errors the
 * pool emits for idle connections. A listener that throws becomes a process warning, never a
 * failed request.
 */

/** Reported through `onInvalidRecord` when a row cannot be read; it then reads as no session. */
export interface InvalidRecordEvent {
  /** Public id of the session (a short prefix of the stored hash, never a token). */
  readonly session: string;
  /** What is wrong with the row, e.g. `"data is not an object of strings"`. */
  readonly reason: string;
}

function warn(message: string, code: string): void {
  process.emitWarning(`latchkey: ${message}`, { code });
}

/**
 * The listener the store adds to the pool's `'error'` event: `handler`, or a process warning per
 * error when there is none. Without some listener, an idle connection dropped by the server
 * (restart, failover) makes the pool emit an unhandled `'error'`, which crashes the process.
 */
export function poolErrorListener(handler?: (error: Error) => void): (error: Error) => void {
  return (error) => {
    if (handler === undefined) {
      warn(`PostgreSQL pool error on an idle connection: ${error.message}`, 'LATCHKEY_PG');
      return;
    }
    try {
      handler(error);
    } catch (thrown) {
      warn(`onPoolError threw: ${String(thrown)}`, 'LATCHKEY_LISTENER_ERROR');
    }
  };
}

/**
 * Reports unreadable rows to `handler`; without one, warns once for the first row only, so a
 * client replaying the cookie of a corrupt row cannot flood the logs.
 */
export function invalidRecordReporter(
  table: string,
  handler?: (event: InvalidRecordEvent) => void,
): (id: string, reason: string) => void {
  let warned = false;
  return (id, reason) => {
    if (handler === undefined) {
      if (warned) return;
      warned = true;
      warn(
        `unreadable session row in ${table} (${reason}); it reads as no session. ` +
          'Further ones are reported only through onInvalidRecord.',
        'LATCHKEY_INVALID_RECORD',
      );
      return;
    }
    try {
      handler({ session: publicIdOf(id), reason });
    } catch (thrown) {
      warn(`onInvalidRecord threw: ${String(thrown)}`, 'LATCHKEY_LISTENER_ERROR');
    }
  };
}
