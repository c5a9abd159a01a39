import { publicIdOf } from '../core/token.js';

/**
 * What a store's `onInvalidRecord` receives: a record it cannot read (corrupt data, an older
 * schema), which reads as no session.
 */
export interface InvalidRecordEvent {
  /** Public id of the session (a short prefix of its store id; never a token). */
  readonly session: string;
  /** What is wrong, e.g. `"data is not a JSON object"`. */
  readonly reason: string;
}

/**
 * Reports unreadable records to `handler`; without one, warns once for the first record only, so a
 * client replaying the cookie of a corrupt record cannot flood the logs. A throwing handler
 * becomes a process warning, never a failed request.
 *
 * @param where names the store in the warning, e.g. `"the SQLite store"`.
 */
export function invalidRecordReporter(
  where: string,
  handler?: (event: InvalidRecordEvent) => void,
): (id: string, reason: string) => void {
  let warned = false;
  return (id, reason) => {
    const event = { session: publicIdOf(id), reason };
    if (handler === undefined) {
      if (warned) return;
      warned = true;
      process.emitWarning(
        `latchkey: ${where} holds an unreadable session (${event.session}: ${reason}); it reads ` +
          'as no session. Further ones are reported only through onInvalidRecord.',
        { code: 'LATCHKEY_INVALID_RECORD' },
      );
      return;
    }
    try {
      handler(event);
    } catch (error) {
      process.emitWarning(`latchkey: onInvalidRecord threw: ${String(error)}`, {
        code: 'LATCHKEY_LISTENER_ERROR',
      });
    }
  };
}
