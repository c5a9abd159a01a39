import { StoreUnavailableError } from './errors.js';
import type { SessionEventEmitter } from './events.js';
import type { Store } from './store.js';

/**
 * Runs store operations with a deadline and turns every failure into a StoreUnavailableError
 * (keeping the driver's error as `cause`), so callers handle exactly one kind of infrastructure
 * error and the request fails closed.
 *
 * Hazard: a timed-out operation is abandoned, not cancelled; the backend may still apply it.
 * Every store operation is idempotent or conditional, so a late write cannot resurrect anything.
 */
export function guardStore(
  store: Store,
  timeout: number,
  events: SessionEventEmitter,
): <T>(operation: string, run: (store: Store) => Promise<T>) => Promise<T> {
  return async function call<T>(operation: string, run: (s: Store) => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(
            new StoreUnavailableError(operation, {
              message: `session store did not answer ${operation} within ${timeout} ms`,
            }),
          );
        }, timeout);
      });
      return await Promise.race([run(store), deadline]);
    } catch (error) {
      const wrapped =
        error instanceof StoreUnavailableError
          ? error
          : new StoreUnavailableError(operation, { cause: error });
      events.emit('store-error', { operation, error: wrapped });
      throw wrapped;
    } finally {
      clearTimeout(timer);
    }
  };
}
