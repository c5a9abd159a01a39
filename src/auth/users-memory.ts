import { randomUUID } from 'node:crypto';
import { normalizeLogin, type User, type UserStore } from './users.js';

/** A user store with `create` guaranteed. */
export type MemoryUserStore = Required<UserStore>;

/**
 * Users in this process's memory: for tests, demos and prototypes. Logins are normalised with
 * `normalizeLogin` on the way in; ids are random UUIDs. Users are copied in and out.
 */
export function memoryUsers(): MemoryUserStore {
  const byId = new Map<string, User>();
  const idByLogin = new Map<string, string>();

  function find(id: string | undefined): Promise<User | null> {
    const user = id === undefined ? undefined : byId.get(id);
    return Promise.resolve(user === undefined ? null : { ...user });
  }

  function change(id: string, patch: Partial<User>): Promise<void> {
    const user = byId.get(id);
    if (user !== undefined) byId.set(id, { ...user, ...patch });
    return Promise.resolve();
  }

  return {
    findByLogin: (login) => find(idByLogin.get(normalizeLogin(login))),
    findById: (id) => find(id),
    updatePasswordHash: (id, passwordHash) => change(id, { passwordHash }),
    setDisabled: (id, disabled) => change(id, { disabled }),
    create(login, passwordHash) {
      const normalized = normalizeLogin(login);
      if (normalized.length === 0 || idByLogin.has(normalized)) {
        return Promise.reject(new Error(`memoryUsers: login "${normalized}" is taken or empty`));
      }
      const user: User = { id: randomUUID(), login: normalized, passwordHash, disabled: false };
      byId.set(user.id, user);
      idByLogin.set(normalized, user.id);
      return Promise.resolve({ ...user });
    },
  };
}
