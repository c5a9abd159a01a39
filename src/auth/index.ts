/**
 * `latchkey/auth`: password login on top of Latchkey sessions. argon2id passwords, a small user
 * store contract, login/logout, throttling, re-authentication, "your sessions", route guards.
 * See docs/auth.md.
 */
export { createAuth } from './create-auth.js';
export type {
  Auth,
  AuthUser,
  ChangePasswordResult,
  ClientInfo,
  ConfirmResult,
  Credentials,
  Guard,
  ListedSession,
  LoginOptions,
  LoginResult,
  SessionRef,
} from './auth-types.js';
export type { AuthOptions, AuthSessions, SessionLimit } from './options.js';
export {
  argon2Hasher,
  checkPassword,
  normalizePassword,
  ARGON2_DEFAULTS,
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH,
} from './password.js';
export type { Argon2Options, PasswordHasher, PasswordProblem } from './password.js';
export { normalizeLogin, usersFromFunctions, MAX_LOGIN_LENGTH } from './users.js';
export type { User, UserStore } from './users.js';
export { memoryUsers } from './users-memory.js';
export type { MemoryUserStore } from './users-memory.js';
export { sqliteUsers } from './users-sqlite.js';
export type { SqliteUsersOptions } from './users-sqlite.js';
export { postgresUsers } from './users-postgres.js';
export type { PostgresUsersOptions } from './users-postgres.js';
export { THROTTLE_DEFAULTS, backoffDelay } from './throttle.js';
export type {
  ThrottleBackoff,
  ThrottleOptions,
  ThrottleRule,
  ThrottleStore,
  ThrottleTake,
} from './throttle.js';
export {
  memoryThrottleStore,
  postgresThrottleStore,
  redisThrottleStore,
  sqliteThrottleStore,
} from './throttle-stores.js';
export type { RedisEvalClient, SweepableThrottleStore } from './throttle-stores.js';
export { safeReturnTo, wantsJson } from './guards.js';
export type { GuardDenial, GuardOptions, GuardRequest, GuardResult } from './guards.js';
export type { BindingAction, BindingOptions } from './binding.js';
export { describeDevice } from './device.js';
export type { AuthEventListener, AuthEventName, AuthEvents } from './events.js';
export { guardRequest, sendDenial } from './node.js';
