// node:http + sealed-cookie sessions: no store at all.
import { createServer } from 'node:http';
import { createCookieSessions } from 'latchkey/cookie-sessions';
import { withSession } from 'latchkey/node';
import { announce } from './listen.js';
import { sessionRoute } from './routes.js';

const sessions = createCookieSessions<Record<string, number>>({
  keys: ['bench-key-bench-key-bench-key-bench-key-0123456789'],
});

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
