/**
 * `latchkey/express-session`: a drop-in replacement for express-session 1.x. Change the import,
 * keep the app:
 *
 * ```ts
 * import session from 'latchkey/express-session'; // was: from 'express-session'
 * app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false }));
 * ```
 *
 * Same options and defaults, same `req.session` / `req.sessionID` / `req.sessionStore`, same
 * signed cookie (cookies issued by express-session keep working), same store interface (connect-redis
 * and other express-session stores work unchanged). With a Latchkey store (`latchkey/stores/*`)
 * saves become per-property patches: concurrent requests writing different properties both
 * persist, and a request in flight never undoes `destroy()`. See
 * docs/migrating-from-express-session.md.
 *
 * Typing: nothing here augments Express's `Request`. Keep `@types/express-session` for
 * `req.session` typing, or declare `req.session` yourself.
 */
import { createSessionMiddleware, type SessionMiddleware } from './express-session-middleware.js';
import type { SessionOptions } from './express-session-options.js';

export { Cookie, type CookieData, type CookieOptions } from './express-session-cookie.js';
export type { Callback, SessionRequest } from './express-session-context.js';
export type { ClassicStore } from './express-session-backend.js';
export { BROWSER_SESSION_TTL } from './express-session-latchkey.js';
export type { SessionMiddleware } from './express-session-middleware.js';
export type { SessionOptions } from './express-session-options.js';
export type { Secret } from './express-session-signature.js';
export { Session } from './express-session-session.js';
export {
  MemoryStore,
  Store,
  type MemoryStoreOptions,
  type SessionDataLike,
} from './express-session-store.js';

/**
 * Session middleware with express-session's options and defaults (`name: 'connect.sid'`,
 * `resave: true`, `saveUninitialized: true`, `rolling: false`, `unset: 'keep'`, cookie
 * `{ path: '/', httpOnly: true, secure: false, maxAge: null }`, a new `MemoryStore`).
 *
 * Those defaults are kept for compatibility; a cookie without Secure or SameSite and MemoryStore
 * under NODE_ENV=production are each reported once with `process.emitWarning` (type
 * `SecurityWarning`), naming the option to set. A forged or unsigned cookie reads as no session.
 * When an express-session store emits `disconnect`, requests run without `req.session` until it
 * emits `connect`; a store error while loading goes to `next(error)`.
 *
 * @throws TypeError at start-up for a bad `secret`, `genid`, `unset`, `cookie` or `store`.
 */
export default function session(options?: SessionOptions): SessionMiddleware {
  return createSessionMiddleware(options);
}

export { session };
