import type { Pool, PoolClient } from 'pg';

/**
 * Table naming and the versioned schema of the PostgreSQL store. Kept apart from the store so the
 * SQL that shapes the database can be read (and reviewed by a DBA) in one place.
 */

/** A validated, quoted table name and the names derived from it. */
export interface TableNames {
  /** As the user wrote it (`"sessions"` or `"auth.sessions"`); the key in the migrations table. */
  readonly name: string;
  /** Quoted, schema-qualified when a schema was given: `"auth"."sessions"`. */
  readonly table: string;
  /** The migrations table, in the same schema as the sessions table. */
  readonly migrations: string;
  /** Index names (unqualified: PostgreSQL puts an index in its table's schema). */
  readonly expiresIndex: string;
  readonly userIndex: string;
}

// Unquoted-identifier syntax, lower-case only: a name that means the same quoted or not, so the
// table the store creates is the one a DBA finds with `\d latchkey_sessions`.
const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
// PostgreSQL truncates identifiers to 63 bytes; the longest derived name adds 15 characters.
const MAX_TABLE_LENGTH = 63 - '_expires_at_idx'.length;

function quote(identifier: string): string {
  return `"${identifier}"`;
}

/**
 * Parses the `table` option. Throws a TypeError naming the fix for anything but `name` or
 * `schema.name` made of lower-case letters, digits and underscores (so no quoting surprises and no
 * SQL injection through configuration).
 */
export function tableNames(option: string): TableNames {
  const parts = typeof option === 'string' ? option.split('.') : [];
  const valid =
    (parts.length === 1 || parts.length === 2) &&
    parts.every((part) => IDENTIFIER.test(part) && part.length <= 63);
  const table = parts.at(-1) ?? '';
  if (!valid || table.length > MAX_TABLE_LENGTH) {
    throw new TypeError(
      `postgresStore: table must be "name" or "schema.name" using lower-case letters, digits and _ ` +
        `(table name at most ${MAX_TABLE_LENGTH} characters), got ${JSON.stringify(option)}`,
    );
  }
  const schema = parts.length === 2 ? `${quote(parts[0] ?? '')}.` : '';
  return {
    name: option,
    table: schema + quote(table),
    migrations: `${schema}${quote('latchkey_schema_migrations')}`,
    expiresIndex: quote(`${table}_expires_at_idx`),
    userIndex: quote(`${table}_user_id_idx`),
  };
}

/**
 * The schema, one entry per version. Never edit a released entry: append a new one. Each runs in
 * the migration transaction and must be compatible with the previous release's queries, so
 * processes of both releases can share the table during a rolling deploy.
 */
export function migrations(t: TableNames): readonly string[] {
  return [
    // Version 1. Times are integer milliseconds since the epoch from the app's clock (the `now`
    // the core passes), not the database clock. `data` maps each key to the JSON text the core
    // serialized, stored as a jsonb string so it round-trips byte for byte.
    `CREATE TABLE IF NOT EXISTS ${t.table} (
       id text PRIMARY KEY,
       user_id text,
       data jsonb NOT NULL DEFAULT '{}'::jsonb,
       created_at bigint NOT NULL,
       last_seen_at bigint NOT NULL,
       absolute_expires_at bigint NOT NULL,
       expires_at bigint NOT NULL,
       idle_timeout bigint NOT NULL,
       persistent boolean NOT NULL DEFAULT false,
       meta jsonb NOT NULL DEFAULT '{}'::jsonb
     );
     CREATE INDEX IF NOT EXISTS ${t.expiresIndex} ON ${t.table} (expires_at);
     CREATE INDEX IF NOT EXISTS ${t.userIndex} ON ${t.table} (user_id) WHERE user_id IS NOT NULL;`,
  ];
}

/** The schema version this release of the store writes and expects. */
export function currentVersion(t: TableNames): number {
  return migrations(t).length;
}

// One advisory lock for every Latchkey migration in the database (the migrations table is shared
// between tables), as a fixed 64-bit key so it cannot collide with an app's lock by accident.
const MIGRATION_LOCK = '7450193866181027149';

async function inTransaction<T>(pool: Pool, run: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out client has no error listener: a connection that dies between two of our
  // queries would emit an unhandled 'error' and crash the process. The failing query rejects.
  const ignore = (): void => undefined;
  client.on('error', ignore);
  let failure: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await run(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    await client.query('ROLLBACK').catch(ignore);
    throw error;
  } finally {
    client.off('error', ignore);
    // Passing the error destroys the connection instead of returning a possibly broken one.
    client.release(failure);
  }
}

/**
 * Brings the table to the current version. Serialized across processes by a transaction-scoped
 * advisory lock, so app instances starting together neither race on CREATE TABLE nor apply a step
 * twice; a crash mid-way rolls the whole step back. Returns the version found before migrating
 * (0 for a fresh database). A database at a newer version than this release knows is left alone.
 */
export async function migrate(pool: Pool, t: TableNames): Promise<number> {
  return inTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${t.migrations} (
         table_name text PRIMARY KEY,
         version integer NOT NULL,
         migrated_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const found = await client.query<{ version: number }>(
      `SELECT version FROM ${t.migrations} WHERE table_name = $1`,
      [t.name],
    );
    const before = found.rows[0]?.version ?? 0;
    const steps = migrations(t);
    if (before >= steps.length) return before;
    for (const sql of steps.slice(before)) await client.query(sql);
    await client.query(
      `INSERT INTO ${t.migrations} (table_name, version) VALUES ($1, $2)
       ON CONFLICT (table_name) DO UPDATE SET version = EXCLUDED.version, migrated_at = now()`,
      [t.name, steps.length],
    );
    return before;
  });
}
