// Fastify 5 + latchkey/fastify (memory store).
import fastify from 'fastify';
import { createSessions, type Session } from 'latchkey';
import { latchkey } from 'latchkey/fastify';
import { announceFastify } from './listen.js';
import { sessionRoute } from './routes.js';
import { benchStore } from './stores.js';

const sessions = createSessions<Record<string, number>>({ store: await benchStore() });
const app = fastify();
await app.register(latchkey, { sessions });
app.get('/*', async (request, reply) => {
  const session = (request as unknown as { session: Session<Record<string, number>> }).session;
  const body = await sessionRoute(session, request.url);
  return reply
    .code(body === null ? 404 : 200)
    .type('application/json')
    .send(body ?? '');
});
await announceFastify(app);
