import { serialize } from 'cookie';
import { LatchkeyError } from './errors.js';
import type { ResolvedCookieOptions } from './options.js';

/** Browsers ignore a Set-Cookie larger than this (RFC 6265bis section 5.7); we refuse to send it. */
export const MAX_SET_COOKIE_BYTES = 4096;

const SPACE = 0x20;
const TAB = 0x09;
const EQUALS = 0x3d;
const SEMICOLON = 0x3b;

function isBlank(code: number): boolean {
  return code === SPACE || code === TAB;
}

/** The first index of `header[from, to)` that is not a space or tab (`to` if there is none). */
function blanksSkipped(header: string, from: number, to: number): number {
  let index = from;
  while (index < to && isBlank(header.charCodeAt(index))) index++;
  return index;
}

/** The end of `header[from, to)` without trailing spaces and tabs. */
function blanksTrimmed(header: string, from: number, to: number): number {
  let index = to;
  while (index > from && isBlank(header.charCodeAt(index - 1))) index--;
  return index;
}

/** True when `header[from, to)`, without surrounding spaces and tabs, is exactly `name`. */
function keyIs(header: string, from: number, to: number, name: string): boolean {
  const start = blanksSkipped(header, from, to);
  return blanksTrimmed(header, start, to) - start === name.length && header.startsWith(name, start);
}

/** `header[from, to)` without surrounding spaces and tabs, percent-decoded where that is valid. */
function valueOf(header: string, from: number, to: number): string {
  const start = blanksSkipped(header, from, to);
  const value = header.slice(start, blanksTrimmed(header, start, to));
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // Not valid percent-encoding: the value as sent, as the `cookie` package does.
  }
}

/**
 * The value of our cookie in a Cookie header, or undefined when there is none. Never throws: a
 * hostile or malformed header reads as absent. With duplicates, the first one wins (browsers send
 * the most specific path first). Several Cookie headers must be joined with "; " by the caller
 * (node:http does so).
 *
 * This is `parse(header)[name]` of the `cookie` package, rule for rule (pairs split at `;`, the
 * name and value trimmed of spaces and tabs, a pair without `=` skipped, the value percent-decoded
 * when valid), without building an object of every cookie in the header: it runs on every request,
 * and that object's keys cost a string-table lookup each. A differential property test
 * (test/fuzz/cookie-header.ts) holds the two to the same answer for any header.
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length < 2) return undefined;
  // Most requests of a site carry no session cookie at all: one search settles those.
  const at = header.indexOf(name);
  if (at === -1) return undefined;
  // The usual header has our cookie as a pair of its own (`name=value`, first or after `; `). Then
  // the first occurrence of the name is the first pair so named: any earlier one would contain it.
  // (Names are trimmed like the pairs: one with blanks at its ends never matches, so it takes the
  // general path.)
  const eq = at + name.length;
  if (header.charCodeAt(eq) === EQUALS && startsPair(header, at) && !hasBlankEnds(name)) {
    const semicolon = header.indexOf(';', eq);
    return valueOf(header, eq + 1, semicolon === -1 ? header.length : semicolon);
  }
  return readPairs(header, name);
}

function hasBlankEnds(name: string): boolean {
  return (
    name.length > 0 && (isBlank(name.charCodeAt(0)) || isBlank(name.charCodeAt(name.length - 1)))
  );
}

/** True when only spaces and tabs stand between `at` and the start of its pair. */
function startsPair(header: string, at: number): boolean {
  const start = blanksTrimmed(header, 0, at);
  return start === 0 || header.charCodeAt(start - 1) === SEMICOLON;
}

/** The general case of {@link readCookie}: pair by pair, as the `cookie` package parses. */
function readPairs(header: string, name: string): string | undefined {
  const length = header.length;
  let index = 0;
  do {
    const eq = header.indexOf('=', index);
    if (eq === -1) return undefined; // No more pairs.
    const semicolon = header.indexOf(';', index);
    const end = semicolon === -1 ? length : semicolon;
    if (eq > end) {
      // This pair has no `=`: go on from the last `;` before the next one.
      index = header.lastIndexOf(';', eq - 1) + 1;
      continue;
    }
    if (keyIs(header, index, eq, name)) return valueOf(header, eq + 1, end);
    index = end + 1;
  } while (index < length);
  return undefined;
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
