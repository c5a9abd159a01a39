// Express 5 + latchkey/express (memory store unless BENCH_STORE says otherwise).
import { createServer } from 'node:http';
import express from 'express';
import { createSessions, type Session } from 'latchkey';
import { sessionMiddleware } from 'latchkey/express';
import { announce } from './listen.js';
import { sessionRoute } from './routes.js';
import { benchStore } from './stores.js';

const sessions = createSessions<Record<string, number>>({ store: await benchStore() });
const app = express();
app.use(sessionMiddleware(sessions));
app.use((req, res, next) => {
  const session = (req as unknown as { session: Session<Record<string, number>> }).session;
  sessionRoute(session, req.url).then((body) => {
    if (body === null) next();
    else res.type('application/json').send(body);
  }, next);
});
announce(createServer(app));
