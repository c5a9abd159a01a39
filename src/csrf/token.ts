import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Session } from '../core/session.js';

/**
 * Layer 2 of CSRF protection: a secret kept in the session, handed to pages as masked tokens.
 *
 * Masking (BREACH): a token is `base64url(mask || mask XOR secret)` with a fresh random mask each
 * time, so the secret never appears twice in compressed responses, yet every token unmasks to the
 * same secret.
 *
 * Rotation at login without a core hook: the secret is stored with the session's `authTime` and
 * `userId`. `session.bindUser()` records a new auth time (and may change the user), which makes the
 * stored secret stale: it is never accepted again and the next `token()` call replaces it. So a token
 * an attacker obtained before the victim logged in is worthless afterwards (SEC-42).
 */

/** The reserved session key holding the secret. Apps must not write it. */
export const SECRET_KEY = '__csrf';

/** 32 bytes from the CSPRNG: 256 bits (SEC-42 asks for at least 128). */
const SECRET_BYTES = 32;
/** base64url of 2 × 32 bytes, no padding. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{86}$/;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** What the session stores under {@link SECRET_KEY}. */
interface StoredSecret {
  /** The secret, base64url. */
  readonly s: string;
  /** The session's auth time when the secret was made (null while anonymous). */
  readonly a: number | null;
  /** The session's user when the secret was made. */
  readonly u: string | null;
}

function isStoredSecret(value: unknown): value is StoredSecret {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.s === 'string' &&
    SECRET_PATTERN.test(v.s) &&
    (v.a === null || typeof v.a === 'number') &&
    (v.u === null || typeof v.u === 'string')
  );
}

/** Session's current stamp: a secret made under another stamp is stale. */
async function stampOf(session: Session): Promise<{ a: number | null; u: string | null }> {
  const info = await session.info();
  return { a: info.authTime, u: info.userId };
}

/**
 * The session's current secret, or null when it has none or only a stale one (made before the
 * latest login). Reads the session (one store read if not loaded yet); never writes.
 */
export async function currentSecret(session: Session): Promise<Buffer | null> {
  const stored = await session.get(SECRET_KEY);
  if (!isStoredSecret(stored)) return null;
  const stamp = await stampOf(session);
  if (stored.a !== stamp.a || stored.u !== stamp.u) return null;
  return Buffer.from(stored.s, 'base64url');
}

/**
 * The session's secret, creating (or replacing a stale) one. Creating writes the session, so an
 * anonymous visitor's session becomes stored: call this only on pages that show a form.
 * @throws SessionStateError when called after the response was sent (the secret would be lost).
 */
export async function ensureSecret(session: Session): Promise<Buffer> {
  const existing = await currentSecret(session);
  if (existing !== null) return existing;
  const secret = randomBytes(SECRET_BYTES);
  const stored: StoredSecret = { s: secret.toString('base64url'), ...(await stampOf(session)) };
  await session.set(SECRET_KEY, stored);
  return secret;
}

/** A masked token for `secret`: different on every call, 86 base64url characters. */
export function maskSecret(secret: Buffer): string {
  const mask = randomBytes(secret.length);
  const masked = Buffer.alloc(secret.length);
  for (let i = 0; i < secret.length; i++) masked[i] = (mask[i] ?? 0) ^ (secret[i] ?? 0);
  return Buffer.concat([mask, masked]).toString('base64url');
}

/**
 * True when `token` is a masked form of `secret`. Any malformed input (wrong length, characters
 * outside base64url, not a string) is false, never an exception. The unmasked value is compared in
 * constant time.
 */
export function tokenMatches(token: unknown, secret: Buffer): boolean {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return false;
  const raw = Buffer.from(token, 'base64url');
  // One spelling per token: base64url's spare bits in the last character must be zero.
  if (raw.length !== 2 * secret.length || raw.toString('base64url') !== token) return false;
  const unmasked = Buffer.alloc(secret.length);
  for (let i = 0; i < secret.length; i++) {
    unmasked[i] = (raw[i] ?? 0) ^ (raw[secret.length + i] ?? 0);
  }
  return timingSafeEqual(unmasked, secret);
}
