import { randomBytes } from 'node:crypto';

/**
 * A new secret for LATCHKEY_SECRET, sealed-cookie key rings and the auth module: 32 random bytes
 * (256 bits) from the OS CSPRNG, base64url.
 */
export function keygen(bytes = 32): string {
  if (!Number.isInteger(bytes) || bytes < 32 || bytes > 1024) {
    throw new RangeError(`--bytes must be a whole number from 32 to 1024, got ${String(bytes)}`);
  }
  return randomBytes(bytes).toString('base64url');
}
