import { randomBytes } from 'node:crypto';
import type { AuthEventEmitter, AuthEvents } from './events.js';
import { checkPassword, normalizePassword, type PasswordHasher } from './password.js';
import type { Throttle, ThrottleKeys } from './throttle.js';
import { MAX_LOGIN_LENGTH, normalizeLogin, type User, type UserStore } from './users.js';

/** @internal The outcome of checking a login name (or a known user) and a password. */
export type Verification<U extends User> =
  | {
      readonly ok: true;
      readonly user: U;
      /** The user's hash after any upgrade. */
      readonly passwordHash: string;
      readonly rehashed: boolean;
      readonly keys: ThrottleKeys | null;
    }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfter: number }
  | {
      readonly ok: false;
      readonly reason: 'invalid-credentials';
      readonly detail: AuthEvents['login-failed']['reason'];
    };

/** A password as typed at login, normalised; null when it cannot be a password we accepted. */
function readPassword(password: unknown): string | null {
  if (typeof password !== 'string' || password === '') return null;
  const problem = checkPassword(password);
  // Too short is fine here: the account may predate the length rule, let the hash decide.
  return problem === null || problem === 'too-short' ? normalizePassword(password) : null;
}

/**
 * @internal Verifies credentials the same way whatever is wrong with them: an unknown login, a
 * disabled account, an account without a password or malformed input all verify the password
 * against a dummy hash, so every failure costs one hash verification and returns the same answer
 * (SEC-52).
 */
export class Verifier<U extends User> {
  readonly #hasher: PasswordHasher;
  readonly #users: UserStore<U>;
  readonly #throttle: Throttle | null;
  readonly #events: AuthEventEmitter;
  readonly #now: () => number;
  #dummy: Promise<string> | null = null;

  constructor(
    hasher: PasswordHasher,
    users: UserStore<U>,
    throttle: Throttle | null,
    events: AuthEventEmitter,
    now: () => number,
  ) {
    this.#hasher = hasher;
    this.#users = users;
    this.#throttle = throttle;
    this.#events = events;
    this.#now = now;
  }

  /** Hash of a random password with the current parameters, made once per process. */
  dummyHash(): Promise<string> {
    this.#dummy ??= this.#hasher
      .hash(randomBytes(24).toString('base64url'))
      .catch((error: unknown) => {
        this.#dummy = null;
        throw error;
      });
    return this.#dummy;
  }

  /** Checks `password` for the account named `login` (as typed) or for the known `user`. */
  async verify(
    identity: { readonly login: unknown } | { readonly user: U },
    password: unknown,
    ip: string | undefined,
  ): Promise<Verification<U>> {
    let login: string | null;
    if ('user' in identity) {
      login = normalizeLogin(identity.user.login);
    } else {
      const typed = identity.login;
      login =
        typeof typed === 'string' && typed.length <= MAX_LOGIN_LENGTH
          ? normalizeLogin(typed)
          : null;
    }
    const keys = this.#throttle?.keys(login ?? '', ip) ?? null;
    const account = keys?.account ?? '';
    if (this.#throttle !== null && keys !== null) {
      const { wait, scope } = await this.#throttle.acquire(keys, this.#now());
      if (wait > 0 && scope !== null) {
        const retryAfter = Math.ceil(wait / 1000);
        this.#events.emit('throttled', { scope, retryAfter, account });
        return { ok: false, reason: 'throttled', retryAfter };
      }
    }

    const user =
      'user' in identity
        ? identity.user
        : login === null || login === ''
          ? null
          : await this.#users.findByLogin(login);
    const typed = readPassword(password);
    const stored = user?.passwordHash ?? null;
    // Always one verification, against the dummy hash when there is nothing real to check.
    const verified = await this.#hasher.verify(
      stored ?? (await this.dummyHash()),
      typed ?? '\u0000invalid',
    );

    let detail: AuthEvents['login-failed']['reason'] | null = null;
    if (login === null || typed === null) detail = 'invalid-input';
    else if (user === null) detail = 'unknown-user';
    else if (stored === null) detail = 'no-password';
    else if (!verified) detail = 'bad-password';
    else if (user.disabled) detail = 'disabled';
    if (detail !== null || user === null || stored === null || typed === null) {
      const reason = detail ?? 'invalid-input';
      this.#events.emit('login-failed', { reason, userId: user?.id ?? null, account });
      // The attempt was counted when it was let through: nothing more to record.
      return { ok: false, reason: 'invalid-credentials', detail: reason };
    }

    let passwordHash = stored;
    let rehashed = false;
    if (this.#users.updatePasswordHash !== undefined && this.#hasher.needsRehash(stored)) {
      passwordHash = await this.#hasher.hash(typed);
      await this.#users.updatePasswordHash(user.id, passwordHash);
      rehashed = true;
    }
    return { ok: true, user, passwordHash, rehashed, keys };
  }

  /** Forgets the account's failures after a success. */
  async succeeded(keys: ThrottleKeys | null): Promise<void> {
    if (keys !== null) await this.#throttle?.succeed(keys, this.#now());
  }
}
