import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { ConfigurationError, StoreUnavailableError } from '../core/errors.js';
import type { CommitResult, RequestInfo } from '../core/session.js';
import { requestInfo } from './node.js';
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
  readonly earlier: readonly string[];
  committed: boolean;
}

/**
 * The core's view of a Fastify request. With `sessions.trustProxy` the forwarded headers are read
 * by Latchkey's rule (see `latchkey/node`); otherwise Fastify's own `request.ip` and
 * `request.protocol` are used, which honour the server's `trustProxy` option.
 */
function fastifyRequestInfo(request: FastifyRequest, trustProxy: boolean): RequestInfo {
  const info = requestInfo(request.raw, trustProxy);
  if (trustProxy) return info;
  return { ...info, ip: request.ip, secure: request.protocol === 'https' };
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
  const states = new WeakMap<FastifyRequest, RequestState>();

  // Fastify 5 rule: decorate with null, assign the per-request object in a hook.
  fastify.decorateRequest('session', null, []);

  fastify.addHook('onRequest', (request, reply, next) => {
    const session = sessions.fromRequest(fastifyRequestInfo(request, trustProxy));
    (request as unknown as { session: object }).session = session;
    states.set(request, {
      session,
      earlier: Object.keys(reply.getHeaders()),
      committed: false,
    });
    next();
  });

  // A store outage while a route read the session: answer 503 whatever status the route had set
  // (Fastify keeps a status set before the error).
  fastify.addHook('onError', (_request, reply, error, next) => {
    if (error instanceof StoreUnavailableError) unavailable(reply);
    next();
  });

  // onSend runs before Fastify writes the headers: the store write finishes and Set-Cookie is on
  // the reply before anything leaves the process.
  fastify.addHook('onSend', async (request, reply, payload) => {
    const state = states.get(request);
    if (state === undefined || state.committed) return payload;
    state.committed = true;
    if (reply.statusCode >= 500) return payload; // A failed request saves nothing.
    try {
      const result = await sessions.commit(state.session);
      if (result.setCookie !== null) reply.header('set-cookie', result.setCookie);
      if (result.vary) {
        const vary = varyWithCookie(headerText(reply.getHeader('vary')));
        if (vary !== null) reply.header('vary', vary);
      }
      if (result.cacheControl !== null) reply.header('cache-control', result.cacheControl);
      return payload;
    } catch (error) {
      // Nothing has been sent: drop the aborted response's headers, then let the error handler
      // render the failure (503 for a store outage, with the status forced over the route's).
      for (const name of Object.keys(reply.getHeaders())) {
        if (!state.earlier.includes(name)) reply.removeHeader(name);
      }
      if (error instanceof StoreUnavailableError) unavailable(reply);
      else reply.code(500);
      throw error;
    }
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
