// Fastify 5 + @fastify/session with @fastify/cookie (its default in-memory store).
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import fastify from 'fastify';
import { announceFastify } from './listen.js';

type Bag = Record<string, unknown> & {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
};

const app = fastify();
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret: 'bench-secret-bench-secret-bench-secret',
  cookie: { secure: false },
  saveUninitialized: false,
});
app.get('/*', (request, reply) => {
  const session = (request as unknown as { session: Bag }).session;
  const url = request.url;
  if (url === '/rw') {
    const count = ((session.get('count') as number | undefined) ?? 0) + 1;
    session.set('count', count);
    return reply.send({ count });
  }
  if (url === '/ro')
    return reply.send({ count: (session.get('count') as number | undefined) ?? 0 });
  return reply.code(404).send();
});
await announceFastify(app);
