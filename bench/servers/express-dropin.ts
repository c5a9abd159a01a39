// Express 5 + latchkey/express-session (the drop-in replacement for express-session): the same app
// and options as express-session.ts, the store chosen by BENCH_DROPIN_STORE:
//   memory          our express-session-style MemoryStore (whole-session saves, like express-session)
//   latchkey-memory Latchkey's memoryStore (per-property patches)
//   redis           connect-redis on node-redis (an express-session store, unchanged)
//   latchkey-redis  Latchkey's redisStore on the same node-redis client library
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import express from 'express';
import session, { type ClassicStore, type SessionOptions } from 'latchkey/express-session';
import { announce } from './listen.js';
import { benchNamespace, REDIS_URL } from './stores.js';

type Data = Record<string, number>;
interface Req {
  session: Data;
}

async function dropinStore(): Promise<SessionOptions['store']> {
  const kind = process.env.BENCH_DROPIN_STORE ?? 'memory';
  switch (kind) {
    case 'memory':
      return undefined; // session()'s default: a new MemoryStore
    case 'latchkey-memory': {
      const { memoryStore } = await import('latchkey/stores/memory');
      return memoryStore({ maxSessions: 2_000_000 });
    }
    case 'redis':
    case 'latchkey-redis': {
      const { createClient } = await import('redis');
      const client = createClient({ url: REDIS_URL });
      await client.connect();
      if (kind === 'latchkey-redis') {
        const { redisStore } = await import('latchkey/stores/redis');
        return redisStore({ client, prefix: `${benchNamespace}:dropin:` });
      }
      // Loaded without its type declarations (they augment Express's Request, see express-session.ts).
      const require = createRequire(import.meta.url);
      const { RedisStore } = require('connect-redis') as {
        RedisStore: new (o: object) => ClassicStore;
      };
      return new RedisStore({ client, prefix: `${benchNamespace}:dropin-es:` });
    }
    default:
      throw new Error(
        `BENCH_DROPIN_STORE=${kind}: choose memory, latchkey-memory, redis or latchkey-redis`,
      );
  }
}

const store = await dropinStore();
const app = express();
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
