// Express + express-session, configured as its README recommends (resave: false,
// saveUninitialized: false), with its MemoryStore, or connect-redis when BENCH_ES_STORE=redis.
// Same routes as the Latchkey servers (routes.ts).
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import express, { type RequestHandler } from 'express';
import { announce } from './listen.js';
import { benchNamespace, REDIS_URL } from './stores.js';

// Loaded without its type declarations: they augment Express's Request with express-session's own
// `session` type, which would clash with Latchkey's Express typing elsewhere in this project.
const require = createRequire(import.meta.url);
const session = require('express-session') as (options: object) => RequestHandler;

type Data = Record<string, number>;
interface Req {
  session: Data;
}

const app = express();
let store: object | undefined;
if (process.env.BENCH_ES_STORE === 'redis') {
  const { createClient } = await import('redis');
  const { RedisStore } = await import('connect-redis');
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  store = new RedisStore({ client, prefix: `${benchNamespace}:es:` });
}
app.use(
  session({
    secret: 'bench-secret-bench-secret-bench-secret',
    resave: false,
    saveUninitialized: false,
    ...(store === undefined ? {} : { store }),
  }),
);
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
