import { ConfigurationError } from '../core/errors.js';
import type { Session } from '../core/session.js';

/**
 * Framework-agnostic route guards: each decides from a request-like object and returns either the
 * user or a denial that any framework can write out (status, headers, body).
 */

/** What a guard needs from a request. Adapters fill it from their own request object. */
export interface GuardRequest<S = Session> {
  readonly session: S;
  /** HTTP method; only GET and HEAD requests are remembered in `return_to`. */
  readonly method?: string | undefined;
  /** The request target as received (`req.url`: path and query). */
  readonly url?: string | undefined;
  /** The `Accept` header: JSON (or no HTML) means an API client, which gets 401 JSON. */
  readonly accept?: string | undefined;
  /** Client address and User-Agent, for the binding policy (SEC-48). */
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

/** A guard said no. Write `status`, `headers` and `body` as they are. */
export interface GuardDenial {
  readonly ok: false;
  /** 401 for API clients, 303 (to the login page) for browsers. */
  readonly status: 401 | 303;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Why: not logged in, or logged in too long ago for this action. */
  readonly reason: 'unauthenticated' | 'reauthentication-required';
}

/** A guard's answer. */
export type GuardResult<U> = { readonly ok: true; readonly user: U } | GuardDenial;

/** Options of the guards. */
export interface GuardOptions {
  /** Where browsers are sent. Default `"/login"`. Must be a same-origin path. */
  readonly loginPath?: string;
  /** Query parameter carrying the page to return to. Default `"return_to"`. */
  readonly returnToParam?: string;
}

const MAX_RETURN_TO = 2048;
// C0 controls, DEL, and C1 controls: browsers strip or reinterpret some of them (tab, newline).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const JSON_TYPE = /\bapplication\/(?:[\w.+-]+\+)?json\b/i;
const ORIGIN = 'http://return-to.invalid';

function isSafePath(path: string): boolean {
  if (!path.startsWith('/') || path.startsWith('//')) return false;
  // Browsers read "\" as "/" in http(s) URLs: "/\evil.com" would be "//evil.com".
  if (path.includes('\\') || CONTROL.test(path)) return false;
  try {
    const url = new URL(path, ORIGIN);
    return url.origin === ORIGIN;
  } catch {
    return false;
  }
}

/**
 * `value` if it is a same-origin relative path that is safe to redirect to, else null: it must
 * start with exactly one "/", hold no backslash or control character, stay on this origin when
 * resolved, and still pass those checks after percent-decoding (so "/%2F%2Fevil.com" is refused
 * even if a later hop decodes it). Protocol-relative URLs, absolute URLs, `javascript:` and the
 * rest are refused: no open redirect (OWASP Unvalidated Redirects Cheat Sheet).
 *
 * @example
 * res.redirect(303, safeReturnTo(query.return_to) ?? '/');
 */
export function safeReturnTo(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return null;
  let current = value;
  // Decode until stable (at most a few rounds): each layer must be safe too.
  for (let round = 0; round < 4; round++) {
    if (!isSafePath(current)) return null;
    let decoded: string;
    try {
      decoded = decodeURIComponent(current);
    } catch {
      return null; // malformed percent-encoding
    }
    if (decoded === current) return value;
    current = decoded;
  }
  return null;
}

/** True when the client wants JSON (an API call) rather than an HTML page. */
export function wantsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === '') return true;
  if (JSON_TYPE.test(accept)) return true;
  return !/\btext\/html\b/i.test(accept);
}

/** @internal Builds the denial for a request. */
export function deny(
  request: GuardRequest<unknown>,
  reason: GuardDenial['reason'],
  options: Required<GuardOptions>,
): GuardDenial {
  if (wantsJson(request.accept)) {
    return {
      ok: false,
      status: 401,
      reason,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: JSON.stringify({ error: reason }),
    };
  }
  const method = (request.method ?? 'GET').toUpperCase();
  const back = method === 'GET' || method === 'HEAD' ? safeReturnTo(request.url) : null;
  const query = new URLSearchParams();
  if (back !== null) query.set(options.returnToParam, back);
  if (reason === 'reauthentication-required') query.set('reauth', '1');
  const search = query.size > 0 ? `?${query.toString()}` : '';
  return {
    ok: false,
    status: 303,
    reason,
    headers: { location: options.loginPath + search, 'cache-control': 'no-store' },
    body: '',
  };
}

/** @internal Validates guard options once. */
export function resolveGuardOptions(options: GuardOptions = {}): Required<GuardOptions> {
  const loginPath = options.loginPath ?? '/login';
  if (safeReturnTo(loginPath) === null || loginPath.includes('?')) {
    throw new ConfigurationError(
      `createAuth: guards.loginPath must be a same-origin path without a query such as "/login", got ${JSON.stringify(loginPath)}`,
    );
  }
  return { loginPath, returnToParam: options.returnToParam ?? 'return_to' };
}
