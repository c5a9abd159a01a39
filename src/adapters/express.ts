import type { RequestHandler } from 'express';
import { ConfigurationError, SessionStateError, StoreUnavailableError } from '../core/errors.js';
import type { RequestInfo, SessionData, SessionProvider } from '../core/session.js';
import { commitBeforeHeaders } from './commit-response.js';
import { LazyRequestInfo, requestInfo } from './node.js';

/**
 * Latchkey for Express 4 and 5: `app.use(sessionMiddleware(sessions))` and every later handler
 * finds its session at `req.session`.
 *
 * Typing: this module does not touch the global `Express.Request` type (a second augmentation of
 * `req.session`, such as the one in `@types/express-session`, would clash with it). Declare the
 * shape of your app's session once, in your own code:
 *
 * ```ts
 * import type { Session } from 'latchkey';
 * declare global {
 *   namespace Express {
 *     interface Request { session: Session<{ cart: string[] }> }
 *   }
 * }
 * ```
 */

/** Per-request slots: the session, and the manager that made it (mounting twice is harmless). */
const SESSION = Symbol('latchkey.session');
const OWNER = Symbol('latchkey.owner');
interface Slots {
  [SESSION]?: unknown;
  [OWNER]?: unknown;
}

/** Request prototypes (one per Express app) that already carry the `session` accessor. */
const prepared = new WeakSet<object>();

/**
 * Puts a `session` accessor on the request prototype, once per app: it reads the request's slot,
 * and refuses replacement while Latchkey owns the request. Defining the accessor on each request
 * instead (with fresh closures) costs every request a hidden-class change: measurable, and it
 * slows every later property access on `req`. Requests without a Latchkey session (another
 * library on other routes) can still assign `req.session`: it becomes their own property.
 */
function prepare(req: object): void {
  const proto = Object.getPrototypeOf(req) as object | null;
  if (proto === null || prepared.has(proto)) return;
  prepared.add(proto);
  Object.defineProperty(proto, 'session', {
    configurable: true,
    get(this: Slots): unknown {
      return this[SESSION];
    },
    set(this: Slots, value: unknown) {
      if (this[SESSION] !== undefined) {
        throw new SessionStateError(
          'req.session cannot be replaced: log out with `await req.session.destroy()`, empty it with `await req.session.clear()`',
        );
      }
      Object.defineProperty(this, 'session', {
        value,
        writable: true,
        configurable: true,
        enumerable: true,
      });
    },
  });
}

/** An HTTP status carried by an error (Express's own convention: `status`, then `statusCode`). */
function statusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
    for (const code of [status, statusCode]) {
      if (typeof code === 'number' && code >= 400 && code <= 599) return code;
    }
  }
  return 500;
}

type ExpressRequest = Parameters<RequestHandler>[0];

/**
 * The core's view of an Express request. With `sessions.trustProxy` the forwarded headers are read
 * by Latchkey's rule (see `latchkey/node`); otherwise Express's own `req.ip` and `req.secure` are
 * used, which honour the app's `trust proxy` setting.
 */
function expressRequestInfo(req: ExpressRequest, trustProxy: boolean): RequestInfo {
  const info = requestInfo(req, trustProxy);
  if (trustProxy) return info;
  return { ...info, ip: req.ip ?? info.ip, secure: req.secure };
}

/** Express's facts are computed only when the core needs them (its `req.ip` is not free). */
const resolveFacts = (req: unknown, trustProxy: boolean): RequestInfo =>
  expressRequestInfo(req as ExpressRequest, trustProxy);

/**
 * Express middleware (Express 4.18+ and 5) that gives each request its session at `req.session`.
 * Accepts any {@link SessionProvider}: `createSessions()` (server-side) or sealed-cookie sessions.
 *
 * - The session loads lazily: a request that never touches it costs nothing and writes nothing.
 * - Changes are committed before the response headers leave the process, so Set-Cookie always
 *   lands; the core's `Vary: Cookie` and `Cache-Control` (default `no-store`) are applied then.
 *   A response with a 5xx status saves nothing.
 * - When the commit fails, nothing of the app's response has been sent: the headers the aborted
 *   response added are removed, the status is set, and the error goes to `next(error)`, so the
 *   app's error handler renders it. A store outage is a `StoreUnavailableError` with `status` 503
 *   (Express's default handler answers 503 from it; `Retry-After: 1` and `Cache-Control: no-store`
 *   are already set). Other commit errors answer 500.
 * - A store failure while a handler reads the session rejects that `await`: Express 5 passes a
 *   rejected async handler to the error handler by itself; with Express 4, catch and call
 *   `next(error)` (an unhandled rejection would crash the process).
 * - Hostile cookies never throw: they read as "no session".
 * - `req.session` cannot be reassigned (it throws): log out with `await req.session.destroy()`.
 *
 * Mount it once, before the routes that use sessions. Mounting it again with the same manager is a
 * no-op; finding `req.session` set by another middleware (express-session, cookie-session) passes a
 * ConfigurationError to `next`.
 *
 * @throws ConfigurationError at start-up when `sessions` is not a session manager.
 */
export function sessionMiddleware<Data extends object = SessionData>(
  sessions: SessionProvider<Data>,
): RequestHandler {
  if (
    typeof sessions !== 'object' ||
    sessions === null ||
    typeof sessions.fromRequest !== 'function' ||
    typeof sessions.commit !== 'function'
  ) {
    throw new ConfigurationError(
      'sessionMiddleware(sessions): pass the manager returned by createSessions() (or by createCookieSessions())',
    );
  }
  const { trustProxy } = sessions;
  return function latchkeySession(req, res, next) {
    const slots = req as unknown as Slots;
    if (slots[OWNER] !== undefined || Object.prototype.hasOwnProperty.call(req, 'session')) {
      if (slots[OWNER] === sessions) {
        next();
      } else {
        next(
          new ConfigurationError(
            'req.session is already set by another middleware (express-session, cookie-session, a second Latchkey manager); mount one session middleware per request',
          ),
        );
      }
      return;
    }
    prepare(req);
    const session = sessions.fromRequest(new LazyRequestInfo(req, trustProxy, resolveFacts));
    slots[OWNER] = sessions;
    slots[SESSION] = session;
    // Headers present now were set by earlier middleware (security headers, CORS); the rest belong
    // to the response the commit failure aborts, which must not leak into the error response.
    const earlier = res.getHeaderNames();
    commitBeforeHeaders(
      res,
      () => sessions.commit(session),
      (error) => {
        for (const name of res.getHeaderNames()) {
          if (!earlier.includes(name)) res.removeHeader(name);
        }
        res.statusCode = statusOf(error);
        if (error instanceof StoreUnavailableError) {
          res.setHeader('Retry-After', '1');
          res.setHeader('Cache-Control', 'no-store');
        }
        next(error);
      },
    );
    next();
  };
}
