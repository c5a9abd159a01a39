import { ConfigurationError } from '../core/errors.js';

/**
 * The users the auth module logs in. Latchkey needs very little from a user: an id, the login name
 * they type, a password hash and whether the account is disabled. Your own user table keeps
 * everything else.
 */

/** What the auth module reads from a user. */
export interface User {
  /** Stable, unique, non-empty. Bound to sessions; never the login name (that may change). */
  readonly id: string;
  /** The login name (e.g. an email), normalised with {@link normalizeLogin}. */
  readonly login: string;
  /**
   * PHC string of the password, or null for an account that cannot log in with a password (such
   * an account always fails password login, in the same time as a wrong password).
   */
  readonly passwordHash: string | null;
  /** A disabled user cannot log in, and any session of theirs ends at its next request. */
  readonly disabled: boolean;
}

/**
 * Where users live. Only the two finders are required for login; the writes enable rehash upgrades,
 * password changes and disabling. Contract:
 * - Finders resolve to null for "no such user"; only infrastructure failures reject.
 * - `findByLogin` receives a login already normalised with {@link normalizeLogin} and must match
 *   it exactly against logins stored in that same normalised form.
 */
export interface UserStore<U extends User = User> {
  findByLogin(login: string): Promise<U | null>;
  findById(id: string): Promise<U | null>;
  /** Replaces the password hash. Required by `changePassword` and for rehash upgrades. */
  updatePasswordHash?(id: string, passwordHash: string): Promise<void>;
  /** Required by `disableUser`. */
  setDisabled?(id: string, disabled: boolean): Promise<void>;
  /** Optional: registers a user (built-in stores). Rejects when the login is taken. */
  create?(login: string, passwordHash: string | null): Promise<U>;
}

/**
 * The one normalisation of login names, applied to what users type and to what stores keep:
 * Unicode NFKC, surrounding white space removed, lower-cased (locale-independent). So
 * `" Alice@Example.COM "` and `"alice@example.com"` are one account. Lower-casing the local part of
 * an email is technically lossy, but no mail provider in practice distinguishes case, and two
 * accounts differing only by case are a phishing and support hazard.
 */
export function normalizeLogin(login: string): string {
  return login.normalize('NFKC').trim().toLowerCase();
}

/** Longest login name accepted (in UTF-16 units); longer input is treated as an unknown user. */
export const MAX_LOGIN_LENGTH = 320;

/**
 * Plugs an existing users table into the auth module. Pass at least the two finders; your
 * `findByLogin` receives a login normalised with {@link normalizeLogin}, so compare it against a
 * normalised column, e.g. `WHERE lower(email) = $1`. Map your row to {@link User}
 * (`passwordHash: row.password_hash`, `disabled: row.banned_at !== null`).
 *
 * @example
 * const users = usersFromFunctions({
 *   findByLogin: async (login) => toUser(await db.one('SELECT * FROM app_users WHERE lower(email) = $1', [login])),
 *   findById: async (id) => toUser(await db.one('SELECT * FROM app_users WHERE id = $1', [id])),
 *   updatePasswordHash: (id, hash) => db.none('UPDATE app_users SET password_hash = $2 WHERE id = $1', [id, hash]),
 * });
 * @throws ConfigurationError when a finder is missing.
 */
export function usersFromFunctions<U extends User>(functions: UserStore<U>): UserStore<U> {
  for (const name of ['findByLogin', 'findById'] as const) {
    if (typeof functions[name] !== 'function') {
      throw new ConfigurationError(
        `usersFromFunctions: "${name}" is required (an async function returning a user or null)`,
      );
    }
  }
  return { ...functions };
}
