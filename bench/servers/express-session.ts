// Express + express-session, configured as its README recommends (resave: false,
// saveUninitialized: false), with its MemoryStore, or connect-redis when BENCH_ES_STORE=redis.
// Same routes as the Latchkey servers (routes.ts).
import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import { serveExpressSessionApp, SESSION_OPTIONS } from './express-session-app.js';
import { benchNamespace, REDIS_URL } from './stores.js';

// Loaded without its type declarations: they augment Express's Request with express-session's own
// `session` type, which would clash with Latchkey's Express typing elsewhere in this project.
const require = createRequire(import.meta.url);
const session = require('express-session') as (options: object) => RequestHandler;

let store: object | undefined;
if (process.env.BENCH_ES_STORE === 'redis') {
  const { createClient } = await import('redis');
  const { RedisStore } = await import('connect-redis');
  const client = createClient({ url: REDIS_URL });
  await client.connect();
  store = new RedisStore({ client, prefix: `${benchNamespace}:es:` });
}
serveExpressSessionApp(session({ ...SESSION_OPTIONS, ...(store === undefined ? {} : { store }) }));
