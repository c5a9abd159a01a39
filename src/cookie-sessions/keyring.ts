import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { ConfigurationError } from '../core/errors.js';

/**
 * One secret of the key ring: a string or bytes of at least 32 bytes, optionally with an explicit
 * id. Without an id, one is derived from the secret (a one-way HKDF output, 8 characters), so the
 * id stays the same when keys are added or removed around it.
 */
export type SecretInput =
  string | Uint8Array | { readonly id: string; readonly secret: string | Uint8Array };

/** A key ready to seal or unseal: its id (written in the cookie) and its AES-256 key. */
export interface RingKey {
  readonly id: string;
  readonly key: KeyObject;
}

/** The keys in force: the first seals, every one unseals. */
export interface KeyRing {
  readonly current: RingKey;
  /** Every id, newest first. */
  readonly ids: readonly string[];
  /** Looks a key up by the id written in a cookie; undefined for an id we do not hold. */
  find(id: string): RingKey | undefined;
}

/** Secrets shorter than this are refused: 256 bits is what AES-256 deserves. */
export const MIN_SECRET_BYTES = 32;
/** Key ids are written in the cookie: short, cookie-safe and free of the "." separator. */
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
// Domain separation: the same secret used elsewhere (say, by the CSRF module) yields other keys.
const SALT = 'latchkey/cookie-sessions';
const ENCRYPTION_INFO = 'aes-256-gcm key v1';
const ID_INFO = 'key id v1';

function fail(message: string): never {
  throw new ConfigurationError(`createCookieSessions: ${message}`);
}

function secretBytes(secret: unknown, position: string): Buffer {
  let bytes: Buffer;
  if (typeof secret === 'string') bytes = Buffer.from(secret, 'utf8');
  else if (secret instanceof Uint8Array) bytes = Buffer.from(secret);
  else {
    return fail(
      `${position} must be a string, a Buffer or { id, secret }; generate one with: openssl rand -base64 32`,
    );
  }
  if (bytes.length < MIN_SECRET_BYTES) {
    fail(
      `${position} is ${bytes.length} bytes; secrets must be at least ${MIN_SECRET_BYTES} bytes of random data (generate one with: openssl rand -base64 32)`,
    );
  }
  return bytes;
}

function derive(secret: Buffer, info: string, length: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, info, length));
}

/**
 * Validates the `keys` option and derives the AES keys, once, at start-up.
 * @throws ConfigurationError when keys are missing, too short, repeated or have a bad id.
 */
export function createKeyRing(keys: unknown): KeyRing {
  const list: unknown[] = Array.isArray(keys) ? keys : keys === undefined ? [] : [keys];
  if (list.length === 0) {
    fail(
      '"keys" is required: one or more secrets of at least 32 bytes, newest first (generate one with: openssl rand -base64 32)',
    );
  }
  const ring = new Map<string, RingKey>();
  const seen = new Set<string>();
  list.forEach((entry, index) => {
    const position = `keys[${index}]`;
    const explicit = typeof entry === 'object' && entry !== null && !(entry instanceof Uint8Array);
    const rawSecret: unknown = explicit ? (entry as { secret?: unknown }).secret : entry;
    const secret = secretBytes(rawSecret, explicit ? `${position}.secret` : position);
    const fingerprint = secret.toString('base64');
    if (seen.has(fingerprint)) fail(`${position} repeats an earlier secret; remove the duplicate`);
    seen.add(fingerprint);
    let id: string;
    if (explicit) {
      const given: unknown = (entry as { id?: unknown }).id;
      if (typeof given !== 'string' || !KEY_ID.test(given)) {
        fail(
          `${position}.id must be 1 to 32 characters of A-Z a-z 0-9 - _, got ${JSON.stringify(given)}`,
        );
      }
      id = given;
    } else {
      id = derive(secret, ID_INFO, 6).toString('base64url');
    }
    if (ring.has(id))
      fail(`${position} has the id "${id}" of an earlier key; key ids must be unique`);
    ring.set(id, { id, key: createSecretKey(derive(secret, ENCRYPTION_INFO, 32)) });
  });
  const current = ring.values().next().value;
  if (current === undefined) return fail('"keys" is empty');
  return Object.freeze({ current, ids: [...ring.keys()], find: (id: string) => ring.get(id) });
}
