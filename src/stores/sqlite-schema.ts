import type BetterSqlite3 from 'better-sqlite3';

/**
 * The SQLite store's schema and its versioning. Two version numbers, on purpose:
 *
 * - The table's schema version (its columns and indexes) lives in `latchkey_meta`, one row per
 *   session table. Opening a table at an older version runs the migrations below in one
 *   transaction; a newer version than this code knows refuses to open (never guess at a layout).
 * - Each row carries `version`, the encoding of its `data` and `meta` columns. A row of another
 *   version (written by an older or newer Latchkey sharing the table during a rolling deploy)
 *   reads as no session and is reported through `onInvalidRecord`; it is never reinterpreted.
 */

/** Version of the table layout this code creates and reads. */
export const SCHEMA_VERSION = 1;

/** Encoding of `data` and `meta` this code writes and reads (the `version` column of each row). */
export const ROW_VERSION = 1;

/** Name of the table recording each session table's schema version. */
export const META_TABLE = 'latchkey_meta';

// An unquoted SQL identifier, not in SQLite's reserved `sqlite_` namespace. Names are still
// double-quoted in every statement; this keeps them portable and free of injection.
const IDENTIFIER = /^(?!sqlite_)[A-Za-z_][A-Za-z0-9_]{0,62}$/i;

/** Throws a TypeError naming the option when `table` is not a plain SQL identifier. */
export function checkTableName(table: unknown): string {
  if (typeof table !== 'string' || !IDENTIFIER.test(table)) {
    throw new TypeError(
      `sqliteStore: "table" must be a plain SQL identifier (letters, digits and _, at most 63 ` +
        `characters, not starting with a digit or "sqlite_"), got ${JSON.stringify(table)}`,
    );
  }
  return table;
}

/** The DDL of one session table, as documented in docs/stores/sqlite.md. */
export function createTableSql(table: string): string {
  return `
CREATE TABLE "${table}" (
  id                  TEXT PRIMARY KEY NOT NULL,  -- SHA-256 hex of the token, never the token
  user_id             TEXT,                       -- NULL for anonymous sessions
  data                TEXT NOT NULL,              -- JSON object: key -> serialized value (a string)
  created_at          INTEGER NOT NULL,           -- ms since the epoch
  last_seen_at        INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL,
  idle_timeout        INTEGER NOT NULL,           -- ms
  persistent          INTEGER NOT NULL,           -- 0 or 1
  meta                TEXT NOT NULL,              -- JSON object (ip, userAgent, authTime, ...)
  version             INTEGER NOT NULL            -- encoding of data and meta (ROW_VERSION)
);
CREATE INDEX "${table}_expires_at" ON "${table}" (expires_at);
CREATE INDEX "${table}_user_id" ON "${table}" (user_id) WHERE user_id IS NOT NULL;`;
}

/**
 * Migrations: `MIGRATIONS[n]` takes a table from version n + 1 to n + 2. Empty while version 1 is
 * the only one; a future layout change appends its ALTER statements here.
 */
const MIGRATIONS: readonly ((table: string) => string)[] = [];

function recordedVersion(db: BetterSqlite3.Database, table: string): number | undefined {
  const hasMeta = db
    .prepare<[string], number>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .pluck()
    .get(META_TABLE);
  if (hasMeta === undefined) return undefined;
  return db
    .prepare<[string], number>(`SELECT schema_version FROM "${META_TABLE}" WHERE table_name = ?`)
    .pluck()
    .safeIntegers(false)
    .get(table);
}

/**
 * Creates the meta table and the session table if missing, or migrates it, in one immediate
 * transaction so concurrent processes opening the same file agree. Throws (and changes nothing)
 * when the table exists but was not created by Latchkey, or has a newer schema than this code.
 */
export function ensureSchema(db: BetterSqlite3.Database, table: string): void {
  // Fast path without a write, so an up-to-date read-only database still serves reads.
  if (recordedVersion(db, table) === SCHEMA_VERSION) return;
  db.transaction(() => {
    db.exec(
      `CREATE TABLE IF NOT EXISTS "${META_TABLE}" (` +
        'table_name TEXT PRIMARY KEY NOT NULL, schema_version INTEGER NOT NULL)',
    );
    const recorded = recordedVersion(db, table);
    if (recorded === undefined) {
      const exists = db
        .prepare<[string], number>("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .pluck()
        .get(table);
      if (exists !== undefined) {
        throw new Error(
          `sqliteStore: table "${table}" exists but was not created by Latchkey ` +
            `(no entry in ${META_TABLE}); choose another "table" option`,
        );
      }
      db.exec(createTableSql(table));
    } else if (recorded > SCHEMA_VERSION) {
      throw new Error(
        `sqliteStore: table "${table}" has schema version ${recorded}, newer than the ` +
          `${SCHEMA_VERSION} this version of Latchkey knows; upgrade Latchkey`,
      );
    } else {
      for (let version = recorded; version < SCHEMA_VERSION; version++) {
        const migration = MIGRATIONS[version - 1];
        if (migration === undefined) {
          throw new Error(`sqliteStore: no migration from schema version ${version} of "${table}"`);
        }
        db.exec(migration(table));
      }
    }
    db.prepare(
      `INSERT INTO "${META_TABLE}" (table_name, schema_version) VALUES (?, ?) ` +
        'ON CONFLICT (table_name) DO UPDATE SET schema_version = excluded.schema_version',
    ).run(table, SCHEMA_VERSION);
  }).immediate();
}
