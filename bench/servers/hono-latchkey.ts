// Hono 4 on @hono/node-server + latchkey/hono (memory store).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { createSessions } from 'latchkey';
import { sessionMiddleware, type SessionEnv } from 'latchkey/hono';
import { announceHono } from './listen.js';
import { sessionRoute } from './routes.js';
import { benchStore } from './stores.js';

type Data = Record<string, number>;
const sessions = createSessions<Data>({ store: await benchStore() });
const app = new Hono<SessionEnv<Data>>();
app.use(sessionMiddleware(sessions));
app.get('/*', async (c) => {
  // The path as the bare server sees it; the query only where a route needs one (no URL parse).
  const { path } = c.req;
  const target = path === '/inc' ? `/inc?key=${c.req.query('key') ?? ''}` : path;
  const body = await sessionRoute(c.get('session'), target);
  return body === null ? c.notFound() : c.body(body, 200, { 'Content-Type': 'application/json' });
});
announceHono(serve, app.fetch);
