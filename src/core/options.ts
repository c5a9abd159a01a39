import { ConfigurationError } from './errors.js';
import { toMilliseconds, type Duration } from './duration.js';
import type { Store } from './store.js';

/** Attributes of the session cookie. */
export interface CookieOptions {
  /**
   * Cookie name. Default `"__Host-sid"`: the `__Host-` prefix makes browsers refuse the cookie
   * unless it is Secure, has Path=/ and no Domain, so a sibling subdomain cannot plant or overwrite
   * it (SEC-11). With `domain` set the default becomes `"__Secure-sid"`.
   * Must be an RFC 6265 token; a `__Host-` name with a Domain, or a prefixed name without Secure,
   * throws at start-up.
   */
  readonly name?: string;
  /** Default true. Browsers accept Secure cookies from http://localhost, so keep it on in dev too. */
  readonly secure?: boolean;
  /** Default true: scripts cannot read the token. Turning it off warns at start-up. */
  readonly httpOnly?: boolean;
  /** Default `"lax"`. `"none"` requires `secure: true`. */
  readonly sameSite?: 'lax' | 'strict' | 'none';
  /** Default `"/"`. Must be `"/"` with a `__Host-` name. */
  readonly path?: string;
  /** Default none (host-only cookie, SEC-12). Setting it shares the session with subdomains. */
  readonly domain?: string;
  /** CHIPS partitioned cookie. Default false. */
  readonly partitioned?: boolean;
}

/** Lifetimes of "remember me" sessions (see `session.bindUser(id, { rememberMe: true })`). */
export interface RememberMeOptions {
  /** Absolute lifetime of a remembered session and of its persistent cookie. Default `"30d"`. */
  readonly absoluteTimeout?: Duration;
  /** Idle timeout of a remembered session. Default `"7d"`. */
  readonly idleTimeout?: Duration;
}

/** Options of {@link createSessions}. Every field but `store` has a secure default. */
export interface SessionOptions {
  /** Where sessions live. Required: the core ships none, import one from `latchkey/stores/*`. */
  readonly store: Store;
  readonly cookie?: CookieOptions;
  /** Session ends after this much inactivity (SEC-23). Default `"30m"`. */
  readonly idleTimeout?: Duration;
  /** Session ends this long after login, whatever the activity (SEC-24). Default `"12h"`. */
  readonly absoluteTimeout?: Duration;
  readonly rememberMe?: RememberMeOptions;
  /**
   * A request that only reads the session refreshes its last-seen time (one store write) at most
   * once per this interval. Default: a tenth of the idle timeout, at most 60 s. Must be shorter
   * than the idle timeout.
   */
  readonly touchInterval?: Duration;
  /**
   * `Cache-Control` value for responses that read an authenticated session or set the cookie
   * (SEC-16). Default `"no-store"`. `false` leaves caching headers to the app.
   */
  readonly cacheControl?: string | false;
  /**
   * A store operation that takes longer fails the request with `StoreUnavailableError` (503).
   * Default `"2s"`. The operation may still complete in the backend after the deadline.
   */
  readonly storeTimeout?: Duration;
  /**
   * Trust `X-Forwarded-Proto` and `X-Forwarded-For` from a reverse proxy. Default false: those
   * headers are forgeable by any client when no proxy strips them.
   */
  readonly trustProxy?: boolean;
  /** Clock in ms since the epoch. Default `Date.now`; tests inject a fake one. */
  readonly now?: () => number;
}

/** Every default in one place. */
export const DEFAULTS = {
  cookie: {
    name: '__Host-sid',
    nameWithDomain: '__Secure-sid',
    secure: true,
    httpOnly: true,
    sameSite: 'lax',
    path: '/',
    partitioned: false,
  },
  idleTimeout: '30m',
  absoluteTimeout: '12h',
  rememberMe: { absoluteTimeout: '30d', idleTimeout: '7d' },
  maxTouchInterval: 60_000,
  cacheControl: 'no-store',
  storeTimeout: '2s',
  trustProxy: false,
} as const;

export interface ResolvedCookieOptions {
  readonly name: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';
  readonly path: string;
  readonly domain: string | undefined;
  readonly partitioned: boolean;
}

/** Options after defaults and validation; frozen, never mutated. */
export interface ResolvedOptions {
  readonly store: Store;
  readonly cookie: ResolvedCookieOptions;
  readonly idleTimeout: number;
  readonly absoluteTimeout: number;
  readonly rememberMe: { readonly absoluteTimeout: number; readonly idleTimeout: number };
  readonly touchInterval: number;
  readonly cacheControl: string | false;
  readonly storeTimeout: number;
  readonly trustProxy: boolean;
  readonly now: () => number;
  /** Start-up warnings for risky but legal choices, emitted once by the manager. */
  readonly warnings: readonly string[];
}

// RFC 6265 section 4.1.1: cookie-name = token (RFC 2616 section 2.2).
const COOKIE_NAME = /^[!#$%&'*+\-.^`|~\w]+$/;
const STORE_METHODS = ['get', 'create', 'update', 'delete', 'listByUser', 'deleteByUser'] as const;

function fail(message: string): never {
  throw new ConfigurationError(`createSessions: ${message}`);
}

function duration(value: Duration, what: string): number {
  try {
    return toMilliseconds(value, what);
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** Applies cookie defaults and validates them (shared with sealed-cookie sessions). */
export function resolveCookie(cookie: CookieOptions = {}): ResolvedCookieOptions {
  const d = DEFAULTS.cookie;
  const domain = cookie.domain;
  const resolved: ResolvedCookieOptions = {
    name: cookie.name ?? (domain === undefined ? d.name : d.nameWithDomain),
    secure: cookie.secure ?? d.secure,
    httpOnly: cookie.httpOnly ?? d.httpOnly,
    sameSite: cookie.sameSite ?? d.sameSite,
    path: cookie.path ?? d.path,
    domain,
    partitioned: cookie.partitioned ?? d.partitioned,
  };
  const { name } = resolved;
  if (!COOKIE_NAME.test(name)) {
    fail(
      `cookie.name "${name}" has characters a cookie name cannot hold; use letters, digits and - _ .`,
    );
  }
  if (!['lax', 'strict', 'none'].includes(resolved.sameSite)) {
    fail(
      `cookie.sameSite must be "lax", "strict" or "none", got ${JSON.stringify(resolved.sameSite)}`,
    );
  }
  if (!resolved.path.startsWith('/'))
    fail(`cookie.path must start with "/", got "${resolved.path}"`);
  const lower = name.toLowerCase();
  if (lower.startsWith('__host-')) {
    if (domain !== undefined) {
      fail(
        `a "__Host-" cookie cannot have a Domain; remove cookie.domain or rename the cookie to "__Secure-sid"`,
      );
    }
    if (resolved.path !== '/') fail(`a "__Host-" cookie must have path "/"; remove cookie.path`);
    if (!resolved.secure) {
      fail(
        `a "__Host-" cookie must be Secure; remove "secure: false" or choose a name without the prefix`,
      );
    }
  }
  if (lower.startsWith('__secure-') && !resolved.secure) {
    fail(
      `a "__Secure-" cookie must be Secure; remove "secure: false" or choose a name without the prefix`,
    );
  }
  if (resolved.sameSite === 'none' && !resolved.secure) {
    fail(`cookie.sameSite "none" requires cookie.secure true (browsers drop it otherwise)`);
  }
  return Object.freeze(resolved);
}

/** Applies defaults and validates every option once, at start-up. */
export function resolveOptions(options: SessionOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options object is required');
  const { store } = options;
  if (typeof store !== 'object' || store === null) {
    fail(`"store" is required, e.g. memoryStore() from "latchkey/stores/memory"`);
  }
  for (const method of STORE_METHODS) {
    if (typeof store[method] !== 'function')
      fail(`"store" has no ${method}() method; see the Store contract`);
  }
  const idleTimeout = duration(options.idleTimeout ?? DEFAULTS.idleTimeout, 'idleTimeout');
  const absoluteTimeout = duration(
    options.absoluteTimeout ?? DEFAULTS.absoluteTimeout,
    'absoluteTimeout',
  );
  const rm = options.rememberMe ?? {};
  const rememberMe = {
    absoluteTimeout: duration(
      rm.absoluteTimeout ?? DEFAULTS.rememberMe.absoluteTimeout,
      'rememberMe.absoluteTimeout',
    ),
    idleTimeout: duration(
      rm.idleTimeout ?? DEFAULTS.rememberMe.idleTimeout,
      'rememberMe.idleTimeout',
    ),
  };
  if (idleTimeout <= 0) fail('idleTimeout must be greater than zero');
  if (idleTimeout > absoluteTimeout) {
    fail(
      `idleTimeout (${idleTimeout} ms) is longer than absoluteTimeout (${absoluteTimeout} ms); shorten idleTimeout or lengthen absoluteTimeout`,
    );
  }
  if (rememberMe.idleTimeout <= 0) fail('rememberMe.idleTimeout must be greater than zero');
  if (rememberMe.idleTimeout > rememberMe.absoluteTimeout) {
    fail(
      `rememberMe.idleTimeout is longer than rememberMe.absoluteTimeout; shorten one or lengthen the other`,
    );
  }
  const touchInterval =
    options.touchInterval === undefined
      ? Math.min(Math.floor(idleTimeout / 10), DEFAULTS.maxTouchInterval)
      : duration(options.touchInterval, 'touchInterval');
  if (touchInterval >= idleTimeout) {
    fail(
      `touchInterval (${touchInterval} ms) must be shorter than idleTimeout (${idleTimeout} ms), or sessions expire while in use`,
    );
  }
  const storeTimeout = duration(options.storeTimeout ?? DEFAULTS.storeTimeout, 'storeTimeout');
  if (storeTimeout <= 0) fail('storeTimeout must be greater than zero');
  const cacheControl = options.cacheControl ?? DEFAULTS.cacheControl;
  if (cacheControl !== false && (typeof cacheControl !== 'string' || /[\r\n]/.test(cacheControl))) {
    fail('cacheControl must be a header value string or false');
  }
  const now = options.now ?? Date.now;
  if (typeof now !== 'function') fail('"now" must be a function returning milliseconds');
  const cookie = resolveCookie(options.cookie);

  const warnings: string[] = [];
  if (!cookie.secure) {
    warnings.push(
      'cookie.secure is false: the session cookie will also travel over plain HTTP, where it can be stolen (SEC-08)',
    );
  }
  if (!cookie.httpOnly) {
    warnings.push(
      'cookie.httpOnly is false: any script on the page (and any XSS) can read the session token (SEC-09)',
    );
  }
  return Object.freeze({
    store,
    cookie,
    idleTimeout,
    absoluteTimeout,
    rememberMe: Object.freeze(rememberMe),
    touchInterval,
    cacheControl,
    storeTimeout,
    trustProxy: options.trustProxy ?? DEFAULTS.trustProxy,
    now,
    warnings: Object.freeze(warnings),
  });
}
