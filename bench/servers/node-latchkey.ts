// node:http + Latchkey, with the store chosen by BENCH_STORE (see stores.ts).
import { createServer } from 'node:http';
import { createSessions } from 'latchkey';
import { withSession } from 'latchkey/node';
import { announce } from './listen.js';
import { sessionRoute } from './routes.js';
import { benchStore } from './stores.js';

const sessions = createSessions<Record<string, number>>({ store: await benchStore() });

announce(
  createServer(
    withSession(sessions, async (req, res) => {
      const body = await sessionRoute(req.session, req.url ?? '/');
      res.statusCode = body === null ? 404 : 200;
      res.setHeader('Content-Type', 'application/json');
      res.end(body ?? '');
    }),
  ),
);
