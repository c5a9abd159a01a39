// The Express app both express-session.ts and express-dropin.ts serve, so the drop-in benchmark
// compares the same code on the two libraries: req.session as a plain object, the options its
// README recommends, and the same routes as the Latchkey servers (routes.ts).
import { createServer } from 'node:http';
import express, { type RequestHandler } from 'express';
import { announce } from './listen.js';

type Data = Record<string, number>;
interface Req {
  session: Data;
}

/** Options every run uses; `store` is added when the run picks one. */
export const SESSION_OPTIONS = {
  secret: 'bench-secret-bench-secret-bench-secret',
  resave: false,
  saveUninitialized: false,
} as const;

/** Serves the app with `middleware` (express-session, or the drop-in) in front of the routes. */
export function serveExpressSessionApp(middleware: RequestHandler): void {
  const app = express();
  app.use(middleware);
  app.get('/rw', (req, res) => {
    const s = (req as unknown as Req).session;
    s.count = (s.count ?? 0) + 1;
    res.json({ count: s.count });
  });
  app.get('/ro', (req, res) => {
    res.json({ count: (req as unknown as Req).session.count ?? 0 });
  });
  app.get('/inc', (req, res) => {
    const s = (req as unknown as Req).session;
    const key = typeof req.query.key === 'string' ? req.query.key : 'none';
    s[key] = (s[key] ?? 0) + 1;
    res.json({ value: s[key] });
  });
  app.get('/all', (req, res) => {
    const data: Data = {};
    for (const [key, value] of Object.entries((req as unknown as Req).session)) {
      if (typeof value === 'number') data[key] = value;
    }
    res.json(data);
  });
  announce(createServer(app));
}
