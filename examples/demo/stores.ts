import { join } from 'node:path';
import type { Store } from 'latchkey';
import type { DemoConfig } from './config.js';

/** A session store and how to release what it holds (connections, files) at shutdown. */
export interface OpenedStore {
  readonly store: Store;
  /** Human-readable, for the start-up banner; never contains a password. */
  readonly description: string;
  close(): Promise<void>;
}

/** Hides a password in a connection string before printing it. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/**
 * Opens the session store named by `config.store`. Drivers are imported only when chosen, so the
 * default (SQLite) never loads pg or a Redis client. `sqliteDb` is the demo's own database
 * (users, throttle): the SQLite session store shares it.
 */
export async function openSessionStore(
  config: DemoConfig,
  sqliteDb: import('better-sqlite3').Database,
): Promise<OpenedStore> {
  if (config.sessionStore !== undefined) {
    return { store: config.sessionStore, description: 'injected', close: async () => {} };
  }
  switch (config.store) {
    case 'sqlite': {
      const { sqliteStore } = await import('latchkey/stores/sqlite');
      const store = sqliteStore({ database: sqliteDb });
      await store.ready();
      return {
        store,
        description: `sqlite (${join(config.dataDir, 'latchkey.db')})`,
        close: () => store.close(),
      };
    }
    case 'memory': {
      const { memoryStore } = await import('latchkey/stores/memory');
      return {
        store: memoryStore(),
        description: 'memory (sessions end when the process stops)',
        close: async () => {},
      };
    }
    case 'file': {
      const { fileStore } = await import('latchkey/stores/file');
      const directory = join(config.dataDir, 'sessions');
      return {
        store: fileStore({ directory }),
        description: `file (${directory})`,
        close: async () => {},
      };
    }
    case 'redis': {
      const { Redis } = await import('ioredis');
      const { redisStore } = await import('latchkey/stores/redis');
      // Fail fast while Redis is down (docs/stores/redis.md): requests get a 503 in milliseconds.
      const client = new Redis(config.redisUrl, {
        maxRetriesPerRequest: 1,
        connectTimeout: 2000,
        commandTimeout: 2000,
      });
      // The store listens to the client's 'error' events, so a refused connection cannot crash us.
      const store = redisStore({ client, prefix: config.redisPrefix });
      try {
        await client.ping();
      } catch (error) {
        await store.close();
        client.disconnect();
        throw new Error(
          `cannot reach Redis at ${redact(config.redisUrl)} (${(error as Error).message}); check REDIS_URL`,
        );
      }
      return {
        store,
        description: `redis (${redact(config.redisUrl)})`,
        close: async () => {
          await store.close();
          await client.quit();
        },
      };
    }
    case 'postgres': {
      const { default: pg } = await import('pg');
      const { postgresStore } = await import('latchkey/stores/postgres');
      const url = config.databaseUrl ?? '';
      // Bounded waits everywhere (docs/stores/postgres.md): an outage is a 503, never a hang.
      const pool = new pg.Pool({
        connectionString: url,
        max: 10,
        connectionTimeoutMillis: 2000,
        query_timeout: 2000,
        statement_timeout: 2000,
        idle_in_transaction_session_timeout: 5000,
        keepAlive: true,
      });
      const store = postgresStore({ pool, table: config.postgresTable });
      try {
        await store.migrate();
      } catch (error) {
        await pool.end();
        throw new Error(
          `cannot prepare PostgreSQL at ${redact(url)} (${(error as Error).message}); check DATABASE_URL`,
        );
      }
      return {
        store,
        description: `postgres (${redact(url)}, table ${config.postgresTable})`,
        close: async () => {
          await store.close();
          await pool.end();
        },
      };
    }
  }
}
