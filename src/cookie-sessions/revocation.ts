import { createHash } from 'node:crypto';
import { StoreUnavailableError } from '../core/errors.js';
import type { GuardedCall } from '../core/guarded-store.js';
import type { SessionRecord } from '../core/store.js';
import { publicIdOf } from '../core/token.js';
import type { SealedState } from './payload.js';

/** The outcome of {@link Revocations.check}. */
export interface RevocationCheck {
  readonly revoked: boolean;
  readonly renewedLoginTime?: number;
}

const VALID: RevocationCheck = Object.freeze({ revoked: false });
const REVOKED: RevocationCheck = Object.freeze({ revoked: true });

/** Runs one store operation with the deadline and error wrapping of the core (`guardStore`). */
export type StoreCall = GuardedCall;

/**
 * Revocation for stateless sessions (SEC-55), kept in any Latchkey {@link Store} as ordinary
 * records, so an app reuses the store it already has (shared with server-side sessions is fine:
 * the records are bound to no user, so `deleteByUser` never touches them).
 *
 * Two kinds of record:
 * - a user's "valid after" stamp: every session of that user whose login time is not after it is
 *   dead (log out everywhere, password change, disabling a user);
 * - a dead session, by user and public id: written by logout, regenerate and login of a bound
 *   session (and by `revoke`), so a copy of the old cookie replays as anonymous (SEC-19, SEC-28).
 *   Scoped by user, so nobody can end another user's session by guessing its public id.
 *
 * Each record lives only as long as a session it could affect (`retention`), so the store does
 * not grow without bound.
 */
export class Revocations {
  readonly #call: StoreCall;
  readonly #retention: number;

  constructor(call: StoreCall, retention: number) {
    this.#call = call;
    this.#retention = retention;
  }

  /** The longest lifetime a session may have while revocation is in force. */
  get retention(): number {
    return this.#retention;
  }

  /**
   * Whether `state` must not be used. Anonymous sessions are never looked up (they carry no user,
   * and checking them would cost a store read per bot). Two reads, in parallel.
   *
   * `renewedLoginTime` is set when the session survives a stamp only as its `except`: a new id
   * for it (regenerate) must take a login time after the stamp, or it would lose the exemption.
   * @throws StoreUnavailableError when the store fails: never treat the session as valid then.
   */
  async check(state: SealedState, now: number): Promise<RevocationCheck> {
    const { userId } = state;
    if (userId === null) return VALID;
    const publicId = publicIdOfSid(state.sid);
    const [stamp, dead] = await Promise.all([
      this.#call<SessionRecord | null>('get', (s) => s.get(stampId(userId), now)),
      this.#call<SessionRecord | null>('get', (s) => s.get(sessionRecordId(userId, publicId), now)),
    ]);
    if (dead !== null) return REVOKED;
    if (stamp === null) return VALID;
    const validAfter = readStamp(stamp);
    if (validAfter === null) return REVOKED; // unreadable: fail closed
    if (state.createdAt > validAfter) return VALID;
    if (stamp.data.except !== JSON.stringify(publicId)) return REVOKED;
    return { revoked: false, renewedLoginTime: validAfter + 1 };
  }

  /**
   * A login time for `userId` strictly after any stamp of theirs, so a login in the same
   * millisecond as "log out everywhere" (or on a server whose clock is behind) still survives it.
   */
  async loginTime(userId: string, now: number): Promise<number> {
    const stamp = await this.#call('get', (s) => s.get(stampId(userId), now));
    const validAfter = stamp === null ? null : readStamp(stamp);
    return validAfter === null ? now : Math.max(now, validAfter + 1);
  }

  /**
   * Ends every session of `userId` logged in up to now, except the one with public id `except`
   * (if given). Returns the stamp written.
   */
  async revokeUser(userId: string, now: number, except?: string): Promise<number> {
    const id = stampId(userId);
    const expiresAt = now + this.#retention;
    // Update if present, create if not; a concurrent writer can make either lose, so retry.
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.#call('get', (s) => s.get(id, now));
      if (existing !== null) {
        // Strictly after the previous stamp, so it also covers logins given a time just after that
        // one (see loginTime). An unreadable stamp is repaired.
        const previous = readStamp(existing);
        const stamp = previous === null ? now : Math.max(now, previous + 1);
        const patch = {
          set: stampData(stamp, except),
          ...(except === undefined ? { unset: ['except'] } : {}),
          lastSeenAt: now,
          expiresAt,
          absoluteExpiresAt: expiresAt,
          idleTimeout: this.#retention,
        };
        if (await this.#call('update', (s) => s.update(id, patch, now))) return stamp;
      } else {
        const record = revocationRecord(id, now, expiresAt, stampData(now, except));
        if (await this.#call('create', (s) => s.create(record, now))) return now;
      }
    }
    throw new StoreUnavailableError('revokeUser', {
      message: `could not write the valid-after stamp of a user: the store kept refusing create and update`,
    });
  }

  /**
   * Marks one session of `userId` dead until `until` (at most the retention: no session lives
   * longer).
   */
  async revokeSession(
    userId: string,
    publicId: string,
    now: number,
    until?: number,
  ): Promise<void> {
    const expiresAt = Math.min(until ?? Number.POSITIVE_INFINITY, now + this.#retention);
    if (expiresAt <= now) return;
    const record = revocationRecord(sessionRecordId(userId, publicId), now, expiresAt, {
      revoked: 'true',
    });
    // false means it is revoked already: nothing to do.
    await this.#call('create', (s) => s.create(record, now));
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Store id of a user's stamp. Hashed: the store's keys do not reveal user ids. */
export function stampId(userId: string): string {
  return sha256(`latchkey:cookie-sessions:valid-after:${userId}`);
}

/**
 * The public id of a sealed session: 16 hex characters of a hash of its random id. Shown in
 * events and `info()`, and enough to revoke it; it cannot be turned back into the id or a cookie.
 */
export function publicIdOfSid(sid: string): string {
  return publicIdOf(sha256(`latchkey:cookie-sessions:sid:${sid}`));
}

/** Store id of the record that marks one session of a user dead. */
export function sessionRecordId(userId: string, publicId: string): string {
  return sha256(`latchkey:cookie-sessions:revoked:${JSON.stringify([userId, publicId])}`);
}

function stampData(validAfter: number, except: string | undefined): Record<string, string> {
  return {
    validAfter: JSON.stringify(validAfter),
    ...(except === undefined ? {} : { except: JSON.stringify(except) }),
  };
}

/** The stamp's time, or null when the record is unreadable (callers fail closed). */
function readStamp(record: SessionRecord): number | null {
  const text = record.data.validAfter;
  if (text === undefined) return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : null;
  } catch {
    return null;
  }
}

function revocationRecord(
  id: string,
  now: number,
  expiresAt: number,
  data: Record<string, string>,
): SessionRecord {
  return {
    id,
    userId: null,
    data,
    createdAt: now,
    lastSeenAt: now,
    absoluteExpiresAt: expiresAt,
    expiresAt,
    idleTimeout: expiresAt - now,
    persistent: false,
    meta: {},
  };
}
