import { ConfigurationError } from '../core/errors.js';

/**
 * Layer 1 of CSRF protection: is an unsafe request coming from our own pages? Browsers attach
 * `Sec-Fetch-Site` (Fetch Metadata) and `Origin` to cross-origin requests, and a page cannot forge
 * either, so these headers tell a cross-site form post or fetch apart from our own. Non-browser
 * clients can send anything here; they are not the CSRF threat (they have no victim's cookies) and
 * are left to the token layer.
 */

/** Why layer 1 refused a request. */
export type OriginFailure = 'cross-site' | 'origin-mismatch';

/** What layer 1 needs from the request. */
export interface OriginInput {
  /** Reads a request header by lower-case name. */
  readonly header: (name: string) => string | undefined;
  /** True when the request reached the app over TLS (used only to derive the app's origin). */
  readonly secure: boolean;
}

/** The validated origin settings (frozen by `createCsrf`). */
export interface OriginPolicy {
  /** The app's own origins, or null to derive it from each request's Host header. */
  readonly origins: ReadonlySet<string> | null;
  /** Other origins allowed to send unsafe requests (e.g. a separate admin front end). */
  readonly trusted: ReadonlySet<string>;
  readonly allowSameSite: boolean;
}

/**
 * Normalises a configured origin (`https://app.example.com`, default ports dropped, lower case).
 * @throws ConfigurationError when `value` is not a bare http(s) origin: a path, query, fragment,
 *   credentials, a wildcard or another scheme would make the exact-match rule ambiguous.
 */
export function normalizeOrigin(value: string, option: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `csrf ${option}: ${JSON.stringify(value)} is not a URL; write an origin like "https://app.example.com"`,
    );
  }
  const bare =
    (url.protocol === 'https:' || url.protocol === 'http:') &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '' &&
    !value.includes('*');
  if (!bare) {
    throw new ConfigurationError(
      `csrf ${option}: ${JSON.stringify(value)} must be a bare origin (scheme, host and optional port, no path, wildcard or credentials), like "https://app.example.com"`,
    );
  }
  return url.origin;
}

/** Host header syntax we accept for deriving the origin: a host name or IP literal, optional port. */
const HOST_PATTERN = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The origin of the request as the client addressed it, from the Host header and the transport's
 * scheme. A cross-site page cannot change the Host a browser sends, so comparing the Origin header
 * with it is sound against CSRF. Behind a proxy that rewrites Host or terminates TLS, configure
 * `origin` instead. Returns null when Host is missing or malformed (the request then fails the
 * comparison: never throws).
 */
export function requestOrigin(input: OriginInput): string | null {
  const host = input.header('host') ?? input.header(':authority');
  if (host === undefined || !HOST_PATTERN.test(host)) return null;
  try {
    return new URL(`${input.secure ? 'https' : 'http'}://${host}`).origin;
  } catch {
    return null;
  }
}

/** The origin of a Referer URL, or null when it is not an absolute http(s) URL. */
function refererOrigin(referer: string): string | null {
  try {
    const url = new URL(referer);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * Checks an unsafe request. Order of evidence:
 * 1. `Sec-Fetch-Site`: `same-origin` and `none` (the user's own action, e.g. a bookmark) pass;
 *    `same-site` passes only with `allowSameSite`; `cross-site`, `same-site` and unknown values
 *    fail as `cross-site`, unless `Origin` is exactly a trusted origin.
 * 2. Otherwise `Origin`: `null` is `cross-site`; it must equal the app's origin or a trusted one,
 *    byte for byte, else `origin-mismatch` (so `https://app.example.com.evil.test` fails).
 * 3. Otherwise `Referer`'s origin, compared the same way.
 * 4. None of these headers (a non-browser client or a very old browser): passes; the token layer
 *    still applies.
 * Returns null when the request passes.
 */
export function checkOrigin(policy: OriginPolicy, input: OriginInput): OriginFailure | null {
  const origin = input.header('origin');
  const site = input.header('sec-fetch-site')?.trim().toLowerCase();
  if (site !== undefined) {
    if (site === 'same-origin' || site === 'none') return null;
    if (site === 'same-site' && policy.allowSameSite) return null;
    if (origin !== undefined && policy.trusted.has(origin)) return null;
    return 'cross-site';
  }
  let claimed: string | null;
  if (origin !== undefined) {
    if (origin.trim() === 'null') return 'cross-site';
    claimed = origin;
  } else {
    const referer = input.header('referer');
    if (referer === undefined) return null;
    claimed = refererOrigin(referer);
    if (claimed === null) return 'origin-mismatch';
  }
  if (policy.trusted.has(claimed)) return null;
  if (policy.origins !== null) return policy.origins.has(claimed) ? null : 'origin-mismatch';
  return claimed === requestOrigin(input) ? null : 'origin-mismatch';
}
