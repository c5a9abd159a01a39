import type { UserSession } from '../core/manager.js';
import type { Session } from '../core/session.js';
import type { Duration } from '../core/duration.js';
import type { AuthEventListener, AuthEventName } from './events.js';
import type { GuardRequest, GuardResult } from './guards.js';
import type { PasswordProblem } from './password.js';
import type { User } from './users.js';

/** The public types of `createAuth`: what it returns and what its methods take and answer. */
/** A user as the auth module hands it to the app: everything but the password hash. */
export type AuthUser<U extends User = User> = Omit<U, 'passwordHash'>;

/** Client facts for throttling and binding. With node:http, `requestInfo(req, sessions.trustProxy)`. */
export interface ClientInfo {
  readonly ip?: string | undefined;
  readonly userAgent?: string | undefined;
}

/** What a login form submits. Anything else (missing fields, numbers, objects) simply fails. */
export interface Credentials {
  readonly login: unknown;
  readonly password: unknown;
}

/** Options of `auth.login`. */
export interface LoginOptions {
  /** Persistent cookie with the longer remember-me lifetimes. Default false. */
  readonly rememberMe?: boolean;
  /** The client, for per-network throttling. Without `ip`, only the account is throttled. */
  readonly request?: ClientInfo;
}

/**
 * The outcome of a login. Unknown user, wrong password, disabled account and malformed input all
 * give the same `invalid-credentials` (SEC-52): answer them with one status and body. Answer
 * `throttled` with 429 and `Retry-After: retryAfter` (seconds).
 */
export type LoginResult<U extends User = User> =
  | { readonly ok: true; readonly user: AuthUser<U> }
  | { readonly ok: false; readonly reason: 'invalid-credentials' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfter: number }
  | { readonly ok: false; readonly reason: 'session-limit' };

/** The outcome of `changePassword`. */
export type ChangePasswordResult =
  | {
      readonly ok: true;
      /** Other sessions ended; null when the session manager cannot count (sealed cookies). */
      readonly sessionsEnded: number | null;
    }
  | { readonly ok: false; readonly reason: 'unauthenticated' | 'invalid-credentials' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfter: number }
  | { readonly ok: false; readonly reason: 'invalid-password'; readonly problem: PasswordProblem };

/** The outcome of `confirmPassword`. */
export type ConfirmResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'unauthenticated' | 'invalid-credentials' }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfter: number };

/** One entry of "your sessions". */
export interface ListedSession extends UserSession {
  /** E.g. "Firefox on Linux", from the User-Agent at login (a hint, client-controlled). */
  readonly device: string;
  /** True for the session passed as `current`. */
  readonly current: boolean;
}

/** Any session (whatever its data type), as far as naming it goes. */
export interface SessionRef {
  info(): Promise<{ readonly publicId: string | null }>;
}

/** A route guard: see `requireUser` and `requireFreshLogin`. */
export type Guard<U extends User = User> = <D extends object>(
  request: GuardRequest<Session<D>>,
) => Promise<GuardResult<AuthUser<U>>>;

/** The object returned by {@link createAuth}. */
export interface Auth<U extends User = User> {
  /**
   * Checks the credentials and logs the user in on `session`: a new token (the pre-login one is
   * dead, SEC-19), auth time and method, IP and User-Agent, a credential fingerprint. Upgrades an
   * outdated hash (SEC-50). Failures are indistinguishable to the caller (SEC-52) and throttled
   * per account and network (SEC-46/53). Use it in a CSRF-protected POST handler (SEC-45).
   */
  login<D extends object>(
    session: Session<D>,
    credentials: Credentials,
    options?: LoginOptions,
  ): Promise<LoginResult<U>>;
  /** Ends the session (SEC-28). Call it from a CSRF-protected POST, never a GET (SEC-30). */
  logout<D extends object>(session: Session<D>): Promise<void>;
  /**
   * Ends every session of the user (SEC-34), except `except` (a session or its public id).
   * Returns how many ended, or null when the session manager cannot count them (sealed cookies).
   */
  logoutEverywhere(
    userId: string,
    options?: { readonly except?: SessionRef | string | null },
  ): Promise<number | null>;
  /**
   * Changes the logged-in user's password after checking the current one: rotates this session,
   * keeps it logged in, and ends every other session of the user (SEC-32), including any the
   * store's per-user index missed (their credential fingerprint no longer matches).
   */
  changePassword<D extends object>(
    session: Session<D>,
    currentPassword: unknown,
    newPassword: unknown,
    options?: { readonly request?: ClientInfo },
  ): Promise<ChangePasswordResult>;
  /**
   * Sets a new password without the old one (a reset link, an operator), ends every session of the
   * user and clears the account's throttle. Returns how many sessions ended, or the problem with
   * the password.
   */
  resetPassword(
    userId: string,
    newPassword: unknown,
  ): Promise<
    | { ok: true; sessionsEnded: number | null }
    | { ok: false; problem: PasswordProblem | 'unknown-user' }
  >;
  /**
   * Re-authentication (SEC-36): checks the logged-in user's password again, rotates the token, and
   * makes the session fresh for `requireFreshLogin`. Throttled like a login.
   */
  confirmPassword<D extends object>(
    session: Session<D>,
    password: unknown,
    options?: { readonly request?: ClientInfo },
  ): Promise<ConfirmResult>;
  /**
   * Disables the user (no more logins) and ends all of its sessions (SEC-31). Returns how many
   * ended, or null when the session manager cannot count them (sealed cookies).
   */
  disableUser(userId: string): Promise<number | null>;
  /** Registers a user through `users.create` after checking the password rules (SEC-51). */
  createUser(
    login: string,
    password: unknown,
  ): Promise<{ ok: true; user: AuthUser<U> } | { ok: false; problem: PasswordProblem }>;
  /** Live sessions of the user, most recently used first (SEC-33). */
  listSessions(
    userId: string,
    options?: { readonly current?: SessionRef | null },
  ): Promise<ListedSession[]>;
  /** Ends one session of the user by public id (from `listSessions`). False when there is none. */
  revokeSession(userId: string, publicId: string): Promise<boolean>;
  /**
   * The logged-in user, or null. Ends the session (and answers null) when the user is gone or
   * disabled, or when the password changed since this session logged in. With `request`, applies
   * the binding policy. Cached per session object, so calling it twice in a request costs one
   * lookup.
   */
  currentUser<D extends object>(
    session: Session<D>,
    request?: ClientInfo,
  ): Promise<AuthUser<U> | null>;
  /** Guard: a logged-in user, else 401 JSON for API clients or 303 to the login page. */
  requireUser(): Guard<U>;
  /**
   * Guard for sensitive actions (SEC-36/37): the user authenticated by password (login or
   * `confirmPassword`) within `maxAge`. A remembered ("remember me") session is fresh only after
   * `confirmPassword`, never from its login.
   */
  requireFreshLogin(maxAge: Duration): Guard<U>;
  on<E extends AuthEventName>(event: E, listener: AuthEventListener<E>): Auth<U>;
  off<E extends AuthEventName>(event: E, listener: AuthEventListener<E>): Auth<U>;
}
