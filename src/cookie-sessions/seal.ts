import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { KeyRing } from './keyring.js';

/**
 * The sealed-cookie envelope: `v1.<keyId>.<base64url(iv | ciphertext | tag)>`.
 *
 * AES-256-GCM with a fresh 12-byte random IV per seal and a 16-byte tag. The associated data
 * binds the version, the key id and the cookie name, so a value sealed for one cookie (or one
 * app sharing the keys under another cookie name) does not open as another.
 *
 * Random 96-bit IVs keep GCM safe for about 2^32 seals per key (NIST SP 800-38D section 8.3).
 * Every re-seal counts (login, each change, each touch), so a busy site should rotate its newest
 * key long before that: monthly rotation is a comfortable habit.
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** A cookie cannot be larger than this, so neither can a value we would accept. */
const MAX_SEALED_LENGTH = 4096;
const ENVELOPE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]+)$/;

/** Why a value did not unseal. Hostile input lands here; nothing throws. */
export type UnsealFailure = 'malformed' | 'unknown-key' | 'tampered';

export type UnsealResult =
  | { readonly ok: true; readonly plaintext: string; readonly keyId: string }
  | { readonly ok: false; readonly reason: UnsealFailure; readonly keyId?: string };

function aad(keyId: string, context: string): Buffer {
  return Buffer.from(`latchkey-cookie-session|${VERSION}|${keyId}|${context}`, 'utf8');
}

/** Encrypts `plaintext` with the ring's newest key; `context` is the cookie name. */
export function seal(ring: KeyRing, context: string, plaintext: string): string {
  const { id, key } = ring.current;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(id, context));
  const body = Buffer.concat([
    iv,
    cipher.update(plaintext, 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return `${VERSION}.${id}.${body.toString('base64url')}`;
}

/**
 * Opens a value made by {@link seal} with any key of the ring. Never throws: anything that is not
 * exactly a value we sealed (wrong format, non-canonical base64, unknown key id, a changed bit
 * anywhere, a value sealed for another cookie) is a failure with a reason.
 */
export function unseal(ring: KeyRing, context: string, sealed: string): UnsealResult {
  if (sealed.length > MAX_SEALED_LENGTH) return { ok: false, reason: 'malformed' };
  const match = ENVELOPE.exec(sealed);
  if (match === null) return { ok: false, reason: 'malformed' };
  const keyId = match[1] ?? '';
  const encoded = match[2] ?? '';
  const body = Buffer.from(encoded, 'base64url');
  // Node's decoder ignores the spare low bits of the last character; requiring the canonical
  // encoding makes every changed character a rejection, not a silent alias of the same bytes.
  if (body.length < IV_BYTES + TAG_BYTES + 1 || body.toString('base64url') !== encoded) {
    return { ok: false, reason: 'malformed' };
  }
  const ringKey = ring.find(keyId);
  if (ringKey === undefined) return { ok: false, reason: 'unknown-key', keyId };
  try {
    const decipher = createDecipheriv('aes-256-gcm', ringKey.key, body.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aad(keyId, context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(body.subarray(IV_BYTES, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return { ok: true, plaintext: plain.toString('utf8'), keyId };
  } catch {
    return { ok: false, reason: 'tampered', keyId };
  }
}
