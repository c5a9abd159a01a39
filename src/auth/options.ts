import type { UserSession } from '../core/manager.js';
import { ConfigurationError } from '../core/errors.js';
import type { BindingOptions } from './binding.js';
import type { GuardOptions } from './guards.js';
import type { PasswordHasher } from './password.js';
import type { ThrottleOptions } from './throttle.js';
import type { User, UserStore } from './users.js';

/** What the auth module needs from the session manager (`createSessions()` provides it). */
/**
 * What auth needs from a session manager: ending a user's sessions (logout everywhere, password
 * change, disabling a user, revoking one device). `createSessions()` provides all of it, and can
 * also list a user's sessions. Sealed-cookie sessions with revocation configured
 * (`createCookieSessions({ revocation })`) can end sessions but neither list nor count them: with
 * them, `listSessions()` throws and `maxSessionsPerUser` is refused at start-up, and counts of
 * ended sessions are null.
 */
export interface AuthSessions {
  revoke(userId: string, publicId: string): Promise<boolean>;
  /** Resolves to how many sessions ended when the manager can count them. */
  revokeUser(userId: string, options?: { readonly except?: string }): Promise<unknown>;
  /** Live sessions of a user (server-side managers only). */
  listByUser?(userId: string): Promise<UserSession[]>;
  /** False for sealed-cookie sessions without a revocation store: auth refuses them. */
  readonly revocable?: boolean;
  readonly options?: { readonly now: () => number };
}

/** Limit on concurrent sessions per user (SEC-35). */
export interface SessionLimit {
  /** Most sessions one user may have at once. */
  readonly limit: number;
  /**
   * What a login beyond the limit does: `"evict-oldest"` (default) ends the least recently used
   * session(s) to make room; `"refuse"` fails the login with reason `session-limit`.
   */
  readonly onLimit?: 'evict-oldest' | 'refuse';
}

/** Options of `createAuth`. */
export interface AuthOptions<U extends User = User> {
  /** The session manager from `createSessions()`: sessions are listed and revoked through it. */
  readonly sessions: AuthSessions;
  /** Where users live: a built-in store or `usersFromFunctions(...)`. */
  readonly users: UserStore<U>;
  /**
   * At least 32 bytes of secret (e.g. `openssl rand -base64 32`), kept out of the code. Keys the
   * credential fingerprint each session carries and the throttle keys. Rotating it ends every
   * session at its next request. Missing or short: ConfigurationError at start-up.
   */
  readonly secret: string | Uint8Array;
  /** Password hasher. Default `argon2Hasher()` (argon2id, m=19 MiB, t=2, p=1). */
  readonly hasher?: PasswordHasher;
  /**
   * Login throttling. Default: on, with counters in this process's memory
   * (`memoryThrottleStore()`); with several processes pass a shared store
   * (`redisThrottleStore`, `postgresThrottleStore`, `sqliteThrottleStore`). `false` turns it off
   * (only if something in front of the app does it).
   */
  readonly throttle?: ThrottleOptions | false;
  /** Session binding policy (SEC-48). Default `{ userAgent: "rotate", network: "rotate" }`. */
  readonly binding?: BindingOptions | false;
  /** Concurrent sessions per user. Default: unlimited. A number means `{ limit, onLimit: "evict-oldest" }`. */
  readonly maxSessionsPerUser?: number | SessionLimit;
  readonly guards?: GuardOptions;
  /** Clock in ms. Default: the session manager's clock, else `Date.now`. */
  readonly now?: () => number;
}

const MIN_SECRET_BYTES = 32;

/** @internal The secret as bytes, or a ConfigurationError saying what to change. */
export function resolveSecret(secret: unknown): Buffer {
  let bytes: Buffer | null = null;
  if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
  if (bytes === null || bytes.length < MIN_SECRET_BYTES) {
    throw new ConfigurationError(
      `createAuth: "secret" must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes === null ? 'none' : `${bytes.length}`}); generate one with \`openssl rand -base64 32\` and load it from the environment`,
    );
  }
  return bytes;
}

/** @internal Validates the session limit. */
export function resolveLimit(
  value: number | SessionLimit | undefined,
): Required<SessionLimit> | null {
  if (value === undefined) return null;
  const limit = typeof value === 'number' ? { limit: value } : value;
  const onLimit = limit.onLimit ?? 'evict-oldest';
  if (!Number.isInteger(limit.limit) || limit.limit < 1) {
    throw new ConfigurationError('createAuth: maxSessionsPerUser.limit must be an integer >= 1');
  }
  if (onLimit !== 'evict-oldest' && onLimit !== 'refuse') {
    throw new ConfigurationError(
      'createAuth: maxSessionsPerUser.onLimit must be "evict-oldest" or "refuse"',
    );
  }
  return { limit: limit.limit, onLimit };
}

/** @internal Checks the collaborators have the methods the auth module calls. */
export function checkCollaborators<U extends User>(options: AuthOptions<U>): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('createAuth: an options object is required');
  }
  const { sessions, users } = options;
  for (const method of ['revoke', 'revokeUser'] as const) {
    if (typeof sessions?.[method] !== 'function') {
      throw new ConfigurationError(
        `createAuth: "sessions" must be the manager returned by createSessions(), or createCookieSessions() with revocation configured (missing ${method}())`,
      );
    }
  }
  if (sessions.revocable === false) {
    throw new ConfigurationError(
      'createAuth: these sealed-cookie sessions cannot be revoked, so logout everywhere and password changes could not end them; configure createCookieSessions({ revocation: { store } })',
    );
  }
  if (options.maxSessionsPerUser !== undefined && typeof sessions.listByUser !== 'function') {
    throw new ConfigurationError(
      "createAuth: maxSessionsPerUser needs a manager that can list a user's sessions (createSessions()); sealed-cookie sessions cannot be listed",
    );
  }
  for (const method of ['findByLogin', 'findById'] as const) {
    if (typeof users?.[method] !== 'function') {
      throw new ConfigurationError(
        `createAuth: "users" must be a UserStore (missing ${method}()); see usersFromFunctions()`,
      );
    }
  }
}
