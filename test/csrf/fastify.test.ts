import fastify, { type FastifyRequest } from 'fastify';
import { latchkey } from '../../src/adapters/fastify.js';
import type { Session } from '../../src/core/session.js';
import { csrfFastify } from '../../src/csrf/index.js';
import { parseForms } from '../helpers/fastify-forms.js';
import { csrfScenarios, formPage, type AppFactory } from './scenarios.js';

const sessionOf = (request: FastifyRequest): Session =>
  (request as unknown as { session: Session }).session;

const fastifyApp: AppFactory = async (sessions, csrf) => {
  const app = fastify();
  parseForms(app);
  await app.register(latchkey, { sessions });
  const protect = csrfFastify(csrf);
  const protectJson = csrfFastify(csrf, { json: true });
  const count = async (session: Session): Promise<{ ok: true }> => {
    await session.set(
      'transfers',
      (((await session.get('transfers')) as number | undefined) ?? 0) + 1,
    );
    return { ok: true };
  };
  for (const path of ['/form', '/login']) {
    app.get(path, async (request, reply) =>
      reply.type('text/html').send(formPage(await csrf.token(sessionOf(request)))),
    );
  }
  app.post('/form', { preHandler: protect }, (request) => count(sessionOf(request)));
  app.post('/login', { preHandler: protect }, async (request) => {
    await sessionOf(request).bindUser(String((request.body as { user?: unknown }).user));
    return { ok: true };
  });
  app.get('/state', async (request) => ({
    transfers: (await sessionOf(request).get('transfers')) ?? 0,
    user: await sessionOf(request).userId(),
  }));
  app.route({
    method: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/plain',
    preHandler: protect,
    handler: () => ({ ok: true }),
  });
  app.post('/api/items', { preHandler: protectJson }, (request) => count(sessionOf(request)));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
};

csrfScenarios('Fastify', fastifyApp);
