import { ConfigurationError, SessionStateError } from '../core/errors.js';
import { SessionEventEmitter } from '../core/events.js';
import { emitOptionWarnings, insecureTransportWarning } from '../core/warnings.js';
import { guardStore } from '../core/guarded-store.js';
import type { SessionData, SessionProvider } from '../core/session.js';
import {
  CookieSessionEmitter,
  type CookieSessionEventListener,
  type CookieSessionEventName,
} from './events.js';
import { resolveCookieSessionOptions, type CookieSessionOptions } from './options.js';
import { Revocations } from './revocation.js';
import { SealedSession, type CookieSessionContext } from './session.js';

/** The provider returned by {@link createCookieSessions}; give it to any Latchkey adapter. */
export interface CookieSessions<Data extends object = SessionData> extends SessionProvider<Data> {
  /** Ids of the keys in the ring, newest (sealing) first. Safe to log. */
  readonly keyIds: readonly string[];
  /** True when `revocation` is configured. */
  readonly revocable: boolean;
  /**
   * Ends every session of `userId` logged in up to now (log out everywhere, password change,
   * disabling a user: SEC-31/32/34/55), except the session whose public id is `except` (typically
   * the current one, from `session.info()`). Writes the user's "valid after" stamp; every later
   * request of an older session reads as anonymous. Unlike server sessions it cannot count the
   * sessions it ended, since it never knew them.
   * @throws ConfigurationError when `revocation` is not configured: without a store a sealed
   * cookie cannot be recalled, and silently doing nothing would be a security bug.
   * @throws StoreUnavailableError when the store fails.
   */
  revokeUser(userId: string, options?: { readonly except?: string }): Promise<void>;
  /**
   * Ends one session of `userId` by its public id (from `session.info()` or an event). Resolves to
   * true even if no such session exists (a stateless provider cannot tell, so it marks the id dead
   * either way), and to false only for a string that is not a public id. A revocation only
   * affects that user's sessions, so a guessed id cannot end someone else's.
   * @throws ConfigurationError without `revocation`; StoreUnavailableError when the store fails.
   */
  revoke(userId: string, publicId: string): Promise<boolean>;
  on<E extends CookieSessionEventName>(event: E, listener: CookieSessionEventListener<E>): this;
  off<E extends CookieSessionEventName>(event: E, listener: CookieSessionEventListener<E>): this;
}

const PUBLIC_ID = /^[0-9a-f]{16}$/;

/**
 * Sealed-cookie sessions: the whole session lives in an AES-256-GCM encrypted and authenticated
 * cookie, so there is no store to run (edge runtimes, small apps). Same `Session` API as
 * `createSessions`, so an app switches between the two by configuration.
 *
 * Validated at start-up: `keys` (one or more secrets of at least 32 bytes, distinct, newest
 * first) and every option shared with server sessions, with the same defaults.
 * Any cookie that does not open, is expired or revoked reads as an empty anonymous session and
 * emits `rejected-token` or `expired`; it never throws.
 *
 * Security limits, by nature: without `revocation`, a copied cookie stays valid until its idle or
 * absolute deadline whatever logout does; and the session must fit in one 4096-byte cookie.
 *
 * @example
 * const sessions = createCookieSessions<{ cart: string[] }>({ keys: [process.env.SESSION_KEY!] });
 * http.createServer(withSession(sessions, handler));
 */
export function createCookieSessions<Data extends object = SessionData>(
  options: CookieSessionOptions,
): CookieSessions<Data> {
  const { base, ring, revocation } = resolveCookieSessionOptions(options);
  const events = new CookieSessionEmitter();
  let revocations: Revocations | null = null;
  if (revocation !== null) {
    // The core's store guard (deadline, StoreUnavailableError) reports on its own emitter type.
    const storeEvents = new SessionEventEmitter();
    storeEvents.on('store-error', (event) => {
      events.emit('store-error', event);
    });
    const call = guardStore(revocation.store, revocation.storeTimeout, storeEvents);
    revocations = new Revocations(
      call,
      Math.max(base.absoluteTimeout, base.rememberMe.absoluteTimeout),
    );
  }
  emitOptionWarnings(base.warnings);

  const ctx: CookieSessionContext = {
    options: base,
    ring,
    events,
    revocations,
    warnInsecureTransport: insecureTransportWarning(base.cookie),
  };

  function requireRevocation(method: string, userId: unknown): Revocations {
    if (revocations === null) {
      throw new ConfigurationError(
        `${method}() needs createCookieSessions({ revocation: { store } }); without a store a sealed cookie cannot be recalled`,
      );
    }
    if (typeof userId !== 'string' || userId.length === 0) {
      throw new TypeError(`${method}(userId): userId must be a non-empty string`);
    }
    return revocations;
  }

  const provider: CookieSessions<Data> = {
    trustProxy: base.trustProxy,
    keyIds: Object.freeze(ring.ids),
    revocable: revocations !== null,
    fromRequest: (request) => new SealedSession<Data>(ctx, request),
    commit(session) {
      if (!(session instanceof SealedSession)) {
        throw new SessionStateError(
          'cookieSessions.commit() was given a session this provider did not create',
        );
      }
      return (session as SealedSession<Data>).commit();
    },
    async revokeUser(userId, { except } = {}) {
      const revocations = requireRevocation('revokeUser', userId);
      if (except !== undefined && !PUBLIC_ID.test(except)) {
        throw new TypeError(
          'revokeUser(userId, { except }): except must be a public id from session.info()',
        );
      }
      await revocations.revokeUser(userId, base.now(), except);
      events.emit('destroyed', { session: '*', userId, reason: 'revoke' });
    },
    async revoke(userId, publicId) {
      const revocations = requireRevocation('revoke', userId);
      if (typeof publicId !== 'string' || !PUBLIC_ID.test(publicId)) return false;
      await revocations.revokeSession(userId, publicId, base.now());
      events.emit('destroyed', { session: publicId, userId, reason: 'revoke' });
      return true;
    },
    on(event, listener) {
      events.on(event, listener);
      return provider;
    },
    off(event, listener) {
      events.off(event, listener);
      return provider;
    },
  };
  return provider;
}
