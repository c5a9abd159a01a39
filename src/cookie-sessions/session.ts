import { randomBytes } from 'node:crypto';
import { clearCookie, readCookie, serializeCookie } from '../core/cookie.js';
import { toMilliseconds } from '../core/duration.js';
import { LatchkeyError, SessionStateError } from '../core/errors.js';
import { DictionarySession, SessionValues } from '../core/session-values.js';
import type { ResolvedOptions } from '../core/options.js';
import type {
  BindUserOptions,
  CommitResult,
  RequestInfo,
  Session,
  SessionData,
  SessionInfo,
  SessionTimeouts,
} from '../core/session.js';
import { expiryOf, type SessionMeta } from '../core/store.js';
import { CookieTooLargeError } from './errors.js';
import type { CookieSessionEmitter } from './events.js';
import type { KeyRing } from './keyring.js';
import { decodeState, encodeState, type SealedState } from './payload.js';
import { publicIdOfSid as publicOf, type Revocations } from './revocation.js';
import { seal, unseal } from './seal.js';

/** @internal What a sealed session needs from its provider. */
export interface CookieSessionContext {
  readonly options: ResolvedOptions;
  readonly ring: KeyRing;
  readonly events: CookieSessionEmitter;
  readonly revocations: Revocations | null;
  readonly warnInsecureTransport: (request: RequestInfo) => void;
}

/** The session's fields other than data, while a request works on them. */
type Live = { -readonly [K in Exclude<keyof SealedState, 'data'>]: SealedState[K] };

const NO_CHANGE: CommitResult = Object.freeze({ setCookie: null, vary: false, cacheControl: null });

function newSid(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * A {@link Session} whose whole state travels in an encrypted, authenticated cookie. Same
 * semantics as the server-side session (lazy load, values by copy, `set(k, undefined)` deletes,
 * no writes after commit), with the limits of having no server state:
 *
 * - The cookie is re-sealed when the session changes, when the newest key differs from the one
 *   that sealed it, and at most once per touch interval to move the idle deadline.
 * - Concurrent requests each send back a whole cookie: the last response to arrive wins, so two
 *   requests that change the session at once can lose one change (server sessions do not).
 * - Without `revocation`, logout, `regenerate` and `bindUser` only replace the client's cookie:
 *   a copy of the old value stays valid until its own expiry. With it, the old value is dead.
 */
export class SealedSession<Data extends object = SessionData>
  extends DictionarySession<Data>
  implements Session<Data>
{
  readonly #ctx: CookieSessionContext;
  readonly #request: RequestInfo;
  #loading: Promise<void> | null = null;
  #settled = false;
  #failed = false;
  #cookiePresent = false;
  /** The valid state the client sent, if any (what a copied cookie would replay). */
  #client: SealedState | null = null;
  #clientRevoked = false;
  /** The session as it will be sealed; null while there is none. */
  #live: Live | null = null;
  #values = new SessionValues();
  /** Something must be sealed at commit: data, user, timeouts, id or key changed. */
  #changed = false;
  /** The current id was minted in this request without a `rotated` event: emit `created`. */
  #announce = false;
  #clear = false;
  #committed = false;

  /** @internal Created by the provider; use `sessions.fromRequest()` or an adapter. */
  constructor(ctx: CookieSessionContext, request: RequestInfo) {
    super();
    this.#ctx = ctx;
    this.#request = request;
  }

  // ---- data (the dictionary methods come from DictionarySession) -------------------------------
  // The size limit is checked when the cookie is sealed at commit (see CookieTooLargeError).

  protected async readable(): Promise<SessionValues> {
    await this.load();
    return this.#values;
  }

  protected async writable(operation: string): Promise<SessionValues> {
    await this.load();
    this.#assertOpen(operation);
    // A change of any kind re-seals the cookie (a delete of an absent key too: harmless).
    this.#changed = true;
    return this.#values;
  }

  // ---- metadata -----------------------------------------------------------------------------

  /** `publicId` is derived from the random session id; `meta` holds only what bindUser recorded. */
  async info(): Promise<SessionInfo> {
    await this.load();
    const live = this.#live;
    const meta = live?.meta ?? {};
    return {
      publicId: live === null ? null : publicOf(live.sid),
      userId: live?.userId ?? null,
      createdAt: live?.createdAt ?? null,
      lastSeenAt: live?.lastSeenAt ?? null,
      expiresAt:
        live === null ? null : expiryOf(live.lastSeenAt, live.idleTimeout, live.absoluteExpiresAt),
      absoluteExpiresAt: live?.absoluteExpiresAt ?? null,
      authTime: meta.authTime ?? null,
      authMethod: meta.authMethod ?? null,
      persistent: live?.persistent ?? false,
      isNew: live === null || this.#client === null,
      meta,
    };
  }

  async userId(): Promise<string | null> {
    await this.load();
    return this.#live?.userId ?? null;
  }

  // ---- life cycle ---------------------------------------------------------------------------

  /**
   * Gives the session a new id and a freshly sealed cookie; data, user and absolute deadline are
   * kept. Without `revocation` the previous cookie value stays valid until its own expiry (a
   * stateless cookie cannot be recalled); with it, the previous value of a logged-in session is
   * dead when this resolves (SEC-19/20).
   * @throws StoreUnavailableError when revocation is configured and its store fails.
   */
  async regenerate(): Promise<void> {
    await this.load();
    this.#assertOpen('regenerate');
    const live = this.#live;
    if (live === null) return;
    const revocations = this.#ctx.revocations;
    const client = this.#client;
    if (revocations !== null && client !== null && !this.#clientRevoked) {
      // Logged out meanwhile by another request? Then never bring it back (as server sessions).
      const check = await revocations.check(client, this.#ctx.options.now());
      if (check.revoked) {
        this.#ctx.events.emit('rejected-token', {
          reason: 'revoked',
          session: publicOf(client.sid),
        });
        this.#reset();
        this.#clear = this.#cookiePresent;
        return;
      }
      // Spared by revokeUser({ except }): the new id keeps the exemption by a later login time.
      const renewed = check.renewedLoginTime;
      if (renewed !== undefined && live.sid === client.sid) {
        live.createdAt = Math.max(live.createdAt, renewed);
      }
    }
    await this.#revokeClient();
    const from = live.sid;
    live.sid = newSid();
    this.#changed = true;
    this.#ctx.events.emit('rotated', {
      from: publicOf(from),
      to: publicOf(live.sid),
      userId: live.userId,
      reason: 'regenerate',
    });
  }

  /**
   * Logs `userId` in: a new session id and cookie, auth time and method recorded (SEC-37), a fresh
   * absolute lifetime, anonymous data kept unless the session belonged to another user.
   *
   * A cookie planted before login stays what it was, an anonymous session holding none of the
   * user's rights, so fixation gains nothing. Re-login over a logged-in session leaves the old
   * value valid until its expiry unless `revocation` is configured, which kills it here.
   * @throws StoreUnavailableError when revocation is configured and its store fails.
   */
  async bindUser(userId: string, options: BindUserOptions = {}): Promise<void> {
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new TypeError('session.bindUser(userId): userId must be a non-empty string');
    }
    await this.load();
    this.#assertOpen('bindUser');
    const previous = this.#live;
    if (previous !== null && previous.userId !== null && previous.userId !== userId)
      this.#values = new SessionValues();
    const o = this.#ctx.options;
    const now = o.now();
    const revocations = this.#ctx.revocations;
    // With revocation, the login time is after any "valid after" stamp of the user.
    const createdAt = revocations === null ? now : await revocations.loginTime(userId, now);
    await this.#revokeClient();
    const rememberMe = options.rememberMe === true;
    const lifetimes = rememberMe ? o.rememberMe : o;
    const meta: SessionMeta = {
      ...options.meta,
      authTime: now,
      authMethod: options.method ?? 'password',
    };
    this.#live = {
      sid: newSid(),
      userId,
      createdAt,
      lastSeenAt: now,
      absoluteExpiresAt: createdAt + lifetimes.absoluteTimeout,
      idleTimeout: lifetimes.idleTimeout,
      persistent: rememberMe,
      meta,
    };
    this.#changed = true;
    this.#clear = false;
    if (previous === null) {
      this.#announce = true;
    } else {
      this.#announce = false;
      this.#ctx.events.emit('rotated', {
        from: publicOf(previous.sid),
        to: publicOf(this.#live.sid),
        userId,
        reason: 'bind-user',
      });
    }
  }

  /**
   * Overrides this session's timeouts. With `revocation`, `absolute` may not exceed the longest
   * configured lifetime, since revocation records are kept only that long.
   */
  async setTimeouts(timeouts: SessionTimeouts): Promise<void> {
    const idle = timeouts.idle === undefined ? undefined : toMilliseconds(timeouts.idle, 'idle');
    const absolute =
      timeouts.absolute === undefined ? undefined : toMilliseconds(timeouts.absolute, 'absolute');
    const revocations = this.#ctx.revocations;
    if (absolute !== undefined && revocations !== null && absolute > revocations.retention) {
      throw new RangeError(
        `setTimeouts: absolute (${absolute} ms) exceeds the longest configured lifetime (${revocations.retention} ms), beyond which revocation records are not kept; raise absoluteTimeout or rememberMe.absoluteTimeout`,
      );
    }
    await this.load();
    this.#assertOpen('setTimeouts');
    const live = this.#ensureLive(this.#ctx.options.now());
    if (idle !== undefined) live.idleTimeout = idle;
    if (absolute !== undefined) live.absoluteExpiresAt = live.createdAt + absolute;
    this.#changed = true;
  }

  /**
   * Ends the session and clears the cookie; the object stays usable as a new, empty anonymous
   * session. Without `revocation`, a copy of the cookie taken before logout stays valid until its
   * own expiry: a stateless cookie cannot be recalled (document this to your users' threat model,
   * or configure revocation). With it, a logged-in session is dead everywhere when this resolves.
   * @throws StoreUnavailableError when revocation is configured and its store fails.
   */
  async destroy(): Promise<void> {
    await this.load();
    this.#assertOpen('destroy');
    await this.#revokeClient();
    const client = this.#client;
    if (client !== null) {
      this.#ctx.events.emit('destroyed', {
        session: publicOf(client.sid),
        userId: client.userId,
        reason: 'destroy',
      });
    }
    this.#reset();
    this.#clear = this.#cookiePresent;
  }

  // ---- loading and committing ---------------------------------------------------------------

  load(): Promise<void> {
    this.#loading ??= this.#load().then(
      () => {
        this.#settled = true;
      },
      (error: unknown) => {
        this.#settled = true;
        this.#failed = true;
        throw error;
      },
    );
    return this.#loading;
  }

  async #load(): Promise<void> {
    const { options, ring, events, revocations } = this.#ctx;
    const name = options.cookie.name;
    const cookie = readCookie(this.#request.cookie, name);
    if (cookie === undefined) return;
    this.#cookiePresent = true;
    const opened = unseal(ring, name, cookie);
    if (!opened.ok) {
      const { reason, keyId } = opened;
      events.emit('rejected-token', keyId === undefined ? { reason } : { reason, keyId });
      return;
    }
    const state = decodeState(opened.plaintext);
    if (state === null) {
      events.emit('rejected-token', { reason: 'corrupt', keyId: opened.keyId });
      return;
    }
    const session = publicOf(state.sid);
    const now = options.now();
    if (now >= expiryOf(state.lastSeenAt, state.idleTimeout, state.absoluteExpiresAt)) {
      events.emit('expired', { session, count: 1 });
      return;
    }
    // A store failure rejects here: the request fails closed (503), never runs as logged in.
    if (revocations !== null && (await revocations.check(state, now)).revoked) {
      events.emit('rejected-token', { reason: 'revoked', session });
      return;
    }
    this.#client = state;
    const { data, ...live } = state;
    this.#live = { ...live, meta: { ...live.meta } };
    this.#values = new SessionValues(data);
    // Cookies sealed with an older key move to the newest one as their users come back.
    if (opened.keyId !== ring.current.id) this.#changed = true;
  }

  /**
   * @internal Called once per request by the provider, before the response headers go out.
   * Synchronous unless the session is still loading.
   * @throws CookieTooLargeError when the sealed session exceeds the cookie limit.
   */
  commit(): CommitResult | Promise<CommitResult> {
    if (this.#committed) throw new SessionStateError('session already committed');
    const loading = this.#loading;
    if (loading === null) {
      this.#committed = true;
      return NO_CHANGE;
    }
    if (!this.#settled || this.#failed) {
      // Still loading, or failed to (store down): the promise settles with the outcome.
      this.#committed = this.#failed;
      return loading.then(() => this.#finish());
    }
    return this.#finish();
  }

  #finish(): CommitResult {
    this.#committed = true;
    const o = this.#ctx.options;
    const now = o.now();
    const hasContent = this.#userBound() || this.#values.size > 0;
    let setCookie: string | null = null;
    if (hasContent) {
      const live = this.#ensureLive(now);
      if (this.#changed || now - live.lastSeenAt >= o.touchInterval) {
        live.lastSeenAt = now;
        setCookie = this.#seal(live, now);
        if (this.#announce) {
          this.#ctx.events.emit('created', { session: publicOf(live.sid), userId: live.userId });
        }
      }
    } else if (this.#cookiePresent && (this.#clear || (this.#client !== null && this.#changed))) {
      // Nothing left to keep (logout, or the last key removed): drop the cookie.
      setCookie = clearCookie(o.cookie);
    }
    if (setCookie !== null) this.#ctx.warnInsecureTransport(this.#request);
    const authenticated = this.#userBound();
    return {
      setCookie,
      vary: true,
      cacheControl:
        o.cacheControl !== false && (authenticated || setCookie !== null) ? o.cacheControl : null,
    };
  }

  // ---- internals ----------------------------------------------------------------------------

  #seal(live: Live, now: number): string {
    const o = this.#ctx.options;
    const payload = encodeState({ ...live, data: this.#values.snapshot() });
    const value = seal(this.#ctx.ring, o.cookie.name, payload);
    // SEC-13: a remembered session's cookie never outlives its absolute deadline.
    const maxAge = live.persistent
      ? Math.max(0, Math.floor((live.absoluteExpiresAt - now) / 1000))
      : undefined;
    try {
      return serializeCookie(o.cookie, value, maxAge);
    } catch (error) {
      if (!(error instanceof LatchkeyError)) throw error;
      throw new CookieTooLargeError(
        `${error.message}. The session holds ${Buffer.byteLength(payload)} bytes of JSON ` +
          `(${this.#values.size} keys), too much for a sealed cookie; keep large ` +
          'values in a server-side store (createSessions) and only small ones in the session',
        { cause: error },
      );
    }
  }

  /** Kills the cookie value the client sent, if it is a logged-in session and revocation is on. */
  async #revokeClient(): Promise<void> {
    const revocations = this.#ctx.revocations;
    const client = this.#client;
    if (revocations === null || client === null || client.userId === null || this.#clientRevoked) {
      return;
    }
    const now = this.#ctx.options.now();
    await revocations.revokeSession(
      client.userId,
      publicOf(client.sid),
      now,
      client.absoluteExpiresAt,
    );
    this.#clientRevoked = true;
  }

  #ensureLive(now: number): Live {
    if (this.#live === null) {
      const o = this.#ctx.options;
      this.#live = {
        sid: newSid(),
        userId: null,
        createdAt: now,
        lastSeenAt: now,
        absoluteExpiresAt: now + o.absoluteTimeout,
        idleTimeout: o.idleTimeout,
        persistent: false,
        meta: {},
      };
      this.#announce = true;
    }
    return this.#live;
  }

  #userBound(): boolean {
    return this.#live !== null && this.#live.userId !== null;
  }

  #assertOpen(operation: string): void {
    if (this.#committed) {
      throw new SessionStateError(
        `session.${operation}() after the response was sent: the change would be lost; finish session work before writing the response`,
      );
    }
  }

  #reset(): void {
    this.#live = null;
    this.#values = new SessionValues();
    this.#changed = false;
    this.#announce = false;
  }
}
