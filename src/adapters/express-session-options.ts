import type { Store as LatchkeyStore } from '../core/store.js';
import { generateToken } from '../core/token.js';
import {
  classicBackend,
  isClassicStore,
  type Backend,
  type ClassicStore,
} from './express-session-backend.js';
import type { CookieOptions } from './express-session-cookie.js';
import type { SessionRequest } from './express-session-context.js';
import { isLatchkeyStore, latchkeyBackend } from './express-session-latchkey.js';
import type { Secret } from './express-session-signature.js';
import { MemoryStore } from './express-session-store.js';

/** Options of `session()`: express-session 1.x's, with its defaults. */
export interface SessionOptions {
  /**
   * Required (unless cookie-parser's `req.secret` is set): the key that signs the cookie, or an
   * array whose first element signs and every element verifies (rotate by putting the new secret
   * first). At least 32 random bytes. Changing it without keeping the old one logs everyone out.
   */
  secret?: Secret | readonly Secret[] | undefined;
  /** Cookie name. Default `connect.sid`; use one per app sharing a host name. */
  name?: string | undefined;
  /** Cookie attributes, or a function of the request returning them (see {@link CookieOptions}). */
  cookie?: CookieOptions | ((req: SessionRequest) => CookieOptions) | undefined;
  /** New session ids. Default: 32 random bytes, base64url (43 characters). Must be unique. */
  genid?: ((req: SessionRequest) => string) | undefined;
  /** Set the cookie (and reset its expiry) on every response. Default false. */
  rolling?: boolean | undefined;
  /** Save unchanged sessions too. Default true (as express-session; false is recommended). */
  resave?: boolean | undefined;
  /** Save new, unchanged sessions (and send their cookie). Default true (false recommended). */
  saveUninitialized?: boolean | undefined;
  /**
   * An express-session store (connect-redis, connect-pg-simple, session-file-store, our
   * `MemoryStore`) or a Latchkey store (`latchkey/stores/*`), which adds per-property writes and
   * destroy that sticks. Default: a new `MemoryStore` (development only).
   */
  store?: ClassicStore | LatchkeyStore | undefined;
  /** What `delete req.session` does: `'keep'` (default: changes are dropped) or `'destroy'`. */
  unset?: 'keep' | 'destroy' | undefined;
  /**
   * Whether to believe `X-Forwarded-Proto` for `secure: 'auto'` and Secure cookies: true, false
   * (only a direct TLS connection is secure), or undefined (default: Express's `trust proxy`).
   */
  proxy?: boolean | undefined;
}

/** Options normalised once at start-up. */
export interface Config {
  readonly name: string;
  readonly secrets: readonly Secret[] | undefined;
  readonly cookie: CookieOptions | ((req: SessionRequest) => CookieOptions);
  readonly genid: (req: SessionRequest) => string;
  readonly rolling: boolean;
  readonly resave: boolean;
  readonly saveUninitialized: boolean;
  readonly store: object;
  readonly backend: Backend;
  readonly unsetDestroy: boolean;
  readonly proxy: boolean | undefined;
}

/** 32 bytes from the OS CSPRNG, base64url (43 characters): more than express-session's 24. */
function defaultGenid(): string {
  return generateToken();
}

function isSecret(value: unknown): value is Secret {
  return (typeof value === 'string' && value !== '') || Buffer.isBuffer(value);
}

/** The secrets of an option (or of cookie-parser's `req.secret`), or undefined when none. */
export function secretsOf(secret: unknown): readonly Secret[] | undefined {
  if (secret === undefined || secret === null || secret === '') return undefined;
  const list: unknown[] = Array.isArray(secret) ? secret : [secret];
  if (list.length === 0 || !list.every(isSecret)) {
    throw new TypeError(
      'session(): secret must be a non-empty string or Buffer, or a non-empty array of them',
    );
  }
  return list;
}

/** @throws TypeError naming the option to fix. */
export function normalizeOptions(options: SessionOptions): Config {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('session(options): options must be an object');
  }
  const { genid = defaultGenid, unset = 'keep', store = new MemoryStore() } = options;
  if (typeof genid !== 'function')
    throw new TypeError('session(): genid option must be a function');
  if (unset !== 'keep' && unset !== 'destroy') {
    throw new TypeError('session(): unset option must be "destroy" or "keep"');
  }
  const cookie = options.cookie ?? {};
  if (typeof cookie !== 'function' && (typeof cookie !== 'object' || cookie === null)) {
    throw new TypeError('session(): cookie option must be an object or a function of the request');
  }
  let backend: Backend;
  if (isLatchkeyStore(store)) backend = latchkeyBackend(store);
  else if (isClassicStore(store)) backend = classicBackend(store);
  else {
    throw new TypeError(
      'session(): store must be an express-session store (get/set/destroy) or a Latchkey store (get/create/update/delete)',
    );
  }
  return {
    name: options.name ?? 'connect.sid',
    secrets: secretsOf(options.secret),
    cookie,
    genid,
    rolling: options.rolling ?? false,
    resave: options.resave ?? true,
    saveUninitialized: options.saveUninitialized ?? true,
    store,
    backend,
    unsetDestroy: unset === 'destroy',
    proxy: options.proxy,
  };
}

/**
 * express-session's insecure defaults are kept for compatibility; each is reported once per
 * `session()` call with the setting that fixes it.
 */
export function warnInsecureDefaults(config: Config): void {
  const warn = (code: string, message: string): void => {
    process.emitWarning(message, { type: 'SecurityWarning', code });
  };
  if (typeof config.cookie === 'object') {
    const { secure, sameSite } = config.cookie;
    if (secure !== true && secure !== 'auto') {
      warn(
        'LATCHKEY_SESSION_NOT_SECURE',
        "session(): the session cookie is sent without Secure, so it leaks over plain HTTP. Set cookie: { secure: true } (or secure: 'auto' behind a proxy with Express's 'trust proxy').",
      );
    }
    if (sameSite === undefined || sameSite === false) {
      warn(
        'LATCHKEY_SESSION_NO_SAMESITE',
        "session(): the session cookie has no SameSite attribute, so cross-site requests carry it (CSRF). Set cookie: { sameSite: 'lax' }.",
      );
    }
  }
  if (config.store instanceof MemoryStore && process.env.NODE_ENV === 'production') {
    warn(
      'LATCHKEY_SESSION_MEMORY_STORE',
      'session(): MemoryStore in production loses every session on restart and does not scale past one process. Set the store option (a Latchkey store from latchkey/stores/*, or connect-redis).',
    );
  }
}
