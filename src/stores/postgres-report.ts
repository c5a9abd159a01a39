/**
 * How the PostgreSQL store reports what it does not throw: rows it cannot read, and errors the
 * pool emits for idle connections. A listener that throws becomes a process warning, never a
 * failed request.
 */

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
