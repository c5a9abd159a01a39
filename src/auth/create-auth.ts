import type { UserSession } from '../core/manager.js';
import type { Session } from '../core/session.js';
import { ConfigurationError } from '../core/errors.js';
import { toMilliseconds } from '../core/duration.js';
import {
  BINDING_KEY,
  baselineOf,
  compareBinding,
  resolveBinding,
  type BindingBaseline,
} from './binding.js';
import { Verifier } from './credentials.js';
import { describeDevice } from './device.js';
import { AuthEventEmitter } from './events.js';
import { credentialFingerprint, fingerprintMatches } from './fingerprint.js';
import { deny, resolveGuardOptions } from './guards.js';
import { checkCollaborators, resolveLimit, resolveSecret, type AuthOptions } from './options.js';
import { argon2Hasher, checkPassword, normalizePassword } from './password.js';
import { Throttle } from './throttle.js';
import { memoryThrottleStore } from './throttle-stores.js';
import { guardUsers } from './unavailable.js';
import { normalizeLogin, type User } from './users.js';
import type { Auth, AuthUser, ClientInfo, Guard, SessionRef } from './auth-types.js';

export type * from './auth-types.js';

const REAUTH_KEY = 'latchkey.reauthAt';
const PUBLIC_ID = /^[0-9a-f]{16}$/;

function strip<U extends User>(user: U): AuthUser<U> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- dropped on purpose
  const { passwordHash, ...rest } = user;
  return rest;
}

/** Internal view of any session: the auth module only uses its own keys. */
/** How many sessions a revocation ended: null when the manager cannot count (sealed cookies). */
function counted(result: unknown): number | null {
  return typeof result === 'number' ? result : null;
}

function plain<D extends object>(session: Session<D>): Session {
  return session as unknown as Session;
}

/**
 * Creates the login layer on top of a session manager and a user store.
 *
 * @example
 * const auth = createAuth({ sessions, users: sqliteUsers(db), secret: process.env.AUTH_SECRET });
 * const result = await auth.login(req.session, { login, password }, { request: requestInfo(req, false) });
 * @throws ConfigurationError for a missing or short secret, a sessions object that cannot list and
 * revoke sessions, a users object without finders, or invalid throttle/binding/limit options.
 */
export function createAuth<U extends User = User>(options: AuthOptions<U>): Auth<U> {
  checkCollaborators(options);
  const secret = resolveSecret(options.secret);
  const { sessions } = options;
  const users = guardUsers(options.users);
  const now = options.now ?? sessions.options?.now ?? Date.now;
  const hasher = options.hasher ?? argon2Hasher();
  const events = new AuthEventEmitter();
  const throttle =
    options.throttle === false
      ? null
      : new Throttle(options.throttle ?? { store: memoryThrottleStore() }, secret);
  const binding = resolveBinding(options.binding);
  const limit = resolveLimit(options.maxSessionsPerUser);
  const guardOptions = resolveGuardOptions(options.guards);
  const verifier = new Verifier(hasher, users, throttle, events, now);
  const cache = new WeakMap<object, Promise<AuthUser<U> | null>>();
  // Start the dummy hash now, so the first unknown-user login takes as long as any other.
  verifier.dummyHash().catch(() => undefined);

  const fingerprint = (userId: string, hash: string | null) =>
    credentialFingerprint(secret, userId, hash);

  async function publicIdOf(session: SessionRef | string | null | undefined) {
    if (session === null || session === undefined) return undefined;
    if (typeof session === 'string') return session;
    return (await session.info()).publicId ?? undefined;
  }

  async function end(
    session: Session,
    userId: string,
    reason: 'credential-mismatch' | 'user-gone' | 'user-disabled' | 'binding',
  ) {
    await session.destroy();
    events.emit('sessions-revoked', { userId, count: 1, reason });
  }

  /** A user's live sessions; only server-side managers can list them. */
  function listByUser(userId: string): Promise<UserSession[]> {
    if (sessions.listByUser === undefined) {
      throw new ConfigurationError(
        "auth.listSessions(): this session manager cannot list a user's sessions (sealed-cookie sessions); use createSessions() with a store",
      );
    }
    return sessions.listByUser(userId);
  }

  async function makeRoom(session: Session, userId: string): Promise<boolean> {
    if (limit === null) return true;
    const current = (await session.info()).publicId;
    const others = (await listByUser(userId)).filter((s) => s.publicId !== current);
    const excess = others.length - limit.limit + 1;
    if (excess <= 0) return true;
    if (limit.onLimit === 'refuse') return false;
    const oldest = others.sort((a, b) => a.lastSeenAt - b.lastSeenAt).slice(0, excess);
    let count = 0;
    for (const s of oldest) if (await sessions.revoke(userId, s.publicId)) count++;
    events.emit('sessions-revoked', { userId, count, reason: 'session-limit' });
    return true;
  }

  async function bind(
    session: Session,
    user: User,
    passwordHash: string,
    rememberMe: boolean,
  ): Promise<void> {
    await session.delete(BINDING_KEY);
    await session.delete(REAUTH_KEY);
    await session.bindUser(user.id, {
      rememberMe,
      method: 'password',
      meta: { cred: fingerprint(user.id, passwordHash) },
    });
  }

  async function checkBinding(
    session: Session,
    userId: string,
    request: ClientInfo,
  ): Promise<boolean> {
    if (binding === null) return true;
    const info = await session.info();
    const saved = await session.get(BINDING_KEY);
    const baseline =
      typeof saved === 'object' && saved !== null
        ? (saved as BindingBaseline)
        : baselineOf(info.meta.ip, info.meta.userAgent);
    const current = baselineOf(request.ip, request.userAgent);
    const { changed, action } = compareBinding(binding, baseline, current);
    if (action === 'ignore') return true;
    events.emit('binding-changed', { userId, session: info.publicId, changed, action });
    if (action === 'end') {
      await end(session, userId, 'binding');
      return false;
    }
    // Accept the new baseline so the change is handled once, not on every request.
    await session.set(BINDING_KEY, {
      ua: current.ua ?? baseline.ua,
      net: current.net ?? baseline.net,
    });
    if (action === 'rotate') await session.regenerate();
    return (await session.userId()) === userId;
  }

  async function loadUser(session: Session, request: ClientInfo | undefined) {
    const userId = await session.userId();
    if (userId === null) return null;
    const user = await users.findById(userId);
    if (user === null || user.disabled) {
      await end(session, userId, user === null ? 'user-gone' : 'user-disabled');
      return null;
    }
    const { meta } = await session.info();
    if (!fingerprintMatches(fingerprint(user.id, user.passwordHash), meta.cred)) {
      await end(session, userId, 'credential-mismatch');
      return null;
    }
    if (request !== undefined && !(await checkBinding(session, userId, request))) return null;
    return strip(user);
  }

  function currentUser(session: Session, request?: ClientInfo): Promise<AuthUser<U> | null> {
    let pending = cache.get(session);
    if (pending === undefined) {
      pending = loadUser(session, request);
      cache.set(session, pending);
      // A failure must not be remembered: the next call tries again.
      pending.catch(() => cache.delete(session));
    }
    return pending;
  }

  async function loggedInUser(session: Session): Promise<U | null> {
    const current = await currentUser(session);
    return current === null ? null : users.findById(current.id);
  }

  function guard(fresh: number | null): Guard<U> {
    return async (request) => {
      const session = plain(request.session);
      const user = await currentUser(session, request);
      if (user === null) return deny(request, 'unauthenticated', guardOptions);
      if (fresh !== null) {
        const info = await session.info();
        const confirmed = await session.get(REAUTH_KEY);
        const times = [typeof confirmed === 'number' ? confirmed : null];
        if (!info.persistent) times.push(info.authTime);
        const last = Math.max(...times.map((t) => t ?? Number.NEGATIVE_INFINITY));
        if (!(now() - last <= fresh)) {
          return deny(request, 'reauthentication-required', guardOptions);
        }
      }
      return { ok: true, user };
    };
  }

  function missing(method: string, caller: string): never {
    throw new ConfigurationError(
      `auth.${caller}() needs users.${method}(); add it to your UserStore`,
    );
  }

  const auth: Auth<U> = {
    async login(rawSession, credentials, loginOptions = {}) {
      const session = plain(rawSession);
      cache.delete(session);
      const rememberMe = loginOptions.rememberMe === true;
      const result = await verifier.verify(
        { login: credentials?.login },
        credentials?.password,
        loginOptions.request?.ip,
      );
      if (!result.ok) {
        return result.reason === 'throttled'
          ? { ok: false, reason: 'throttled', retryAfter: result.retryAfter }
          : { ok: false, reason: 'invalid-credentials' };
      }
      const { user } = result;
      if (!(await makeRoom(session, user.id))) {
        events.emit('login-failed', {
          reason: 'session-limit',
          userId: user.id,
          account: result.keys?.account ?? '',
        });
        return { ok: false, reason: 'session-limit' };
      }
      await bind(session, user, result.passwordHash, rememberMe);
      await verifier.succeeded(result.keys);
      events.emit('login-succeeded', {
        userId: user.id,
        session: (await session.info()).publicId,
        method: 'password',
        rememberMe,
        rehashed: result.rehashed,
      });
      return { ok: true, user: strip(user) };
    },

    async logout(rawSession) {
      const session = plain(rawSession);
      cache.delete(session);
      const info = await session.info();
      await session.destroy();
      events.emit('logout', { userId: info.userId, session: info.publicId });
    },

    async logoutEverywhere(userId, { except } = {}) {
      const publicId = await publicIdOf(except);
      const count = counted(
        await sessions.revokeUser(userId, publicId === undefined ? {} : { except: publicId }),
      );
      events.emit('sessions-revoked', { userId, count, reason: 'logout-everywhere' });
      return count;
    },

    async changePassword(rawSession, currentPassword, newPassword, changeOptions = {}) {
      const session = plain(rawSession);
      const update =
        users.updatePasswordHash?.bind(users) ?? missing('updatePasswordHash', 'changePassword');
      const user = await loggedInUser(session);
      if (user === null) return { ok: false, reason: 'unauthenticated' };
      const problem = checkPassword(newPassword);
      if (problem !== null) return { ok: false, reason: 'invalid-password', problem };
      const result = await verifier.verify({ user }, currentPassword, changeOptions.request?.ip);
      if (!result.ok) {
        return result.reason === 'throttled'
          ? { ok: false, reason: 'throttled', retryAfter: result.retryAfter }
          : { ok: false, reason: 'invalid-credentials' };
      }
      await verifier.succeeded(result.keys);
      const hash = await hasher.hash(normalizePassword(newPassword as string));
      await update(user.id, hash);
      cache.delete(session);
      const { persistent } = await session.info();
      await bind(session, user, hash, persistent);
      const except = (await session.info()).publicId;
      const sessionsEnded = counted(
        await sessions.revokeUser(user.id, except === null ? {} : { except }),
      );
      events.emit('password-changed', { userId: user.id, by: 'user' });
      events.emit('sessions-revoked', {
        userId: user.id,
        count: sessionsEnded,
        reason: 'password-changed',
      });
      return { ok: true, sessionsEnded };
    },

    async resetPassword(userId, newPassword) {
      const update =
        users.updatePasswordHash?.bind(users) ?? missing('updatePasswordHash', 'resetPassword');
      const problem = checkPassword(newPassword);
      if (problem !== null) return { ok: false, problem };
      const user = await users.findById(userId);
      if (user === null) return { ok: false, problem: 'unknown-user' };
      await update(userId, await hasher.hash(normalizePassword(newPassword as string)));
      const sessionsEnded = counted(await sessions.revokeUser(userId));
      if (throttle !== null)
        await throttle.succeed(throttle.keys(normalizeLogin(user.login), undefined), now());
      events.emit('password-changed', { userId, by: 'reset' });
      events.emit('sessions-revoked', {
        userId,
        count: sessionsEnded,
        reason: 'password-changed',
      });
      return { ok: true, sessionsEnded };
    },

    async confirmPassword(rawSession, password, confirmOptions = {}) {
      const session = plain(rawSession);
      const user = await loggedInUser(session);
      if (user === null) return { ok: false, reason: 'unauthenticated' };
      const result = await verifier.verify({ user }, password, confirmOptions.request?.ip);
      if (!result.ok) {
        return result.reason === 'throttled'
          ? { ok: false, reason: 'throttled', retryAfter: result.retryAfter }
          : { ok: false, reason: 'invalid-credentials' };
      }
      if (result.rehashed) {
        // The hash changed: re-bind so this session's fingerprint follows it.
        const { persistent } = await session.info();
        await bind(session, user, result.passwordHash, persistent);
        cache.delete(session);
      } else {
        await session.regenerate();
      }
      await session.set(REAUTH_KEY, now());
      await verifier.succeeded(result.keys);
      return { ok: true };
    },

    async disableUser(userId) {
      const disable = users.setDisabled?.bind(users) ?? missing('setDisabled', 'disableUser');
      await disable(userId, true);
      const count = counted(await sessions.revokeUser(userId));
      events.emit('sessions-revoked', { userId, count, reason: 'user-disabled' });
      return count;
    },

    async createUser(login, password) {
      const create = users.create?.bind(users) ?? missing('create', 'createUser');
      const problem = checkPassword(password);
      if (problem !== null) return { ok: false, problem };
      const user = await create(login, await hasher.hash(normalizePassword(password as string)));
      return { ok: true, user: strip(user) };
    },

    async listSessions(userId, { current } = {}) {
      const currentId = await publicIdOf(current);
      return (await listByUser(userId)).map((s) => ({
        ...s,
        device: describeDevice(s.userAgent),
        current: s.publicId === currentId,
      }));
    },

    async revokeSession(userId, publicId) {
      if (typeof publicId !== 'string' || !PUBLIC_ID.test(publicId)) return false;
      const revoked = await sessions.revoke(userId, publicId);
      if (revoked) events.emit('sessions-revoked', { userId, count: 1, reason: 'revoke' });
      return revoked;
    },

    currentUser: (session, request) => currentUser(plain(session), request),

    requireUser: () => guard(null),

    requireFreshLogin(maxAge) {
      let ms: number;
      try {
        ms = toMilliseconds(maxAge, 'requireFreshLogin(maxAge)');
      } catch (error) {
        throw new ConfigurationError((error as Error).message);
      }
      return guard(ms);
    },

    on(event, listener) {
      events.on(event, listener);
      return auth;
    },
    off(event, listener) {
      events.off(event, listener);
      return auth;
    },
  };
  return auth;
}
