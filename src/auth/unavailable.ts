import { StoreUnavailableError } from '../core/errors.js';
import type { ThrottleStore } from './throttle.js';
import type { User, UserStore } from './users.js';

/**
 * @internal Backend failures of the user and throttle stores become `StoreUnavailableError`
 * (adapters answer 503, `cause` keeps the driver's error), so a login fails closed and visibly
 * instead of as a generic 500. `create` is left alone: its rejection (a taken login) is the app's.
 */
function fail(operation: string, what: string) {
  return (error: unknown): never => {
    throw new StoreUnavailableError(operation, {
      cause: error,
      message: `${what} unavailable (${operation} failed)`,
    });
  };
}

export function guardUsers<U extends User>(users: UserStore<U>): UserStore<U> {
  const store = 'user store';
  const guarded: UserStore<U> = {
    findByLogin: (login) => users.findByLogin(login).catch(fail('users.findByLogin', store)),
    findById: (id) => users.findById(id).catch(fail('users.findById', store)),
  };
  if (users.updatePasswordHash !== undefined) {
    guarded.updatePasswordHash = (id, hash) =>
      (users.updatePasswordHash?.(id, hash) ?? Promise.resolve()).catch(
        fail('users.updatePasswordHash', store),
      );
  }
  if (users.setDisabled !== undefined) {
    guarded.setDisabled = (id, disabled) =>
      (users.setDisabled?.(id, disabled) ?? Promise.resolve()).catch(
        fail('users.setDisabled', store),
      );
  }
  if (users.create !== undefined) {
    guarded.create = (login, hash) =>
      users.create?.(login, hash) ?? Promise.reject(new Error('unreachable'));
  }
  return guarded;
}

export function guardThrottleStore(store: ThrottleStore): ThrottleStore {
  return {
    take: (key, now, rule) =>
      store.take(key, now, rule).catch(fail('throttle.take', 'login throttle store')),
    release: (key, now) =>
      store.release(key, now).catch(fail('throttle.release', 'login throttle store')),
    reset: (key) => store.reset(key).catch(fail('throttle.reset', 'login throttle store')),
  };
}
