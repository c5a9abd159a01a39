import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * @internal The credential fingerprint a session carries (`meta.cred`): an HMAC of the user's
 * current password hash. When the password changes anywhere, the hash changes, so every session
 * made with the old password stops matching and ends at its next request, even one the store's
 * per-user index failed to list. Keyed with the app's secret, so a leaked session record reveals
 * nothing about the hash.
 */
export function credentialFingerprint(
  secret: Buffer,
  userId: string,
  passwordHash: string | null,
): string {
  return createHmac('sha256', secret)
    .update(`latchkey-cred\0${userId}\0${passwordHash ?? ''}`)
    .digest('base64url');
}

/** @internal Constant-time comparison of two fingerprints; false for anything not a string. */
export function fingerprintMatches(expected: string, actual: unknown): boolean {
  if (typeof actual !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(actual);
  return a.length === b.length && timingSafeEqual(a, b);
}
