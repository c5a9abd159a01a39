import { checksData } from './checked-data.js';
import { SessionEventEmitter, type SessionEventListener, type SessionEventName } from './events.js';
import { guardStore } from './guarded-store.js';
import { emitOptionWarnings, insecureTransportWarning } from './warnings.js';
import { resolveOptions, type ResolvedOptions, type SessionOptions } from './options.js';
import {
  StoreSession,
  type SessionContext,
  type SessionData,
  type SessionProvider,
} from './session.js';
import { SessionStateError } from './errors.js';
import type { SessionRecord } from './store.js';
import { publicIdOf } from './token.js';

/** One entry of a user's session list ("your devices", SEC-33). */
export interface UserSession {
  /** Short public id: show it, and pass it to `revoke()`. Never a token. */
  readonly publicId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly persistent: boolean;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly authTime: number | null;
}

/** The session manager returned by {@link createSessions}. */
export interface Sessions<Data extends object = SessionData> extends SessionProvider<Data> {
  /** The validated, frozen options in force. */
  readonly options: ResolvedOptions;
  /** Live sessions of a user, most recently used first. */
  listByUser(userId: string): Promise<UserSession[]>;
  /** Ends one session of a user by its public id. Returns false when there is no such session. */
  revoke(userId: string, publicId: string): Promise<boolean>;
  /**
   * Ends every session of a user ("log out everywhere", SEC-31/34), except `except` (a public id,
   * typically the current session's). Returns how many ended.
   */
  revokeUser(userId: string, options?: { except?: string }): Promise<number>;
  /** Removes expired records if the store supports sweeping; returns how many (0 otherwise). */
  purgeExpired(): Promise<number>;
  on<E extends SessionEventName>(event: E, listener: SessionEventListener<E>): this;
  off<E extends SessionEventName>(event: E, listener: SessionEventListener<E>): this;
}

function toUserSession(record: SessionRecord): UserSession {
  return {
    publicId: publicIdOf(record.id),
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    expiresAt: record.expiresAt,
    persistent: record.persistent,
    ip: record.meta.ip ?? null,
    userAgent: record.meta.userAgent ?? null,
    authTime: record.meta.authTime ?? null,
  };
}

/**
 * Creates the session manager. Options are validated here, once: a contradiction (idle timeout
 * longer than the absolute one, a `__Host-` cookie with a Domain, an illegal cookie name) throws a
 * ConfigurationError saying what to change. Risky but legal choices (Secure or HttpOnly off) emit
 * one process warning.
 *
 * @example
 * const sessions = createSessions<{ cart: string[] }>({ store: memoryStore() });
 */
export function createSessions<Data extends object = SessionData>(
  options: SessionOptions,
): Sessions<Data> {
  const resolved = resolveOptions(options);
  const events = new SessionEventEmitter();
  const call = guardStore(resolved.store, resolved.storeTimeout, events);
  emitOptionWarnings(resolved.warnings);

  const ctx: SessionContext = {
    options: resolved,
    storeChecksData: checksData(resolved.store),
    events,
    call,
    warnInsecureTransport: insecureTransportWarning(resolved.cookie),
  };

  const manager: Sessions<Data> = {
    options: resolved,
    trustProxy: resolved.trustProxy,
    fromRequest: (request) => new StoreSession<Data>(ctx, request),
    commit(session) {
      if (!(session instanceof StoreSession)) {
        throw new SessionStateError(
          'sessions.commit() was given a session this manager did not create',
        );
      }
      return (session as StoreSession<Data>).commit();
    },
    async listByUser(userId) {
      const now = resolved.now();
      const records = await call('listByUser', (s) => s.listByUser(userId, now));
      return records
        .filter((r) => r.expiresAt > now && r.userId === userId)
        .sort((a, b) => b.lastSeenAt - a.lastSeenAt)
        .map(toUserSession);
    },
    async revoke(userId, publicId) {
      const now = resolved.now();
      const records = await call('listByUser', (s) => s.listByUser(userId, now));
      const target = records.find((r) => r.userId === userId && publicIdOf(r.id) === publicId);
      if (target === undefined) return false;
      await call('delete', (s) => s.delete(target.id));
      events.emit('destroyed', { session: publicId, userId, reason: 'revoke' });
      return true;
    },
    async revokeUser(userId, { except } = {}) {
      let exceptId: string | undefined;
      if (except !== undefined) {
        const now = resolved.now();
        const records = await call('listByUser', (s) => s.listByUser(userId, now));
        exceptId = records.find((r) => publicIdOf(r.id) === except)?.id;
      }
      const count = await call('deleteByUser', (s) => s.deleteByUser(userId, exceptId));
      events.emit('destroyed', { session: '*', userId, reason: 'revoke' });
      return count;
    },
    async purgeExpired() {
      const { store } = resolved;
      if (store.deleteExpired === undefined) return 0;
      const now = resolved.now();
      const count = await call(
        'deleteExpired',
        (s) => s.deleteExpired?.(now) ?? Promise.resolve(0),
      );
      if (count > 0) events.emit('expired', { count });
      return count;
    },
    on(event, listener) {
      events.on(event, listener);
      return manager;
    },
    off(event, listener) {
      events.off(event, listener);
      return manager;
    },
  };
  return manager;
}
