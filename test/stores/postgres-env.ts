import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DATABASE_URL, requireService } from '../helpers/services.js';

/**
 * The shared PostgreSQL of the PostgreSQL store tests: a pool configured the way the docs
 * recommend, and table names unique to one test file and run, so files can run at the same time.
 */

/** A pool with the bounded-failure settings recommended in docs/stores/postgres.md. */
export function newPool(config: pg.PoolConfig = {}): pg.Pool {
  return new pg.Pool({
    connectionString: DATABASE_URL,
    max: 5,
    connectionTimeoutMillis: 2000,
    query_timeout: 2000,
    keepAlive: true,
    ...config,
  });
}

/** Opens the shared pool and decides whether the file's suites run (loud skip, CI failure). */
export async function sharedDatabase(): Promise<{ pool: pg.Pool; skip: string | false }> {
  const pool = newPool();
  pool.on('error', () => undefined); // the probe may fail; the skip message says why
  const skip = await requireService('PostgreSQL', () => pool.query('SELECT 1'));
  return { pool, skip };
}

/** `lk_<label>_<random>`: a table name no other test file or run uses. */
export function uniqueTable(label: string): string {
  return `lk_${label}_${randomBytes(4).toString('hex')}`;
}

/** Drops test tables and their rows in the migrations table. */
export async function dropTables(pool: pg.Pool, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await pool.query(`DROP TABLE IF EXISTS "${table}"`);
  }
  await pool
    .query('DELETE FROM latchkey_schema_migrations WHERE table_name = ANY($1::text[])', [tables])
    .catch(() => undefined); // the migrations table may never have been created
}
