import type { RequestHandler } from 'express';
import { ConfigurationError } from '../core/errors.js';
import type { Session } from '../core/session.js';
import type { Csrf } from './csrf.js';
import { pathOf, rejection, type CsrfWrapperOptions } from './response.js';

type ExpressRequest = Parameters<RequestHandler>[0];

/** The token field of a body parsed by `express.urlencoded()` / `express.json()`, if any. */
function bodyField(req: ExpressRequest, field: string): unknown {
  const body = (req as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return undefined;
  return (body as Record<string, unknown>)[field];
}

/**
 * Express middleware (4.18+ and 5) refusing forged unsafe requests with a 403
 * (`{ "error": "csrf", "reason": ... }`, or text for HTML clients). Mount it after Latchkey's
 * `sessionMiddleware` and after your body parser: the token is read from the `x-csrf-token` header,
 * else from `req.body._csrf`. The query string is never read (tokens must not travel in URLs).
 * Safe methods pass untouched. The scheme (for deriving the app's origin) is `req.secure`, which
 * follows Express's `trust proxy` setting; behind a proxy, prefer configuring `origin`.
 *
 * @example
 * app.use(sessionMiddleware(sessions), express.urlencoded({ extended: false }), csrfExpress(csrf));
 * app.use('/api', express.json(), csrfExpress(csrf, { json: true }));
 *
 * A store failure while reading the session goes to `next(error)` (StoreUnavailableError, 503).
 * A missing `req.session` passes a ConfigurationError to `next`: mount the session middleware first.
 */
export function csrfExpress(csrf: Csrf, options: CsrfWrapperOptions = {}): RequestHandler {
  const json = options.json === true;
  const { field } = csrf.options;
  return function latchkeyCsrf(req, res, next) {
    // Through unknown: another library's declaration of req.session (express-session's types) may
    // be in the app's program, and what is there at run time is checked just below.
    const session = (req as unknown as { session?: Session }).session;
    if (typeof session !== 'object' || session === null || typeof session.get !== 'function') {
      next(
        new ConfigurationError(
          'csrfExpress: req.session is not a Latchkey session; mount sessionMiddleware(sessions) from latchkey/express before it',
        ),
      );
      return;
    }
    csrf
      .verify({
        method: req.method,
        header: (name) => req.get(name),
        secure: req.secure,
        path: pathOf(req.originalUrl),
        bodyToken: bodyField(req, field),
        json,
        session,
      })
      .then((verdict) => {
        if (verdict.ok) {
          next();
          return;
        }
        const reply = rejection(verdict.reason, req.get('accept'));
        res.status(reply.status);
        res.setHeader('Content-Type', reply.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(reply.body);
      }, next);
  };
}
