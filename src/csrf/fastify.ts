import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConfigurationError } from '../core/errors.js';
import type { Session } from '../core/session.js';
import type { Csrf } from './csrf.js';
import { pathOf, rejection, type CsrfWrapperOptions } from './response.js';

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The token field of a parsed body (a form parser such as @fastify/formbody, or JSON), if any. */
function bodyField(request: FastifyRequest, field: string): unknown {
  const body: unknown = request.body;
  if (typeof body !== 'object' || body === null || !Object.hasOwn(body, field)) return undefined;
  return (body as Record<string, unknown>)[field];
}

/**
 * A Fastify 5 `preHandler` hook refusing forged unsafe requests with a 403
 * (`{ "error": "csrf", "reason": ... }`, or text for HTML clients). It runs after body parsing, so
 * the token comes from the `x-csrf-token` header, else from the parsed body's `_csrf` field
 * (register a form parser such as @fastify/formbody for HTML forms). Register Latchkey's session
 * plugin first (`request.session`). The scheme (for deriving the app's origin) is
 * `request.protocol`, which follows Fastify's `trustProxy` option; behind a proxy, prefer
 * configuring `origin`. A store failure rejects, and Fastify's error handling answers 503.
 *
 * @example
 * await app.register(latchkey, { sessions });
 * app.addHook('preHandler', csrfFastify(csrf));                  // every route
 * app.post('/api/items', { preHandler: csrfFastify(csrf, { json: true }) }, handler); // one route
 */
export function csrfFastify(
  csrf: Csrf,
  options: CsrfWrapperOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const json = options.json === true;
  const { field } = csrf.options;
  return async function latchkeyCsrf(request, reply) {
    // Through unknown: @fastify/session's declaration of request.session may be in the program.
    const session = (request as unknown as { session?: Session | null }).session;
    if (typeof session !== 'object' || session === null || typeof session.get !== 'function') {
      throw new ConfigurationError(
        'csrfFastify: request.session is not a Latchkey session; register the latchkey plugin from latchkey/fastify first',
      );
    }
    const verdict = await csrf.verify({
      method: request.method,
      header: (name) => headerOf(request, name),
      secure: request.protocol === 'https',
      path: pathOf(request.url),
      bodyToken: bodyField(request, field),
      json,
      session,
    });
    if (verdict.ok) return undefined;
    const response = rejection(verdict.reason, headerOf(request, 'accept'));
    // Returning the reply tells Fastify the hook answered: the route handler does not run.
    return reply
      .code(response.status)
      .header('content-type', response.contentType)
      .header('cache-control', 'no-store')
      .send(response.body);
  };
}
