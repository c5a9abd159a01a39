/**
 * The contract between Latchkey and a session store. Everything a person writing a new store
 * needs is on this page; `latchkey/testing` holds the behavioural suite that proves a store keeps
 * it.
 *
 * Ground rules:
 * - Ids are store keys: the SHA-256 hex of the client's token. A store never sees a raw token.
 * - Times are milliseconds since the epoch. Every operation that depends on liveness receives
 *   `now` from the caller, so the app's clock (and a test's fake clock) is the one that decides.
 *   A store with native expiry (Redis PXAT, say) may additionally let the backend drop records at
 *   `expiresAt`.
 * - A record is live while `now < expiresAt`. An expired record must behave exactly like a missing
 *   one in every method, whether or not it has been physically removed yet.
 * - `data` maps each key to the core's serialized value (a JSON text). Stores persist the strings
 *   as they are and never interpret them.
 * - Only infrastructure failures reject (connection lost, timeout, disk full). "Not found",
 *   "expired" and "malformed" are normal answers, never errors. The core wraps rejections in
 *   `StoreUnavailableError` and fails the request closed (503).
 */

/** What the session manager records about how and from where a session was created. */
export interface SessionMeta {
  /** Client IP address at creation, as the adapter saw it. */
  readonly ip?: string;
  /** `User-Agent` header at creation (truncated to 512 characters). */
  readonly userAgent?: string;
  /** When the user bound to this session last proved who they are (ms since epoch). */
  readonly authTime?: number;
  /** How they did it, e.g. `"password"`. */
  readonly authMethod?: string;
  /** Extension fields set at creation by add-ons (the auth module's credential fingerprint). */
  readonly [extension: string]: string | number | boolean | undefined;
}

/** One session as a store holds it. */
export interface SessionRecord {
  /** Store key: SHA-256 hex of the token. */
  readonly id: string;
  /** The user bound to this session, or null for an anonymous one. Fixed at creation. */
  readonly userId: string | null;
  /** Serialized session data, one JSON text per key. */
  readonly data: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** When the session ends for good, whatever the activity (absolute timeout). */
  readonly absoluteExpiresAt: number;
  /** When the session ends: `min(absoluteExpiresAt, lastSeenAt + idleTimeout)`. */
  readonly expiresAt: number;
  /** Idle timeout of this session in ms (the manager's default unless overridden per session). */
  readonly idleTimeout: number;
  /** True for "remember me" sessions, whose cookie outlives the browser session. */
  readonly persistent: boolean;
  readonly meta: SessionMeta;
}

/**
 * Changes to one live record, applied atomically: either all of it or none of it.
 * Keys not named in `set` or `unset` keep whatever value they have in the store now, including
 * values written by a concurrent request since this request read the record; that is what keeps
 * concurrent writes to different keys from erasing each other.
 */
export interface SessionPatch {
  /** When true, every existing key is removed before `set` is applied (`session.clear()`). */
  readonly clear?: boolean | undefined;
  /** Keys to write, with their serialized values. */
  readonly set?: Readonly<Record<string, string>> | undefined;
  /** Keys to remove. A key is never in both `set` and `unset`. */
  readonly unset?: readonly string[] | undefined;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  /** Present only when the app changed this session's timeouts. */
  readonly absoluteExpiresAt?: number | undefined;
  readonly idleTimeout?: number | undefined;
}

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/**
 * What Latchkey needs from a session backend. Every method may return a promise; the four on the
 * request path (`get`, `create`, `update`, `delete`) may also answer synchronously, as in-process
 * stores can (memory, SQLite through better-sqlite3): the core then skips the promise and timer
 * work of an asynchronous call on every request. A synchronous failure is thrown, an asynchronous
 * one rejects; the core treats both alike (StoreUnavailableError).
 */
export interface Store {
  /**
   * The live record with this id, or null when it is missing, expired or unreadable (a corrupt
   * row, a row of an older schema). Never rejects for those; a store that can report them should
   * do so through its own `onInvalidRecord` hook or logging, not by throwing.
   */
  get(id: string, now: number): Awaitable<SessionRecord | null>;

  /**
   * Inserts `record` only if no live record has this id. Returns false on a collision and leaves
   * the existing record untouched; an expired record with this id counts as missing and is
   * replaced. The backend
   * should expire the record at `record.expiresAt` in the same operation where it can.
   */
  create(record: SessionRecord, now: number): Awaitable<boolean>;

  /**
   * Applies `patch` only if the record is still live. Returns false, and changes nothing, when it
   * is missing or expired. This is what keeps a request that finishes after a logout from bringing
   * the session back: never upsert.
   */
  update(id: string, patch: SessionPatch, now: number): Awaitable<boolean>;

  /**
   * Removes the record and returns it as it was at the moment of removal (expired or not), or null
   * when there was none. Deleting a missing record is a no-op, not an error.
   *
   * The returned record must be read in the same atomic step as the removal (`DELETE ... RETURNING`,
   * one Lua script, under the record's lock): session rotation uses it to carry over writes that
   * landed on the old record while the new one was being created. A store that returns nothing
   * (`undefined`) still works, but a write committed in that window is lost.
   */
  delete(id: string): Awaitable<SessionRecord | null | undefined>;

  /**
   * Live records bound to `userId`, in no particular order. The per-user index behind it may hold
   * stale ids (the store filters them out here); it must never miss a live one.
   */
  listByUser(userId: string, now: number): Promise<SessionRecord[]>;

  /**
   * Deletes every record bound to `userId` except `exceptId` (if given). Returns how many records
   * it deleted (expired ones not yet swept may count). Must not miss a live record ("log out
   * everywhere" relies on it).
   */
  deleteByUser(userId: string, exceptId?: string): Promise<number>;

  /**
   * Optional sweep: physically removes expired records and returns how many. Correctness never
   * depends on it, since expiry is enforced by every other method; it only reclaims space. A
   * database store must not scan live records (index `expiresAt`, or use native expiry).
   *
   * With `limit`, removes at most `limit` records in this call (one batch) and returns how many it
   * removed, so an administration tool can report progress: call again until it returns less than
   * `limit`. Without `limit`, sweeps everything, in whatever batches the store likes. Removing
   * nothing is an answer (0), not an error.
   */
  deleteExpired?(now: number, limit?: number): Promise<number>;

  /**
   * Optional, for administration (the `latchkey sessions list` command), never called on the
   * request path: one page of the live records of every user and anonymous session, in a stable
   * order of the store's choosing. Start with no `cursor`; pass the returned `cursor` to get the
   * next page; `cursor: null` means the walk is complete. The cursor is opaque (the last id for
   * ordered stores, a SCAN cursor for Redis) and stays valid while records come and go: records
   * created or deleted during a walk may or may not be listed, every other live record is listed.
   *
   * `limit` is a page size: a page holds at most `limit` records, except on Redis, where it is
   * SCAN's COUNT hint (a page may hold a few more). A page may hold fewer, even none, while the
   * cursor is not null. Expired and unreadable records are left out, never errors. A store whose
   * walk may return a record twice (Redis SCAN while the keyspace is resized) says so; callers
   * that need each record once de-duplicate by id.
   */
  list?(
    now: number,
    options: { readonly cursor?: string | undefined; readonly limit: number },
  ): Promise<{ records: SessionRecord[]; cursor: string | null }>;

  /**
   * Optional, for administration (`latchkey stats`, the purge progress bar), never called on the
   * request path. Counts the records at `now`: `live` ones, `expired` ones still physically present
   * (what a sweep would remove; a store with native expiry reports those its backend has not
   * dropped yet, normally 0), and `users`, the number of distinct users with at least one live
   * session. Unreadable records count in none of them. May read every record: expect it to take
   * time on a large store.
   */
  count?(now: number): Promise<{ live: number; expired: number; users: number }>;

  /** Optional: release resources the store itself opened (not clients the app passed in). */
  close?(): Promise<void>;
}

/** `min(absolute deadline, last activity + idle timeout)`: the one formula every part uses. */
export function expiryOf(
  lastSeenAt: number,
  idleTimeout: number,
  absoluteExpiresAt: number,
): number {
  return Math.min(absoluteExpiresAt, lastSeenAt + idleTimeout);
}

/**
 * Copies the own enumerable string keys of `source` onto `target`. A loop over `Object.keys` costs
 * about half of a spread plus `Object.assign` on V8, and about a third when `source` is frozen (the
 * memory store's records are). A `__proto__` key becomes an own property, as with a spread, instead
 * of going through the prototype setter.
 */
function copyInto(target: Record<string, string>, source: Readonly<Record<string, string>>): void {
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const value = source[key] as string;
    if (key === '__proto__') {
      Object.defineProperty(target, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      target[key] = value;
    }
  }
}

/**
 * Applies a patch to a record in memory. For stores that keep records as plain objects (memory,
 * file); database stores translate the same rules into one atomic statement. Returns a new record
 * with a new data object; `record` is not changed, and the result shares its `meta`.
 */
export function applyPatch(record: SessionRecord, patch: SessionPatch): SessionRecord {
  // Written for speed (this runs on every write of the memory and file stores): plain copy loops,
  // then a fixed-shape literal. Conditional spreads cost several times as much.
  const data: Record<string, string> = {};
  if (patch.clear !== true) copyInto(data, record.data);
  if (patch.set !== undefined) copyInto(data, patch.set);
  if (patch.unset !== undefined) for (const key of patch.unset) delete data[key];
  return {
    id: record.id,
    userId: record.userId,
    data,
    createdAt: record.createdAt,
    lastSeenAt: patch.lastSeenAt,
    absoluteExpiresAt: patch.absoluteExpiresAt ?? record.absoluteExpiresAt,
    expiresAt: patch.expiresAt,
    idleTimeout: patch.idleTimeout ?? record.idleTimeout,
    persistent: record.persistent,
    meta: record.meta,
  };
}
