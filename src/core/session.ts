import { isReadable } from './checked-data.js';
import { clearCookie, readCookie, serializeCookie } from './cookie.js';
import { SessionStateError } from './errors.js';
import { DictionarySession, SessionValues } from './session-values.js';
import type { SessionEventEmitter } from './events.js';
import type { GuardedCall } from './guarded-store.js';
import type { ResolvedOptions } from './options.js';
import { expiryOf, type SessionMeta, type SessionPatch, type SessionRecord } from './store.js';
import { generateToken, hashToken, isWellFormedToken, publicIdOf, TOKEN_LENGTH } from './token.js';
import type { Duration } from './duration.js';
import { toMilliseconds } from './duration.js';

/**
 * The default shape of session data: JSON-serializable values by key. Apps usually pass their own
 * interface instead (`createSessions<{ cart: string[] }>()`); any object type works.
 */
export type SessionData = Record<string, unknown>;

/** What an adapter tells the core about the request. */
export interface RequestInfo {
  /** The Cookie header; several headers joined with "; ". */
  readonly cookie: string | undefined;
  /** Client address (after trusted-proxy resolution, which is the adapter's job). */
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
  /** True when the request reached the app over TLS (directly or via a trusted proxy). */
  readonly secure?: boolean | undefined;
  /** Host header, used only to warn about Secure cookies on plain HTTP (SEC-17). */
  readonly host?: string | undefined;
}

/** What an adapter must put on the response. */
export interface CommitResult {
  /** A Set-Cookie header value, or null when the cookie does not change. */
  readonly setCookie: string | null;
  /** True when the response depends on the session: add `Cookie` to `Vary`. */
  readonly vary: boolean;
  /** A Cache-Control value to set (authenticated or cookie-setting response), or null. */
  readonly cacheControl: string | null;
}

/** Read-only facts about a session. */
export interface SessionInfo {
  /** Short public id for display and revocation, or null while nothing is stored. */
  readonly publicId: string | null;
  readonly userId: string | null;
  readonly createdAt: number | null;
  readonly lastSeenAt: number | null;
  /** When the session ends unless used again (idle) or at the latest (absolute). */
  readonly expiresAt: number | null;
  readonly absoluteExpiresAt: number | null;
  /** When and how the user last authenticated (SEC-37). */
  readonly authTime: number | null;
  readonly authMethod: string | null;
  /** True for a "remember me" session. */
  readonly persistent: boolean;
  /** True when the session does not exist in the store (yet). */
  readonly isNew: boolean;
  readonly meta: SessionMeta;
}

/** Options of {@link Session.bindUser}. */
export interface BindUserOptions {
  /** How the user proved who they are, recorded for re-authentication checks. Default `"password"`. */
  readonly method?: string;
  /**
   * Persistent cookie and the longer "remember me" lifetimes. Default false: the cookie dies with
   * the browser session (SEC-13).
   */
  readonly rememberMe?: boolean;
  /** Extra metadata recorded with the session (e.g. a credential fingerprint). */
  readonly meta?: Readonly<Record<string, string | number | boolean>>;
}

/** Per-session timeouts; see {@link Session.setTimeouts}. */
export interface SessionTimeouts {
  readonly idle?: Duration;
  /** Measured from the session's creation (login); never extended by activity. */
  readonly absolute?: Duration;
}

/**
 * One request's view of a session: a dictionary of JSON values plus life-cycle operations.
 * Implemented by server-side sessions (`createSessions`) and sealed-cookie sessions alike, so an
 * app can switch between them by configuration.
 *
 * Loading is lazy: nothing is read until the first method call, so requests that never look at
 * the session cost nothing; every method is therefore async. Values are copies: `get` returns a
 * fresh object each time, so mutating it changes nothing until you `set` it back.
 *
 * Calling a mutating method after the response was sent throws SessionStateError.
 */
export interface Session<Data extends object = SessionData> {
  get<K extends keyof Data & string>(key: K): Promise<Data[K] | undefined>;
  set<K extends keyof Data & string>(key: K, value: Data[K]): Promise<void>;
  has(key: keyof Data & string): Promise<boolean>;
  /** Removes `key`; resolves to whether it was there. */
  delete(key: keyof Data & string): Promise<boolean>;
  /** Removes `key` and resolves to the value it had. */
  pop<K extends keyof Data & string>(key: K): Promise<Data[K] | undefined>;
  clear(): Promise<void>;
  keys(): Promise<(keyof Data & string)[]>;
  entries(): Promise<[keyof Data & string, Data[keyof Data & string]][]>;
  info(): Promise<SessionInfo>;
  userId(): Promise<string | null>;
  /**
   * Gives the session a new token; data, user and absolute deadline are kept and the old token is
   * dead when this resolves (SEC-19..21). Call it before any privilege change (OWASP Session
   * Management Cheat Sheet: renew the session ID after any privilege level change).
   */
  regenerate(): Promise<void>;
  /**
   * Logs `userId` in: always issues a new token (so a token planted before login is worthless,
   * SEC-19), records auth time and method (SEC-37), starts a fresh absolute lifetime, and keeps the
   * anonymous data (a shopping cart survives login). If the session belonged to a different user,
   * its data is cleared first so nothing leaks between accounts.
   */
  bindUser(userId: string, options?: BindUserOptions): Promise<void>;
  /**
   * Overrides this session's timeouts (SEC-26). `absolute` counts from the session's creation;
   * lengthening it is a deliberate choice of the app, activity never does it.
   */
  setTimeouts(timeouts: SessionTimeouts): Promise<void>;
  /**
   * Ends the session: it is dead for every client holding its token when this resolves (SEC-28),
   * and the response clears the cookie. The object stays usable as a new, empty anonymous session
   * (e.g. for a flash message after logout).
   */
  destroy(): Promise<void>;
  /** Loads the session (once). Every other method calls it; you rarely need to. */
  load(): Promise<void>;
}

/**
 * What adapters need from a session manager. `createSessions()` and `createCookieSessions()` both
 * provide it, so every adapter works with both.
 */
export interface SessionProvider<Data extends object = SessionData> {
  /** Whether X-Forwarded-Proto / X-Forwarded-For are trusted (see `SessionOptions.trustProxy`). */
  readonly trustProxy: boolean;
  /** The session of one request. Cheap: nothing is read until the session is first used. */
  fromRequest(request: RequestInfo): Session<Data>;
  /**
   * Saves the request's changes and says what to put on the response. Call it once per request,
   * before the response headers are sent. Synchronous when there is nothing to write.
   * @throws StoreUnavailableError when the store fails: answer 503, never send the response as if
   * the session were saved.
   */
  commit(session: Session<Data>): CommitResult | Promise<CommitResult>;
}

/** @internal What a session needs from its manager. */
export interface SessionContext {
  readonly options: ResolvedOptions;
  /** True when the store refuses non-JSON data values on write: records need no check on read. */
  readonly storeChecksData: boolean;
  readonly events: SessionEventEmitter;
  readonly call: GuardedCall;
  readonly warnInsecureTransport: (request: RequestInfo) => void;
}

const LOADED: Promise<void> = Promise.resolve();
const NO_CHANGE: CommitResult = Object.freeze({ setCookie: null, vary: false, cacheControl: null });
const VARY_ONLY: CommitResult = Object.freeze({ setCookie: null, vary: true, cacheControl: null });
const MAX_USER_AGENT = 512;

/**
 * Fields of a session that is not stored yet (or is about to be stored under a new token).
 * Replaced, never mutated: most requests share {@link NOTHING_PENDING}.
 */
interface Pending {
  readonly userId: string | null;
  readonly createdAt: number | null;
  readonly absoluteExpiresAt: number | null;
  readonly idleTimeout: number | null;
  readonly persistent: boolean;
  readonly meta: SessionMeta;
}

const NOTHING_PENDING: Pending = Object.freeze({
  userId: null,
  createdAt: null,
  absoluteExpiresAt: null,
  idleTimeout: null,
  persistent: false,
  meta: Object.freeze({}),
});

/**
 * The server-side {@link Session}: data lives in the store, the client holds only a token.
 * Changes are saved when the response is sent, as a patch of the keys this request touched: a
 * concurrent request writing other keys keeps its writes, and a session destroyed meanwhile stays
 * destroyed.
 */
export class StoreSession<Data extends object = SessionData>
  extends DictionarySession<Data>
  implements Session<Data>
{
  readonly #ctx: SessionContext;
  readonly #request: RequestInfo;
  #loading: Promise<void> | null = null;
  #loaded = false;
  #cookiePresent = false;
  /** The token the client will hold after this response; null until one is needed. */
  #token: string | null = null;
  /** The record as it is in the store (after our own writes), or null when not stored. */
  #record: SessionRecord | null = null;
  /** Current values, serialized, and what this request changed; see {@link #data}. */
  #values: SessionValues | undefined;
  #timeoutsChanged = false;
  #pending: Pending = NOTHING_PENDING;
  #cookie: 'keep' | 'set' | 'clear' = 'keep';
  #committed = false;

  /** @internal Created by the manager; use `sessions.fromRequest()` or an adapter. */
  constructor(ctx: SessionContext, request: RequestInfo) {
    super();
    this.#ctx = ctx;
    this.#request = request;
  }

  // ---- data (the dictionary methods come from DictionarySession) -------------------------------

  /** The values, created on first use: most requests adopt a stored record's values instead. */
  get #data(): SessionValues {
    return (this.#values ??= new SessionValues());
  }

  // A store that answers synchronously (memory) loads the session within the first call, which then
  // answers at once: no promise and no closure on any call of the request.
  protected readable(): SessionValues | Promise<SessionValues> {
    if (!this.#loaded) {
      const loading = this.load();
      if (!this.#loaded) return loading.then(() => this.#data);
    }
    return this.#data;
  }

  protected writable(operation: string): SessionValues | Promise<SessionValues> {
    if (!this.#loaded) {
      const loading = this.load();
      if (!this.#loaded) {
        return loading.then(() => {
          this.#assertOpen(operation);
          return this.#data;
        });
      }
    }
    this.#assertOpen(operation);
    return this.#data;
  }

  // ---- metadata -----------------------------------------------------------------------------

  /** Read-only facts: public id, user, created / last seen / expiry times, auth time. */
  async info(): Promise<SessionInfo> {
    await this.load();
    const r = this.#record;
    const p = this.#pending;
    const meta = r?.meta ?? p.meta;
    return {
      publicId: r === null ? null : publicIdOf(r.id),
      userId: r?.userId ?? p.userId,
      createdAt: r?.createdAt ?? p.createdAt,
      lastSeenAt: r?.lastSeenAt ?? null,
      expiresAt: r?.expiresAt ?? null,
      absoluteExpiresAt: r?.absoluteExpiresAt ?? p.absoluteExpiresAt,
      authTime: meta.authTime ?? null,
      authMethod: meta.authMethod ?? null,
      persistent: r?.persistent ?? p.persistent,
      isNew: r === null,
      meta,
    };
  }

  /** The bound user's id, or null for an anonymous session. */
  async userId(): Promise<string | null> {
    await this.load();
    return this.#record?.userId ?? this.#pending.userId;
  }

  // ---- life cycle ---------------------------------------------------------------------------

  async regenerate(): Promise<void> {
    await this.load();
    this.#assertOpen('regenerate');
    if (this.#record === null) return; // Nothing stored: the token minted at commit is new anyway.
    await this.#rotate('regenerate', this.#record.userId, {});
  }

  async bindUser(userId: string, options: BindUserOptions = {}): Promise<void> {
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new TypeError('session.bindUser(userId): userId must be a non-empty string');
    }
    await this.load();
    this.#assertOpen('bindUser');
    const previous = this.#record?.userId ?? this.#pending.userId;
    if (previous !== null && previous !== userId) {
      this.#data.clear();
    }
    const o = this.#ctx.options;
    const now = o.now();
    const rememberMe = options.rememberMe === true;
    const lifetimes = rememberMe ? o.rememberMe : o;
    const meta: SessionMeta = {
      ...this.#requestMeta(),
      ...options.meta,
      authTime: now,
      authMethod: options.method ?? 'password',
    };
    this.#pending = {
      userId,
      createdAt: now,
      absoluteExpiresAt: now + lifetimes.absoluteTimeout,
      idleTimeout: lifetimes.idleTimeout,
      persistent: rememberMe,
      meta,
    };
    if (this.#record !== null) {
      await this.#rotate('bind-user', userId, this.#pending);
    } else {
      this.#cookie = 'set';
    }
  }

  async setTimeouts(timeouts: SessionTimeouts): Promise<void> {
    const idle = timeouts.idle === undefined ? undefined : toMilliseconds(timeouts.idle, 'idle');
    const absolute =
      timeouts.absolute === undefined ? undefined : toMilliseconds(timeouts.absolute, 'absolute');
    await this.load();
    this.#assertOpen('setTimeouts');
    const createdAt = this.#record?.createdAt ?? this.#pending.createdAt ?? this.#ctx.options.now();
    const p = this.#pending;
    this.#pending = {
      ...p,
      idleTimeout: idle ?? p.idleTimeout,
      createdAt: absolute === undefined ? p.createdAt : createdAt,
      absoluteExpiresAt: absolute === undefined ? p.absoluteExpiresAt : createdAt + absolute,
    };
    if (absolute !== undefined && this.#record?.persistent) this.#cookie = 'set';
    this.#timeoutsChanged = true;
  }

  async destroy(): Promise<void> {
    await this.load();
    this.#assertOpen('destroy');
    const record = this.#record;
    if (record !== null) {
      await this.#ctx.call('delete', (s) => s.delete(record.id));
      this.#ctx.events.emit('destroyed', {
        session: publicIdOf(record.id),
        userId: record.userId,
        reason: 'destroy',
      });
    }
    this.#reset();
    this.#cookie = this.#cookiePresent ? 'clear' : 'keep';
  }

  // ---- loading and committing ---------------------------------------------------------------

  load(): Promise<void> {
    if (this.#loading === null) {
      let loading: void | Promise<void>;
      try {
        loading = this.#load();
      } catch (error) {
        loading = Promise.reject(error);
      }
      if (loading instanceof Promise) {
        this.#loading = loading.then(() => {
          this.#loaded = true;
        });
      } else {
        // Answered synchronously (an in-process store): no promise hop on any later call.
        this.#loaded = true;
        this.#loading = LOADED;
      }
    }
    return this.#loading;
  }

  /** Reads the cookie and the record; synchronous when the store answers synchronously. */
  #load(): void | Promise<void> {
    const { options, events } = this.#ctx;
    const token = readCookie(this.#request.cookie, options.cookie.name);
    if (token === undefined) return;
    this.#cookiePresent = true;
    // A value of the wrong length is dropped before any work. One of the right length is hashed and
    // looked up without checking its characters first: only a token we issued can match a stored
    // id (any other would be a SHA-256 preimage), so that check only classifies a miss.
    if (token.length !== TOKEN_LENGTH) {
      events.emit('rejected-token', { reason: 'malformed' });
      return;
    }
    const id = hashToken(token);
    const now = options.now();
    const record = this.#ctx.call('get', (s) => s.get(id, now));
    if (record instanceof Promise) {
      return record.then((found) => {
        this.#adopt(token, id, found, now);
      });
    }
    this.#adopt(token, id, record, now);
  }

  /** Takes `record` as this request's session if it is live, intact and really `id`'s. */
  #adopt(token: string, id: string, record: SessionRecord | null, now: number): void {
    const { events } = this.#ctx;
    if (record === null) {
      events.emit(
        'rejected-token',
        isWellFormedToken(token)
          ? { reason: 'unknown', session: publicIdOf(id) }
          : { reason: 'malformed' },
      );
      return;
    }
    if (record.expiresAt <= now) {
      // A store must not return expired records; enforce it here too (defence in depth).
      events.emit('expired', { session: publicIdOf(id), count: 1 });
      return;
    }
    if (record.id !== id || (!this.#ctx.storeChecksData && !isReadable(record))) {
      events.emit('rejected-token', { reason: 'corrupt', session: publicIdOf(id) });
      return;
    }
    this.#record = record;
    this.#token = token;
    this.#values = new SessionValues(record.data);
  }

  /**
   * @internal Called once per request by the adapter, before the response headers go out.
   * Returns synchronously when no store write is needed.
   */
  commit(): CommitResult | Promise<CommitResult> {
    if (this.#committed) throw new SessionStateError('session already committed');
    if (this.#loading === null) {
      this.#committed = true;
      return NO_CHANGE;
    }
    // Still loading (or the load failed: then this rejects with StoreUnavailableError).
    if (!this.#loaded) return this.#loading.then(() => this.#commitLoaded());
    return this.#commitLoaded();
  }

  /** Writes what must be written; synchronous when nothing must (the common read-only request). */
  #commitLoaded(): CommitResult | Promise<CommitResult> {
    this.#committed = true;
    const now = this.#ctx.options.now();
    const record = this.#record;
    if (record !== null) {
      const dirty = this.#isDirty();
      if (!dirty && now - record.lastSeenAt < this.#ctx.options.touchInterval)
        return this.#result(now);
      const patch = this.#patch(record, now, dirty);
      const applied = this.#ctx.call('update', (s) => s.update(record.id, patch, now));
      return applied instanceof Promise
        ? applied.then((done) => this.#updated(record, done, now))
        : this.#updated(record, applied, now);
    }
    if (this.#pending.userId === null && this.#data.size === 0) return this.#result(now);
    return this.#create(now).then(() => {
      this.#cookie = 'set';
      return this.#result(now);
    });
  }

  #updated(record: SessionRecord, applied: boolean, now: number): CommitResult {
    if (!applied) this.#ctx.events.emit('write-refused', { session: publicIdOf(record.id) });
    return this.#result(now);
  }

  #result(now: number): CommitResult {
    const o = this.#ctx.options;
    let setCookie: string | null = null;
    if (this.#record !== null) {
      if (this.#cookie === 'set') setCookie = this.#cookieFor(this.#record, now);
    } else if (this.#cookie === 'clear') {
      setCookie = clearCookie(o.cookie);
    }
    if (setCookie !== null) this.#ctx.warnInsecureTransport(this.#request);
    const authenticated = (this.#record?.userId ?? this.#pending.userId) !== null;
    const cacheControl =
      o.cacheControl !== false && (authenticated || setCookie !== null) ? o.cacheControl : null;
    if (setCookie === null && cacheControl === null) return VARY_ONLY; // the common case: no object
    return { setCookie, vary: true, cacheControl };
  }

  // ---- internals ----------------------------------------------------------------------------

  #assertOpen(operation: string): void {
    if (this.#committed) {
      throw new SessionStateError(
        `session.${operation}() after the response was sent: the change would be lost; finish session work before writing the response`,
      );
    }
  }

  #isDirty(): boolean {
    return this.#data.changed || this.#timeoutsChanged;
  }

  #requestMeta(): SessionMeta {
    const { ip, userAgent } = this.#request;
    return {
      ...(ip === undefined ? {} : { ip }),
      ...(userAgent === undefined ? {} : { userAgent: userAgent.slice(0, MAX_USER_AGENT) }),
    };
  }

  #patch(record: SessionRecord, now: number, dirty: boolean): SessionPatch {
    const idleTimeout = this.#pending.idleTimeout ?? record.idleTimeout;
    const absoluteExpiresAt = this.#pending.absoluteExpiresAt ?? record.absoluteExpiresAt;
    const expiresAt = expiryOf(now, idleTimeout, absoluteExpiresAt);
    if (!dirty) return { lastSeenAt: now, expiresAt };
    // One fixed-shape literal (undefined for absent parts): cheaper than conditional spreads, and
    // stores see a single object shape.
    const changedTimeouts = this.#timeoutsChanged;
    const values = this.#data;
    return {
      clear: values.cleared ? true : undefined,
      set: values.setChanges(),
      unset: values.unsetChanges(),
      lastSeenAt: now,
      expiresAt,
      absoluteExpiresAt: changedTimeouts ? absoluteExpiresAt : undefined,
      idleTimeout: changedTimeouts ? idleTimeout : undefined,
    };
  }

  /** Builds a record for a new token from the current data and pending fields, and stores it. */
  async #create(now: number, base?: SessionRecord): Promise<SessionRecord> {
    const o = this.#ctx.options;
    const p = this.#pending;
    const createdAt = p.createdAt ?? base?.createdAt ?? now;
    const idleTimeout = p.idleTimeout ?? base?.idleTimeout ?? o.idleTimeout;
    const absoluteExpiresAt =
      p.absoluteExpiresAt ?? base?.absoluteExpiresAt ?? createdAt + o.absoluteTimeout;
    // Two attempts: a collision of 256-bit random tokens means a broken RNG, not bad luck.
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = generateToken();
      const record: SessionRecord = {
        id: hashToken(token),
        userId: p.userId ?? base?.userId ?? null,
        data: this.#data.snapshot(),
        createdAt,
        lastSeenAt: now,
        absoluteExpiresAt,
        expiresAt: expiryOf(now, idleTimeout, absoluteExpiresAt),
        idleTimeout,
        persistent: p.persistent || (base?.persistent ?? false),
        meta: p.userId !== null ? p.meta : (base?.meta ?? this.#requestMeta()),
      };
      if (await this.#ctx.call('create', (s) => s.create(record, now))) {
        this.#record = record;
        this.#token = token;
        this.#clearChanges();
        this.#ctx.events.emit('created', { session: publicIdOf(record.id), userId: record.userId });
        return record;
      }
    }
    throw new SessionStateError(
      'could not create a session: token collision twice in a row (is the RNG broken?)',
    );
  }

  /**
   * New token for a stored session: re-reads the stored record so writes made by concurrent
   * requests since we loaded are carried over, applies our pending changes, creates the new
   * record, then deletes the old one (create before delete: a failure in between never loses
   * the session, SEC-21).
   *
   * A concurrent request that commits to the old token after the re-read but before the delete
   * keeps its write: the store's delete returns the record as it was, and what changed since the
   * re-read is carried over to the new record. One that commits after the delete is refused
   * (`write-refused`): the old token is dead, and a planted token must not write into the new,
   * logged-in session. A store whose delete returns nothing loses writes of the first kind.
   */
  async #rotate(
    reason: 'regenerate' | 'bind-user',
    userId: string | null,
    pending: Partial<Pending>,
  ): Promise<void> {
    const old = this.#record;
    if (old === null) return;
    const now = this.#ctx.options.now();
    const fresh = await this.#ctx.call('get', (s) => s.get(old.id, now));
    if (fresh === null) {
      // Ended meanwhile (logout in another request): never bring it back. A login still goes
      // ahead, as a new session holding only this request's own writes.
      this.#ctx.events.emit('write-refused', { session: publicIdOf(old.id) });
      const own = this.#data;
      own.rebase({}); // this request's own writes, on nothing
      const keepPending = this.#pending;
      this.#reset();
      if (reason === 'regenerate') return;
      this.#pending = keepPending;
      this.#values = own;
      await this.#create(now);
      this.#cookie = 'set';
      return;
    }
    this.#data.rebase(fresh.data);
    const own = this.#data.touchedKeys();
    const created = await this.#create(now, pending.userId === undefined ? fresh : undefined);
    let removed: SessionRecord | null | undefined;
    try {
      removed = await this.#ctx.call('delete', (s) => s.delete(old.id));
    } catch (error) {
      // The old session stays as it was and the request fails (503). Nobody will hold the new
      // record's token: try to remove it, so it does not show as a phantom device until it expires.
      try {
        await this.#ctx.call('delete', (s) => s.delete(created.id));
      } catch {
        // Best effort: the store is failing; the orphan expires with its idle timeout.
      }
      throw error;
    }
    if (removed === null && reason === 'regenerate') {
      // Logged out by another request while we rotated: the copy must not outlive the logout.
      await this.#ctx.call('delete', (s) => s.delete(created.id));
      this.#ctx.events.emit('write-refused', { session: publicIdOf(old.id) });
      this.#reset();
      this.#cookie = this.#cookiePresent ? 'clear' : 'keep';
      return;
    }
    if (removed != null && own !== 'all') await this.#carryOver(fresh, removed, created, own, now);
    this.#cookie = 'set';
    this.#ctx.events.emit('rotated', {
      from: publicIdOf(old.id),
      to: publicIdOf(created.id),
      userId,
      reason,
    });
  }

  /**
   * Writes to the new record what other requests changed on the old one between the re-read and
   * its removal (their commits succeeded, so dropping them would lose acknowledged writes). Keys
   * this request set or deleted itself keep this request's value.
   */
  async #carryOver(
    fresh: SessionRecord,
    removed: SessionRecord,
    created: SessionRecord,
    own: ReadonlySet<string>,
    now: number,
  ): Promise<void> {
    const set: Record<string, string> = {};
    const unset: string[] = [];
    for (const key of Object.keys(removed.data)) {
      const text = removed.data[key];
      if (text !== undefined && text !== fresh.data[key] && !own.has(key)) set[key] = text;
    }
    for (const key of Object.keys(fresh.data)) {
      if (removed.data[key] === undefined && !own.has(key)) unset.push(key);
    }
    if (Object.keys(set).length === 0 && unset.length === 0) return;
    const patch: SessionPatch = { set, unset, lastSeenAt: now, expiresAt: created.expiresAt };
    await this.#ctx.call('update', (s) => s.update(created.id, patch, now));
    this.#data.absorb(set, unset);
  }

  #cookieFor(record: SessionRecord, now: number): string | null {
    if (this.#token === null) return null;
    const maxAge = record.persistent
      ? Math.max(0, Math.floor((record.absoluteExpiresAt - now) / 1000))
      : undefined;
    return serializeCookie(this.#ctx.options.cookie, this.#token, maxAge);
  }

  #clearChanges(): void {
    this.#data.forget();
    this.#timeoutsChanged = false;
    this.#pending = NOTHING_PENDING;
  }

  #reset(): void {
    this.#record = null;
    this.#token = null;
    this.#values = undefined;
    this.#clearChanges();
  }
}
