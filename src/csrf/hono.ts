import type { Context, MiddlewareHandler } from 'hono';
import type { SessionEnv } from '../adapters/hono.js';
import { ConfigurationError } from '../core/errors.js';
import type { Session, SessionData } from '../core/session.js';
import type { Csrf } from './csrf.js';
import { rejection, type CsrfWrapperOptions } from './response.js';

const FORM_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/**
 * The `_csrf` field of a form body, parsed only when the request is a form. Hono caches the parsed
 * body, so the route can still call `c.req.parseBody()`. A malformed body reads as no token.
 */
async function formField(c: Context, field: string): Promise<unknown> {
  if (!FORM_TYPES.test(c.req.header('content-type') ?? '')) return undefined;
  try {
    const body = await c.req.parseBody();
    return Object.hasOwn(body, field) ? body[field] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Hono middleware refusing forged unsafe requests with a 403 (`{ "error": "csrf", "reason": ... }`,
 * or text for HTML clients). Use it after Latchkey's `sessionMiddleware` (`c.get('session')`). The
 * token is read from the `x-csrf-token` header, else from the `_csrf` field of a form body (parsed
 * only for form content types, and only when the header is absent). The scheme (for deriving the
 * app's origin) is the request URL's; behind a proxy, configure `origin`.
 *
 * @example
 * const app = new Hono<SessionEnv>();
 * app.use(sessionMiddleware(sessions), csrfHono(csrf));
 * app.use('/api/*', csrfHono(csrf, { json: true }));
 */
export function csrfHono<Data extends object = SessionData>(
  csrf: Csrf,
  options: CsrfWrapperOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
  const json = options.json === true;
  const { field, header } = csrf.options;
  return async function latchkeyCsrf(c, next) {
    const session = c.get('session') as unknown as Session | undefined;
    if (typeof session !== 'object' || session === null || typeof session.get !== 'function') {
      throw new ConfigurationError(
        'csrfHono: c.get("session") is not a Latchkey session; use sessionMiddleware(sessions) from latchkey/hono before it',
      );
    }
    const method = c.req.method;
    const needsBody = !['GET', 'HEAD', 'OPTIONS', 'TRACE'].includes(method.toUpperCase());
    const headerToken = c.req.header(header);
    const bodyToken =
      needsBody && (headerToken === undefined || headerToken === '')
        ? await formField(c, field)
        : undefined;
    const verdict = await csrf.verify({
      method,
      header: (name) => c.req.header(name),
      secure: new URL(c.req.url).protocol === 'https:',
      path: c.req.path,
      bodyToken,
      json,
      session,
    });
    if (verdict.ok) {
      await next();
      return;
    }
    const response = rejection(verdict.reason, c.req.header('accept'));
    return c.body(response.body, response.status, {
      'Content-Type': response.contentType,
      'Cache-Control': 'no-store',
    });
  };
}
