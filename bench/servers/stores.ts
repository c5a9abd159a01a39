import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from 'latchkey';
import { memoryStore } from 'latchkey/stores/memory';

/** A namespace of this process's own, so bench runs never see each other's sessions. */
export const benchNamespace = `bench_${process.pid}`;
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The store a bench server uses, chosen by BENCH_STORE: memory (default), sqlite, redis,
 * postgres, file. Drivers are imported only when selected, with the settings the store docs
 * recommend.
 */
export async function benchStore(): Promise<Store> {
  const kind = process.env.BENCH_STORE ?? 'memory';
  switch (kind) {
    case 'memory':
      return memoryStore({ maxSessions: 2_000_000 });
    case 'sqlite': {
      const { sqliteStore } = await import('latchkey/stores/sqlite');
      const store = sqliteStore({
        database:
          process.env.BENCH_SQLITE_FILE ??
          join(mkdtempSync(join(tmpdir(), 'latchkey-bench-')), 'sessions.db'),
      });
      await store.ready();
      return store;
    }
    case 'redis': {
      const { Redis } = await import('ioredis');
      const { redisStore } = await import('latchkey/stores/redis');
      const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      return redisStore({ client, prefix: process.env.BENCH_REDIS_PREFIX ?? `${benchNamespace}:` });
    }
    case 'postgres': {
      const pg = await import('pg');
      const { postgresStore } = await import('latchkey/stores/postgres');
      const pool = new pg.default.Pool({
        connectionString: DATABASE_URL,
        max: 10,
        connectionTimeoutMillis: 2000,
        query_timeout: 2000,
      });
      const store = postgresStore({
        pool,
        table: process.env.BENCH_PG_TABLE ?? `${benchNamespace}_sessions`,
      });
      await store.migrate();
      return store;
    }
    case 'file': {
      const { fileStore } = await import('latchkey/stores/file');
      return fileStore({ directory: mkdtempSync(join(tmpdir(), 'latchkey-bench-files-')) });
    }
    default:
      throw new Error(`BENCH_STORE=${kind}: choose memory, sqlite, redis, postgres or file`);
  }
}
