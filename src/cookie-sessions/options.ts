import { ConfigurationError } from '../core/errors.js';
import type { Duration } from '../core/duration.js';
import {
  resolveOptions,
  type CookieOptions,
  type RememberMeOptions,
  type ResolvedOptions,
  type SessionOptions,
} from '../core/options.js';
import type { Store } from '../core/store.js';
import { createKeyRing, type KeyRing, type SecretInput } from './keyring.js';

/** Where revocation stamps live; see {@link CookieSessionOptions.revocation}. */
export interface RevocationOptions {
  /** Any Latchkey store (memory, Redis, PostgreSQL...). It may be shared with server sessions. */
  readonly store: Store;
  /** A store operation that takes longer fails the request with a 503. Default `"2s"`. */
  readonly storeTimeout?: Duration;
}

/**
 * Options of `createCookieSessions`. Everything but `keys` has the server-side sessions' secure
 * default, validated by the same code, so switching between the two is a configuration change.
 */
export interface CookieSessionOptions {
  /**
   * Required. Secrets of at least 32 bytes each (strings, Buffers, or `{ id, secret }`), newest
   * first: the first seals, every one unseals. To rotate, put a new secret first and drop the
   * oldest once every cookie sealed with it has expired (the longest absolute lifetime).
   * Generate one with `openssl rand -base64 32`; keep them out of source control.
   */
  readonly keys: SecretInput | readonly SecretInput[];
  /** Cookie attributes; same defaults as server sessions (`__Host-sid`, Secure, HttpOnly, Lax). */
  readonly cookie?: CookieOptions;
  /** Default `"30m"`. Enforced from the sealed payload. */
  readonly idleTimeout?: Duration;
  /** Default `"12h"`, counted from login (or creation). */
  readonly absoluteTimeout?: Duration;
  /** Default 30 days absolute, 7 days idle. */
  readonly rememberMe?: RememberMeOptions;
  /**
   * A request that only reads the session re-seals the cookie (to move the idle deadline) at most
   * once per this interval. Default: a tenth of the idle timeout, at most 60 s.
   */
  readonly touchInterval?: Duration;
  /** Default `"no-store"` on responses that read an authenticated session or set the cookie. */
  readonly cacheControl?: string | false;
  /** Default false. */
  readonly trustProxy?: boolean;
  /** Clock in ms since the epoch. Default `Date.now`. */
  readonly now?: () => number;
  /**
   * Optional but recommended for anything with logins: a store for "valid after" stamps and dead
   * session ids. Without it a copied cookie stays valid until its own expiry, whatever logout,
   * "log out everywhere" or a password change do. With it, each request of a logged-in session
   * costs two store reads (in parallel) and a store failure fails the request closed (503).
   */
  readonly revocation?: RevocationOptions;
}

/** Options after defaults and validation. */
export interface ResolvedCookieSessionOptions {
  readonly base: ResolvedOptions;
  readonly ring: KeyRing;
  readonly revocation: { readonly store: Store; readonly storeTimeout: number } | null;
}

// resolveOptions validates a store it requires; without revocation there is none, so it gets
// this stand-in, which is never called.
const NO_STORE: Store = {
  get: () => Promise.reject(new Error('no store')),
  create: () => Promise.reject(new Error('no store')),
  update: () => Promise.reject(new Error('no store')),
  delete: () => Promise.reject(new Error('no store')),
  listByUser: () => Promise.reject(new Error('no store')),
  deleteByUser: () => Promise.reject(new Error('no store')),
};

/** The options shared with server sessions, without `keys` and `revocation`. */
function pick(options: CookieSessionOptions): Omit<SessionOptions, 'store'> {
  const { cookie, idleTimeout, absoluteTimeout, rememberMe, touchInterval, cacheControl } = options;
  const { trustProxy, now } = options;
  return {
    ...(cookie === undefined ? {} : { cookie }),
    ...(idleTimeout === undefined ? {} : { idleTimeout }),
    ...(absoluteTimeout === undefined ? {} : { absoluteTimeout }),
    ...(rememberMe === undefined ? {} : { rememberMe }),
    ...(touchInterval === undefined ? {} : { touchInterval }),
    ...(cacheControl === undefined ? {} : { cacheControl }),
    ...(trustProxy === undefined ? {} : { trustProxy }),
    ...(now === undefined ? {} : { now }),
  };
}

/**
 * Validates everything once, at start-up, with the core's own rules and defaults.
 * @throws ConfigurationError naming the option to change.
 */
export function resolveCookieSessionOptions(
  options: CookieSessionOptions,
): ResolvedCookieSessionOptions {
  if (typeof options !== 'object' || (options as unknown) === null) {
    throw new ConfigurationError('createCookieSessions: options object with "keys" is required');
  }
  const ring = createKeyRing(options.keys);
  const { revocation } = options;
  if (
    revocation !== undefined &&
    (typeof revocation !== 'object' || (revocation as unknown) === null)
  ) {
    throw new ConfigurationError('createCookieSessions: "revocation" must be { store }');
  }
  let base: ResolvedOptions;
  try {
    base = resolveOptions({
      ...pick(options),
      store: revocation?.store ?? NO_STORE,
      ...(revocation?.storeTimeout === undefined ? {} : { storeTimeout: revocation.storeTimeout }),
    });
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const message = error.message
      .replace(/^createSessions:/, 'createCookieSessions:')
      .replace(/"store"/, '"revocation.store"');
    throw new ConfigurationError(message, { cause: error });
  }
  return Object.freeze({
    base,
    ring,
    revocation:
      revocation === undefined
        ? null
        : Object.freeze({ store: base.store, storeTimeout: base.storeTimeout }),
  });
}
