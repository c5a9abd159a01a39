import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * express-session's signed cookie value: `s:` + id + `.` + base64 (standard alphabet, padding
 * removed) of HMAC-SHA256(id) under a secret. Kept byte for byte so cookies issued before a
 * migration keep working after it.
 */

/** A secret as express-session accepts it: anything `crypto.createHmac` takes as a key. */
export type Secret = string | Buffer;

function mac(value: string, secret: Secret): string {
  return createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
}

/** The cookie value (before URL encoding) for `id`, signed with `secret`. */
export function signId(id: string, secret: Secret): string {
  return `s:${id}.${mac(id, secret)}`;
}

/**
 * The id inside a signed cookie value, or undefined when the value is not signed or no secret
 * verifies it. Tries every secret (rotation), compares in constant time, never throws.
 */
export function unsignId(raw: string, secrets: readonly Secret[]): string | undefined {
  if (!raw.startsWith('s:')) return undefined;
  const dot = raw.lastIndexOf('.');
  if (dot < 2) return undefined;
  const id = raw.slice(2, dot);
  const given = Buffer.from(raw.slice(dot + 1));
  let found = false;
  for (const secret of secrets) {
    const expected = Buffer.from(mac(id, secret));
    // Length first: timingSafeEqual throws on different lengths; the length of a MAC is public.
    if (expected.length === given.length && timingSafeEqual(expected, given)) found = true;
  }
  return found ? id : undefined;
}
