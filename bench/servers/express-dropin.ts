// Express 5 + latchkey/express-session (the drop-in replacement for express-session): the same app
// and options as express-session.ts, the store chosen by BENCH_DROPIN_STORE:
//   memory          our express-session-style MemoryStore (whole-session saves, like express-session)
//   latchkey-memory Latchkey's memoryStore (per-property patches)
//   redis           connect-redis on node-redis (an express-session store, unchanged)
//   latchkey-redis  Latchkey's redisStore on the same node-redis client library
import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import session, { type ClassicStore, type SessionOptions } from 'latchkey/express-session';
import { serveExpressSessionApp, SESSION_OPTIONS } from './express-session-app.js';
import { benchNamespace, REDIS_URL } from './stores.js';

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
serveExpressSessionApp(
  session({ ...SESSION_OPTIONS, ...(store === undefined ? {} : { store }) }) as RequestHandler,
);
