import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { sessionMiddleware, type SessionEnv } from '../../src/adapters/hono.js';
import type { Session } from '../../src/core/session.js';
import { csrfHono } from '../../src/csrf/index.js';
import { listen } from '../helpers/http.js';
import { csrfScenarios, formPage, type AppFactory } from './scenarios.js';

const honoApp: AppFactory = async (sessions, csrf) => {
  const app = new Hono<SessionEnv>();
  app.use(sessionMiddleware(sessions));
  app.use('/api/*', csrfHono(csrf, { json: true }));
  // Form routes: the token may come in the _csrf field.
  for (const path of ['/form', '/login', '/plain']) app.use(path, csrfHono(csrf));
  const count = async (session: Session): Promise<{ ok: true }> => {
    await session.set(
      'transfers',
      (((await session.get('transfers')) as number | undefined) ?? 0) + 1,
    );
    return { ok: true };
  };
  for (const path of ['/form', '/login']) {
    app.get(path, async (c) => c.html(formPage(await csrf.token(c.get('session')))));
  }
  app.post('/form', async (c) => c.json(await count(c.get('session'))));
  app.post('/login', async (c) => {
    // The route reads the form the middleware already parsed (Hono caches it).
    const body = await c.req.parseBody();
    await c.get('session').bindUser(typeof body.user === 'string' ? body.user : '');
    return c.json({ ok: true });
  });
  app.get('/state', async (c) =>
    c.json({
      transfers: (await c.get('session').get('transfers')) ?? 0,
      user: await c.get('session').userId(),
    }),
  );
  app.all('/plain', (c) => c.json({ ok: true }));
  app.post('/api/items', async (c) => c.json(await count(c.get('session'))));
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
};

csrfScenarios('Hono', honoApp);
