import { createRequire } from 'node:module';
import { ConfigurationError } from '../core/errors.js';

/**
 * Password hashing (SEC-49..51). The default hasher is argon2id through `@node-rs/argon2`, whose
 * `hash`/`verify` run on libuv's thread pool, so a login never blocks the event loop.
 */

/** Hashes and verifies passwords. Inject your own (or a fast one in tests) through `createAuth`. */
export interface PasswordHasher {
  /** A self-describing hash string (PHC format for argon2: algorithm, parameters, salt, digest). */
  hash(password: string): Promise<string>;
  /** True when `password` matches `hash`. A malformed hash resolves to false, never rejects. */
  verify(hash: string, password: string): Promise<boolean>;
  /** True when `hash` was made with other parameters (or another algorithm) than `hash()` uses now. */
  needsRehash(hash: string): boolean;
}

/** argon2id cost parameters. */
export interface Argon2Options {
  /** Memory in KiB. Default 19456 (19 MiB), the OWASP Password Storage Cheat Sheet minimum. */
  readonly memoryCost?: number;
  /** Passes over memory. Default 2. */
  readonly timeCost?: number;
  /** Lanes. Default 1. */
  readonly parallelism?: number;
}

/** OWASP's argon2id configuration (m=19 MiB, t=2, p=1): the default, and the floor SEC-49 sets. */
export const ARGON2_DEFAULTS = Object.freeze({ memoryCost: 19456, timeCost: 2, parallelism: 1 });

/** Shortest accepted password, in Unicode code points after normalisation (ASVS 6.2.1). */
export const MIN_PASSWORD_LENGTH = 8;
/**
 * Longest accepted password, in code points after normalisation. Long enough for any passphrase
 * (ASVS asks for at least 64) and short enough that hashing it costs nothing extra; longer input is
 * refused, never truncated.
 */
export const MAX_PASSWORD_LENGTH = 1024;

// @node-rs/argon2 declares Algorithm as a const enum, which isolatedModules cannot read.
const ARGON2ID = 2;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type Argon2Module = typeof import('@node-rs/argon2');
let argon2: Argon2Module | null = null;

/** Loads the optional peer dependency on first use, so a custom hasher works without it. */
function loadArgon2(): Argon2Module {
  if (argon2 !== null) return argon2;
  try {
    argon2 = createRequire(import.meta.url)('@node-rs/argon2') as Argon2Module;
    return argon2;
  } catch (error) {
    throw new ConfigurationError(
      'latchkey/auth: the default password hasher needs "@node-rs/argon2"; run `npm install @node-rs/argon2` or pass your own `hasher`',
      { cause: error },
    );
  }
}

function positiveInteger(value: number, what: string, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigurationError(
      `argon2Hasher: ${what} must be an integer >= ${min}, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * The argon2id hasher. Defaults are OWASP's (m=19456 KiB, t=2, p=1). Lower values are accepted so
 * tests can run fast (`argon2Hasher({ memoryCost: 256, timeCost: 1 })`), but never use them in
 * production: they make offline cracking of a leaked database cheap.
 *
 * `needsRehash` compares the parameters inside the PHC string with these: after you raise them,
 * each user's hash is upgraded at their next successful login.
 *
 * @throws ConfigurationError when `@node-rs/argon2` is not installed or a parameter is out of range.
 */
export function argon2Hasher(options: Argon2Options = {}): PasswordHasher {
  const params = {
    memoryCost: positiveInteger(
      options.memoryCost ?? ARGON2_DEFAULTS.memoryCost,
      'memoryCost',
      // argon2 needs at least 8 KiB per lane.
      8 * (options.parallelism ?? ARGON2_DEFAULTS.parallelism),
    ),
    timeCost: positiveInteger(options.timeCost ?? ARGON2_DEFAULTS.timeCost, 'timeCost', 1),
    parallelism: positiveInteger(
      options.parallelism ?? ARGON2_DEFAULTS.parallelism,
      'parallelism',
      1,
    ),
  };
  const a = loadArgon2();
  return {
    hash: (password) => a.hash(password, { ...params, algorithm: ARGON2ID as never }),
    async verify(hash, password) {
      try {
        return await a.verify(hash, password);
      } catch {
        return false; // not an argon2 hash we can read: a failed login, not a crash
      }
    },
    needsRehash(hash) {
      try {
        const p = a.parseOptions(hash);
        return (
          (p.algorithm as number) !== ARGON2ID ||
          p.memoryCost !== params.memoryCost ||
          p.timeCost !== params.timeCost ||
          p.parallelism !== params.parallelism
        );
      } catch {
        return true; // unreadable or another scheme: replace it at the next successful login
      }
    },
  };
}

/** Why a new password was refused. */
export type PasswordProblem = 'too-short' | 'too-long' | 'not-text';

/**
 * Normalises a password to Unicode NFKC, as NIST SP 800-63B 5.1.1.2 advises: the same passphrase
 * typed with a different keyboard or input method (full-width letters, ligatures, composed or
 * decomposed accents) then hashes the same. Any character is allowed; nothing is trimmed or
 * truncated. Changing the normalisation form later would lock out users whose password it changes,
 * so it is fixed here.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * Checks a new password against the only rules ASVS 5.0 6.2 allows: 8 to 1024 code points after
 * normalisation, any characters, no composition rules. Returns null when acceptable. Strings with
 * unpaired surrogates (which no keyboard produces and UTF-8 cannot encode) are refused.
 */
export function checkPassword(password: unknown): PasswordProblem | null {
  if (typeof password !== 'string' || LONE_SURROGATE.test(password)) return 'not-text';
  // Bound the work on hostile megabyte input before normalising it.
  if (password.length > MAX_PASSWORD_LENGTH * 4) return 'too-long';
  const normalized = normalizePassword(password);
  // Count code points (a surrogate pair is one character); stop early on hostile input.
  let length = 0;
  for (let i = 0; i < normalized.length && length <= MAX_PASSWORD_LENGTH; i++, length++) {
    const unit = normalized.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) i++;
  }
  if (length > MAX_PASSWORD_LENGTH) return 'too-long';
  return length < MIN_PASSWORD_LENGTH ? 'too-short' : null;
}
