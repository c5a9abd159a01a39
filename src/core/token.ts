import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';

/**
 * Session tokens. The client holds the raw token; everything on the server (stores, events, logs)
 * sees only its SHA-256 hash, so a leaked store dump or log line cannot be replayed as a cookie.
 */

/** 32 random bytes: 256 bits from the operating system's CSPRNG (SEC-01). */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes without padding is always 43 characters. */
export const TOKEN_LENGTH = 43;
const TOKEN_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${TOKEN_LENGTH}}$`);
/** Length of the public id shown to users and carried by events: 64 bits of the hash. */
const PUBLIC_ID_LENGTH = 16;

/** A fresh token. Opaque: carries no user data and no timestamps (SEC-02). */
export function generateToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

/** True when `value` has the exact shape of a token we issue; anything else is never looked up. */
export function isWellFormedToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

// crypto.hash (Node >= 20.12) skips allocating a Hash object: about twice as fast for short input.
const oneShotHash = (
  crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }
).hash;

/** The store key for a token: SHA-256, hex. */
export function hashToken(token: string): string {
  return oneShotHash === undefined
    ? createHash('sha256').update(token).digest('hex')
    : oneShotHash('sha256', token, 'hex');
}

/**
 * The short public id of a session (a prefix of its store key): safe to show in a "your devices"
 * list, put in events and logs, and use to revoke one session. It cannot be turned back into a
 * token.
 */
export function publicIdOf(storeId: string): string {
  return storeId.slice(0, PUBLIC_ID_LENGTH);
}
