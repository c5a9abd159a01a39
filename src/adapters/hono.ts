import type { Context, MiddlewareHandler } from 'hono';
import { ConfigurationError, StoreUnavailableError } from '../core/errors.js';
import type { CommitResult, Session, SessionData, SessionProvider } from '../core/session.js';
import { changesResponse } from './commit-result.js';
import { DeferredRequestInfo, type RequestFacts } from './deferred-request-info.js';
import { rawCookieHeader } from './raw-cookie.js';
import { varyWithCookie } from './vary.js';

/**
 * The Hono environment the middleware provides: `new Hono<SessionEnv<AppData>>()` types
 * `c.get('session')` as `Session<AppData>`. Combine it with your own bindings and variables by
 * intersection, e.g. `SessionEnv<AppData> & { Bindings: Env }`.
 */
export interface SessionEnv<Data extends object = SessionData> {
  Variables: { session: Session<Data> };
}

/** Options of {@link sessionMiddleware}. */
export interface HonoSessionOptions {
  /**
   * The client address, recorded with new sessions ("your devices" lists). Connection info is
   * runtime-specific, so Hono cannot give it portably: on Node pass
   * `(c) => getConnInfo(c).remote.address` (from `@hono/node-server/conninfo`), on other runtimes
   * their `getConnInfo` helper. Default: none. Ignored when the manager's `trustProxy` is on and
   * the request carries X-Forwarded-For (its last hop is used).
   */
  readonly getClientIp?: (c: Context) => string | undefined;
  /**
   * Builds the answer to a store outage (`StoreUnavailableError`). Default: `503 Service
   * Unavailable`, plain text, with `Retry-After: 1` and `Cache-Control: no-store`. It replaces the
   * response the app built, whose headers are dropped. Build it with `new Response()` or
   * `Response.json()`: Context helpers such as `c.json()` would copy the aborted response's headers
   * into it, which is why the Context is not passed.
   */
  readonly onStoreUnavailable?: (error: StoreUnavailableError) => Response;
}

function unavailable(): Response {
  return new Response('Service Unavailable', {
    status: 503,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'Retry-After': '1',
    },
  });
}

function applyTo(headers: Headers, result: CommitResult): void {
  if (result.setCookie !== null) headers.append('Set-Cookie', result.setCookie);
  if (result.vary) {
    const vary = varyWithCookie(headers.get('Vary'));
    if (vary !== null) headers.set('Vary', vary);
  }
  if (result.cacheControl !== null) headers.set('Cache-Control', result.cacheControl);
}

/** Replaces `c.res` without Hono copying the old response's headers onto the new one. */
function replaceResponse(c: Context, response: Response): void {
  c.res = undefined;
  c.res = response;
}

/**
 * What the core needs to know about a Hono request, read when first asked. On @hono/node-server
 * the cookie comes from node's raw headers (the `incoming` binding), so the request's fetch
 * `Headers` is never built on the session's account; elsewhere from `c.req.header()`.
 */
class HonoRequestInfo extends DeferredRequestInfo {
  readonly #c: Context;
  readonly #facts: (c: Context) => RequestFacts;

  constructor(c: Context, facts: (c: Context) => RequestFacts) {
    super();
    this.#c = c;
    this.#facts = facts;
  }

  get cookie(): string | undefined {
    const incoming = (this.#c.env as { incoming?: { rawHeaders?: unknown } } | undefined)?.incoming;
    const raw = incoming?.rawHeaders;
    return Array.isArray(raw) ? rawCookieHeader(raw as string[]) : this.#c.req.header('cookie');
  }

  protected facts(): RequestFacts {
    return this.#facts(this.#c);
  }
}

/**
 * Hono middleware that gives each request its session at `c.get('session')`. Built on Web-standard
 * Request/Response only, so it runs on Node (`@hono/node-server`), Bun, Deno, Workers and any
 * runtime Hono supports. Accepts any {@link SessionProvider}: `createSessions()` (server-side) or
 * sealed-cookie sessions.
 *
 * - The session loads lazily: a request that never touches it costs nothing and writes nothing.
 * - After the handlers ran, the changes are committed and the core's `Set-Cookie`, `Vary: Cookie`
 *   and `Cache-Control` (default `no-store`) are put on the response (a response with immutable
 *   headers, such as `Response.redirect()`, is copied first). A 5xx response saves nothing.
 * - A store outage, in the commit or while a handler read the session, answers 503 (see
 *   `onStoreUnavailable`), never a response sent as if the session were saved. Other errors go to
 *   `app.onError` as usual.
 * - The request's URL scheme decides whether it came over TLS; X-Forwarded-Proto and
 *   X-Forwarded-For are read only when the manager has `trustProxy: true`.
 * - Hostile cookies never throw: they read as "no session".
 *
 * @example
 * const app = new Hono<SessionEnv<{ cart: string[] }>>();
 * app.use(sessionMiddleware(sessions));
 * app.get('/cart', async (c) => c.json((await c.get('session').get('cart')) ?? []));
 *
 * @throws ConfigurationError at start-up when `sessions` is not a session manager.
 */
export function sessionMiddleware<Data extends object = SessionData>(
  sessions: SessionProvider<Data>,
  options: HonoSessionOptions = {},
): MiddlewareHandler<SessionEnv<Data>> {
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
  const { getClientIp, onStoreUnavailable = unavailable } = options;
  const { trustProxy } = sessions;

  /** Everything but the cookie, read only when a session is created or a cookie is set. */
  const facts = (c: Context): RequestFacts => {
    const { url } = c.req;
    let secure = url.startsWith('https:');
    let ip: string | undefined;
    if (trustProxy) {
      const proto = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
      if (proto !== undefined) secure = proto === 'https';
      // The last hop is the one the proxy added; earlier ones are whatever the client claimed.
      const forwarded = c.req.header('x-forwarded-for')?.split(',').pop()?.trim();
      if (forwarded) ip = forwarded;
    }
    ip ??= getClientIp?.(c);
    return {
      ip,
      userAgent: c.req.header('user-agent'),
      secure,
      host: c.req.header('host') ?? new URL(url).host,
    };
  };

  return async function latchkeySession(c, next) {
    const session = sessions.fromRequest(new HonoRequestInfo(c, facts));
    c.set('session', session);
    await next();
    if (c.error instanceof StoreUnavailableError) {
      if (c.res.status !== 503) replaceResponse(c, onStoreUnavailable(c.error));
      return;
    }
    if (c.res.status >= 500) return; // A failed request saves nothing.
    let result: CommitResult;
    try {
      // Awaited only when the commit writes: a synchronous one costs no extra microtask.
      const outcome = sessions.commit(session);
      result = outcome instanceof Promise ? await outcome : outcome;
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      replaceResponse(c, onStoreUnavailable(error));
      return;
    }
    // Reading `c.res.headers` builds a fetch Headers for the response (on @hono/node-server, where
    // a plain response otherwise skips it): only when there is something to add.
    if (!changesResponse(result)) return;
    try {
      applyTo(c.res.headers, result);
    } catch {
      // Immutable headers (Response.redirect(), a proxied fetch() response): copy, then apply.
      const copy = new Response(c.res.body, c.res);
      applyTo(copy.headers, result);
      replaceResponse(c, copy);
    }
  };
}
