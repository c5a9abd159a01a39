import type { FastifyInstance } from 'fastify';

/**
 * Lets a Fastify test app read HTML form posts: a minimal urlencoded body parser, what
 * @fastify/formbody does, so CSRF tests can post the fields a browser form sends.
 */
export function parseForms(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );
}
