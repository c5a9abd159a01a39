import { serialize, type SerializeOptions } from 'cookie';

/** The session cookie's attributes as express-session stores them next to the data. */
export interface CookieData {
  originalMaxAge: number | null;
  partitioned?: boolean | undefined;
  priority?: 'low' | 'medium' | 'high' | undefined;
  expires: Date | null;
  secure?: boolean | undefined;
  httpOnly?: boolean | undefined;
  domain?: string | undefined;
  path?: string | undefined;
  sameSite?: boolean | 'lax' | 'strict' | 'none' | undefined;
}

/**
 * The `cookie` option of {@link session}. Defaults: `{ path: '/', httpOnly: true, secure: false,
 * maxAge: null }` (a browser-session cookie without SameSite: set `secure: true` and
 * `sameSite: 'lax'` in production). `secure: 'auto'` and `sameSite: 'auto'` follow the
 * connection's security (see `proxy`). When both `maxAge` and `expires` are given, the later one
 * in the object wins.
 */
export interface CookieOptions {
  maxAge?: number | null | undefined;
  expires?: Date | null | undefined;
  httpOnly?: boolean | undefined;
  secure?: boolean | 'auto' | undefined;
  sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto' | undefined;
  path?: string | undefined;
  domain?: string | undefined;
  partitioned?: boolean | undefined;
  priority?: 'low' | 'medium' | 'high' | undefined;
  /** Restored from a store; not a setting of its own. */
  originalMaxAge?: number | null | undefined;
}

const ATTRIBUTES = new Set([
  'maxAge',
  'expires',
  'httpOnly',
  'secure',
  'sameSite',
  'path',
  'domain',
  'partitioned',
  'priority',
  'originalMaxAge',
]);

/**
 * `req.session.cookie`: the session cookie's attributes, saved with the session. `maxAge` reads as
 * the time left (ms) and writing it moves `expires`; `touch()` (run at the end of each request that
 * sets the cookie) resets it to `originalMaxAge`.
 */
export class Cookie {
  path = '/';
  httpOnly: boolean | undefined = true;
  secure: boolean | 'auto' | undefined = undefined;
  sameSite: boolean | 'lax' | 'strict' | 'none' | 'auto' | undefined = undefined;
  domain: string | undefined = undefined;
  partitioned: boolean | undefined = undefined;
  priority: 'low' | 'medium' | 'high' | undefined = undefined;
  originalMaxAge: number | null = null;
  #expires: Date | null = null;

  /** @throws TypeError when `options` is not an object, or `maxAge` is a Date. */
  constructor(options?: CookieOptions) {
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new TypeError('argument options must be a object');
      const target = this as unknown as Record<string, unknown>;
      for (const [key, value] of Object.entries(options)) {
        if (ATTRIBUTES.has(key)) target[key] = value;
      }
    }
    if (options?.originalMaxAge === undefined || options.originalMaxAge === null) {
      this.originalMaxAge = this.maxAge;
    }
  }

  /** When the cookie expires, or null for a browser-session cookie. Also sets `originalMaxAge`. */
  get expires(): Date | null {
    return this.#expires;
  }

  set expires(date: Date | null | undefined) {
    this.#expires = date ?? null;
    this.originalMaxAge = this.maxAge;
  }

  /** Milliseconds left before `expires` (null without one); setting it moves `expires`. */
  get maxAge(): number | null {
    return this.#expires === null ? null : this.#expires.getTime() - Date.now();
  }

  set maxAge(ms: number | null | undefined) {
    if ((ms as unknown) instanceof Date) throw new TypeError('maxAge must be a number');
    this.expires = typeof ms === 'number' ? new Date(Date.now() + ms) : null;
  }

  /** The attributes as saved with the session. */
  get data(): CookieData {
    return {
      originalMaxAge: this.originalMaxAge,
      partitioned: this.partitioned,
      priority: this.priority,
      expires: this.#expires,
      secure: this.secure === 'auto' ? undefined : this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite === 'auto' ? undefined : this.sameSite,
    };
  }

  /** A Set-Cookie value for `name=value` with these attributes (value URL-encoded). */
  serialize(name: string, value: string): string {
    const data = this.data;
    const options: SerializeOptions = {};
    if (data.expires !== null) options.expires = data.expires;
    if (data.httpOnly === true) options.httpOnly = true;
    if (data.secure === true) options.secure = true;
    if (data.partitioned === true) options.partitioned = true;
    if (data.priority !== undefined) options.priority = data.priority;
    if (data.domain !== undefined) options.domain = data.domain;
    if (data.path !== undefined) options.path = data.path;
    if (data.sameSite !== undefined && data.sameSite !== false) options.sameSite = data.sameSite;
    return serialize(name, value, options);
  }

  toJSON(): CookieData {
    return this.data;
  }
}

/** A cookie restored from what a store saved (expires as an ISO string, originalMaxAge kept). */
export function restoreCookie(saved: unknown): Cookie {
  const fields = typeof saved === 'object' && saved !== null ? { ...saved } : {};
  const { expires, originalMaxAge } = fields as { expires?: unknown; originalMaxAge?: unknown };
  delete (fields as { expires?: unknown }).expires;
  const cookie = new Cookie(fields);
  if (typeof expires === 'string' || typeof expires === 'number' || expires instanceof Date) {
    const date = new Date(expires);
    if (!Number.isNaN(date.getTime())) cookie.expires = date;
  }
  cookie.originalMaxAge =
    typeof originalMaxAge === 'number' ? originalMaxAge : cookie.originalMaxAge;
  return cookie;
}
