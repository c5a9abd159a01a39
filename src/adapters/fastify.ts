import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { ConfigurationError, StoreUnavailableError } from '../core/errors.js';
import type { CommitResult, RequestInfo } from '../core/session.js';
import { changesResponse } from './commit-result.js';
import { DeferredRequestInfo, type RequestFacts } from './deferred-request-info.js';
import { requestInfo } from './node.js';
import { rawCookieHeader } from './raw-cookie.js';
import { headerText, varyWithCookie } from './vary.js';

/**
 * Latchkey for Fastify 5: `app.register(latchkey, { sessions })` and every route of the
 * registering context (and its children) finds its session at `request.session`.
 *
 * Typing: this module does not augment `FastifyRequest` itself (a second augmentation of
 * `request.session`, such as the one in `@fastify/session`, would clash with it). Declare the shape
 * of your app's session once, in your own code:
 *
 * ```ts
 * import type { Session } from 'latchkey';
 * declare module 'fastify' {
 *   interface FastifyRequest { session: Session<{ cart: string[] }> }
 * }
 * ```
 */

/**
 * What the plugin needs of a session manager. Every `SessionProvider<Data>` fits, whatever its
 * `Data` (the plugin never looks inside a session; the app's types come from its augmentation).
 */
export interface AnySessionProvider {
  readonly trustProxy: boolean;
  fromRequest(request: RequestInfo): object;
  commit(session: object): CommitResult | Promise<CommitResult>;
}

/** Options of the {@link latchkey} plugin. */
export interface LatchkeyFastifyOptions {
  /** The session manager: `createSessions()` or sealed-cookie sessions. Required. */
  readonly sessions: AnySessionProvider;
}

interface RequestState {
  readonly session: object;
  /** Reply headers that existed when the request started (set by earlier onRequest hooks). */
  readonly earlier: Readonly<Record<string, unknown>>;
  committed: boolean;
}

/** The request decorator holding a request's {@link RequestState} (null before onRequest). */
const STATE = Symbol('latchkey.state');
type WithState = FastifyRequest & { [STATE]: RequestState | null };

/**
 * The core's view of a Fastify request, read when first asked: the cookie from node's raw headers,
 * the rest only when a session is created or a cookie is set. With `sessions.trustProxy` the
 * forwarded headers are read by Latchkey's rule (see `latchkey/node`); otherwise Fastify's own
 * `request.ip` and `request.protocol` are used, which honour the server's `trustProxy` option.
 */
class FastifyRequestInfo extends DeferredRequestInfo {
  readonly #request: FastifyRequest;
  readonly #trustProxy: boolean;

  constructor(request: FastifyRequest, trustProxy: boolean) {
    super();
    this.#request = request;
    this.#trustProxy = trustProxy;
  }

  get cookie(): string | undefined {
    return rawCookieHeader(this.#request.raw.rawHeaders);
  }

  protected facts(): RequestFacts {
    const request = this.#request;
    const info: RequestInfo = requestInfo(request.raw, this.#trustProxy);
    if (this.#trustProxy) return info;
    return { ...info, ip: request.ip, secure: request.protocol === 'https' };
  }
}

/** Puts a commit's headers on a reply that has not been sent. */
function applyTo(reply: FastifyReply, result: CommitResult): void {
  if (result.setCookie !== null) reply.header('set-cookie', result.setCookie);
  if (result.vary) {
    const vary = varyWithCookie(headerText(reply.getHeader('vary')));
    if (vary !== null) reply.header('vary', vary);
  }
  if (result.cacheControl !== null) reply.header('cache-control', result.cacheControl);
}

const plugin: FastifyPluginCallback<LatchkeyFastifyOptions> = (fastify, options, done) => {
  const { sessions } = options as Partial<LatchkeyFastifyOptions>;
  if (
    typeof sessions !== 'object' ||
    sessions === null ||
    typeof sessions.fromRequest !== 'function' ||
    typeof sessions.commit !== 'function'
  ) {
    done(
      new ConfigurationError(
        'latchkey fastify plugin: pass { sessions } with the manager returned by createSessions() (or by createCookieSessions())',
      ),
    );
    return;
  }
  const { trustProxy } = sessions;

  // Fastify 5 rule: decorate with null, assign the per-request object in a hook. The state lives
  // in a decorator too (a WeakMap entry per request costs the garbage collector more).
  fastify.decorateRequest('session', null, []);
  fastify.decorateRequest(STATE, null, []);

  fastify.addHook('onRequest', (request, reply, next) => {
    const session = sessions.fromRequest(new FastifyRequestInfo(request, trustProxy));
    (request as unknown as { session: object }).session = session;
    (request as WithState)[STATE] = { session, earlier: reply.getHeaders(), committed: false };
    next();
  });

  // A store outage while a route read the session: answer 503 whatever status the route had set
  // (Fastify keeps a status set before the error).
  fastify.addHook('onError', (_request, reply, error, next) => {
    if (error instanceof StoreUnavailableError) unavailable(reply);
    next();
  });

  // onSend runs before Fastify writes the headers: the store write finishes and Set-Cookie is on
  // the reply before anything leaves the process. Callback style, so a commit with nothing to
  // write (the usual read-only request) goes straight through without a promise.
  fastify.addHook('onSend', (request, reply, payload, next) => {
    const state = (request as WithState)[STATE];
    if (state === null || state.committed || reply.statusCode >= 500) {
      // A failed request (5xx) saves nothing.
      next(null, payload);
      return;
    }
    state.committed = true;
    const fail = (error: unknown): void => {
      // Nothing has been sent: drop the aborted response's headers, then let the error handler
      // render the failure (503 for a store outage, with the status forced over the route's).
      for (const name of Object.keys(reply.getHeaders())) {
        if (!Object.hasOwn(state.earlier, name)) reply.removeHeader(name);
      }
      if (error instanceof StoreUnavailableError) unavailable(reply);
      else reply.code(500);
      next(error instanceof Error ? error : new Error(String(error)));
    };
    const send = (result: CommitResult): void => {
      if (changesResponse(result)) applyTo(reply, result);
      next(null, payload);
    };
    let outcome: CommitResult | Promise<CommitResult>;
    try {
      outcome = sessions.commit(state.session);
    } catch (error) {
      fail(error);
      return;
    }
    if (outcome instanceof Promise) outcome.then(send, fail);
    else send(outcome);
  });
  done();
};

function unavailable(reply: FastifyReply): void {
  reply.code(503).header('retry-after', '1').header('cache-control', 'no-store');
}

/**
 * Fastify 5 plugin (wrapped with fastify-plugin, so it is not encapsulated: the hooks and the
 * `request.session` decorator apply to the context that registers it and to its children).
 * Accepts any session provider: `createSessions()` (server-side) or sealed-cookie sessions.
 *
 * - `onRequest` creates the session; it loads lazily, so a request that never touches it costs
 *   nothing and writes nothing.
 * - `onSend` commits and puts the core's `Set-Cookie`, `Vary: Cookie` and `Cache-Control`
 *   (default `no-store`) on the reply before its headers are written. A 5xx reply saves nothing.
 * - A store outage, in the commit or while a route read the session, is a `StoreUnavailableError`
 *   (status 503) handed to the error handler with the reply status set to 503, `Retry-After: 1`
 *   and `Cache-Control: no-store`; a custom `setErrorHandler` can render it.
 * - Hostile cookies never throw: they read as "no session".
 *
 * Register it once, in the context whose routes use sessions (usually the root).
 *
 * @example
 * await app.register(latchkey, { sessions });
 * app.get('/me', async (request) => ({ user: await request.session.userId() }));
 *
 * @throws ConfigurationError (through `register`) when `sessions` is not a session manager.
 */
export const latchkey = fastifyPlugin(plugin, { fastify: '5.x', name: 'latchkey' });
export default latchkey;
