/**
 * Latchkey core: secure server-side sessions. Adapters live in `latchkey/node`, `latchkey/express`
 * and friends; stores in `latchkey/stores/*`.
 */
export { createSessions } from './core/manager.js';
export type { Sessions, UserSession } from './core/manager.js';
export { StoreSession } from './core/session.js';
export type {
  Session,
  SessionProvider,
  BindUserOptions,
  CommitResult,
  RequestInfo,
  SessionData,
  SessionInfo,
  SessionTimeouts,
} from './core/session.js';
export { DEFAULTS } from './core/options.js';
export type {
  CookieOptions,
  RememberMeOptions,
  ResolvedOptions,
  SessionOptions,
} from './core/options.js';
export type { Duration } from './core/duration.js';
export { toMilliseconds } from './core/duration.js';
export type { Awaitable, SessionMeta, SessionPatch, SessionRecord, Store } from './core/store.js';
export { applyPatch, expiryOf } from './core/store.js';
export {
  ConfigurationError,
  LatchkeyError,
  SessionStateError,
  StoreUnavailableError,
} from './core/errors.js';
export type { SessionEventListener, SessionEventName, SessionEvents } from './core/events.js';
export { generateToken, hashToken, isWellFormedToken, publicIdOf } from './core/token.js';
export { MAX_SET_COOKIE_BYTES } from './core/cookie.js';
