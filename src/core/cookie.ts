import { parse, serialize } from 'cookie';
import { LatchkeyError } from './errors.js';
import type { ResolvedCookieOptions } from './options.js';

/** Browsers ignore a Set-Cookie larger than this (RFC 6265bis section 5.7); we refuse to send it. */
export const MAX_SET_COOKIE_BYTES = 4096;

/** What the request's Cookie header says about our cookie. */
export interface CookieValue {
  /** True when a cookie of our name was present at all, whatever its value. */
  readonly present: boolean;
  /** Its value; with duplicates, the first one (browsers send the most specific path first). */
  readonly value: string | undefined;
}

const ABSENT: CookieValue = Object.freeze({ present: false, value: undefined });

/**
 * Reads our cookie from a Cookie header. Never throws: a hostile or malformed header reads as
 * absent. Several Cookie headers must be joined with "; " by the caller (node:http does so).
 */
export function readCookie(header: string | undefined, name: string): CookieValue {
  // Cheap early exit: most requests of a site carry no session cookie at all.
  if (header === undefined || !header.includes(name)) return ABSENT;
  const value = parse(header)[name];
  return value === undefined ? ABSENT : { present: true, value };
}

/**
 * A Set-Cookie value carrying `value`. `maxAge` (seconds) makes it persistent; omit it for a
 * browser-session cookie.
 * @throws LatchkeyError if the result exceeds 4096 bytes (SEC-14).
 */
export function serializeCookie(
  options: ResolvedCookieOptions,
  value: string,
  maxAge?: number,
): string {
  const header = serialize(options.name, value, {
    path: options.path,
    httpOnly: options.httpOnly,
    secure: options.secure,
    sameSite: options.sameSite,
    partitioned: options.partitioned,
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    ...(maxAge === undefined ? {} : { maxAge }),
  });
  const bytes = Buffer.byteLength(header);
  if (bytes > MAX_SET_COOKIE_BYTES) {
    throw new LatchkeyError(
      `Set-Cookie "${options.name}" would be ${bytes} bytes; browsers drop cookies over ${MAX_SET_COOKIE_BYTES} bytes`,
    );
  }
  return header;
}

/** A Set-Cookie that deletes the cookie: same name, path and domain, empty value, expired (SEC-29). */
export function clearCookie(options: ResolvedCookieOptions): string {
  return serialize(options.name, '', {
    path: options.path,
    httpOnly: options.httpOnly,
    secure: options.secure,
    sameSite: options.sameSite,
    partitioned: options.partitioned,
    ...(options.domain === undefined ? {} : { domain: options.domain }),
    maxAge: 0,
    expires: new Date(0),
  });
}
