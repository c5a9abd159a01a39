import { StoreUnavailableError } from './errors.js';
import type { SessionEventEmitter } from './events.js';
import type { Awaitable, Store } from './store.js';

/**
 * Runs one store operation under the guard: the store's answer as it came (a value when the store
 * answered synchronously, else a promise), every failure a StoreUnavailableError.
 */
export type GuardedCall = <T>(
  operation: string,
  run: (store: Store) => Awaitable<T>,
) => Awaitable<T>;

interface Pending {
  readonly deadline: number;
  readonly operation: string;
  readonly reject: (error: StoreUnavailableError) => void;
}

/**
 * Runs store operations with a deadline and turns every failure into a StoreUnavailableError
 * (keeping the driver's error as `cause`), so callers handle exactly one kind of infrastructure
 * error and the request fails closed.
 *
 * One shared watchdog timer (running only while operations are pending, so it keeps the process
 * alive exactly as long as an operation could still time out) checks deadlines
 * every quarter of the timeout, instead of a timer per operation: an overdue operation fails
 * between 1x and 1.25x `timeout` after it started.
 *
 * An operation the store answers synchronously (memory, SQLite) is returned as it is, and a
 * synchronous throw is rethrown as a StoreUnavailableError: no promise, no deadline, since nothing
 * can be overdue once it has returned.
 *
 * Hazard: a timed-out operation is abandoned, not cancelled; the backend may still apply it.
 * Every store operation is idempotent or conditional, so a late write cannot resurrect anything.
 */
/** True for promises, including another library's (a record or a boolean is never one). */
function isThenable<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

export function guardStore(
  store: Store,
  timeout: number,
  events: SessionEventEmitter,
): GuardedCall {
  const pending = new Set<Pending>();
  let watchdog: NodeJS.Timeout | undefined;

  function sweep(): void {
    const now = performance.now();
    for (const entry of pending) {
      if (entry.deadline > now) continue;
      pending.delete(entry);
      entry.reject(
        new StoreUnavailableError(entry.operation, {
          message: `session store did not answer ${entry.operation} within ${timeout} ms`,
        }),
      );
    }
    if (pending.size === 0 && watchdog !== undefined) {
      clearInterval(watchdog);
      watchdog = undefined;
    }
  }

  function fail(operation: string, error: unknown): StoreUnavailableError {
    const wrapped =
      error instanceof StoreUnavailableError
        ? error
        : new StoreUnavailableError(operation, { cause: error });
    events.emit('store-error', { operation, error: wrapped });
    return wrapped;
  }

  function guardAsync<T>(operation: string, result: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        deadline: performance.now() + timeout,
        operation,
        reject: (error) => {
          reject(fail(operation, error));
        },
      };
      pending.add(entry);
      if (watchdog === undefined) {
        watchdog = setInterval(sweep, Math.max(1, Math.floor(timeout / 4)));
      }
      const settle = (): boolean => pending.delete(entry);
      result.then(
        (value) => {
          if (settle()) resolve(value);
        },
        (error: unknown) => {
          if (settle()) reject(fail(operation, error));
        },
      );
    });
  }

  return function call<T>(operation: string, run: (s: Store) => Awaitable<T>): Awaitable<T> {
    let result: Awaitable<T>;
    try {
      result = run(store);
    } catch (error) {
      throw fail(operation, error);
    }
    return isThenable(result) ? guardAsync(operation, Promise.resolve(result)) : result;
  };
}
