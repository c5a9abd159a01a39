import type BetterSqlite3 from 'better-sqlite3';
import type { SessionRow } from './sqlite-row.js';

const COLUMNS =
  'id, user_id, data, created_at, last_seen_at, absolute_expires_at, expires_at, ' +
  'idle_timeout, persistent, meta, version';

/** Every statement the store runs, prepared once per store. */
export interface Statements {
  readonly get: BetterSqlite3.Statement<[{ id: string; now: number }], SessionRow>;
  readonly create: BetterSqlite3.Statement<[Record<string, string | number | null>]>;
  readonly update: BetterSqlite3.Statement<[Record<string, string | number | null>]>;
  readonly delete: BetterSqlite3.Statement<[string], SessionRow>;
  readonly listByUser: BetterSqlite3.Statement<[{ user: string; now: number }], SessionRow>;
  readonly deleteByUser: BetterSqlite3.Statement<[{ user: string; except: string | null }]>;
  readonly sweep: BetterSqlite3.Statement<[{ now: number; limit: number }]>;
  readonly list: BetterSqlite3.Statement<[{ after: string; limit: number }], SessionRow>;
  readonly count: BetterSqlite3.Statement<[{ now: number }], CountRow>;
}

/** What the count statement returns: numbers of live and expired rows and distinct live users. */
export interface CountRow {
  readonly live: number | null;
  readonly expired: number | null;
  readonly users: number | null;
}

/** Prepares every statement once, for a table name already checked by `checkTableName`. */
export function prepareStatements(db: BetterSqlite3.Database, table: string): Statements {
  const t = `"${table}"`;
  const assignments = COLUMNS.split(', ')
    .slice(1)
    .map((c) => `${c} = excluded.${c}`)
    .join(', ');
  return {
    get: db
      .prepare<[{ id: string; now: number }], SessionRow>(
        `SELECT ${COLUMNS} FROM ${t} WHERE id = @id AND expires_at > @now`,
      )
      .safeIntegers(false),
    // One statement: insert, or replace a row that has expired; a live row is left untouched
    // (changes = 0), which is how a collision is reported.
    create: db.prepare(
      `INSERT INTO ${t} (${COLUMNS}) VALUES (@${COLUMNS.split(', ').join(', @')}) ` +
        `ON CONFLICT (id) DO UPDATE SET ${assignments} WHERE ${t}.expires_at <= @now`,
    ),
    // One statement, so it is atomic against every other connection: the patch is an RFC 7396
    // merge patch (set keys carry their serialized string, unset keys null), applied by
    // json_patch to the stored object. Values are JSON strings, so nothing is merged recursively
    // and nothing written concurrently to other keys is lost. Rows that are expired, of another
    // encoding, or not a JSON object are left alone (changes = 0), never upserted.
    update: db.prepare(
      `UPDATE ${t} SET ` +
        "data = json_patch(CASE WHEN @clear THEN '{}' ELSE data END, @patch), " +
        'last_seen_at = @lastSeenAt, expires_at = @expiresAt, ' +
        'absolute_expires_at = coalesce(@absoluteExpiresAt, absolute_expires_at), ' +
        'idle_timeout = coalesce(@idleTimeout, idle_timeout) ' +
        'WHERE id = @id AND expires_at > @now AND version = @version ' +
        "AND CASE WHEN json_valid(data) THEN json_type(data) = 'object' ELSE 0 END",
    ),
    // RETURNING reads the row in the same statement that removes it (SQLite 3.35+; better-sqlite3
    // bundles a newer one): rotation carries over writes that reached the row until this moment.
    delete: db
      .prepare<[string], SessionRow>(`DELETE FROM ${t} WHERE id = ? RETURNING ${COLUMNS}`)
      .safeIntegers(false),
    listByUser: db
      .prepare<[{ user: string; now: number }], SessionRow>(
        `SELECT ${COLUMNS} FROM ${t} WHERE user_id = @user AND expires_at > @now`,
      )
      .safeIntegers(false),
    deleteByUser: db.prepare(`DELETE FROM ${t} WHERE user_id = @user AND id IS NOT @except`),
    sweep: db.prepare(
      `DELETE FROM ${t} WHERE rowid IN ` +
        `(SELECT rowid FROM ${t} WHERE expires_at <= @now LIMIT @limit)`,
    ),
    // Administration only. Walks the primary key in id order, expired rows included: the page's
    // last id (live or not) is the next cursor, so a page of expired rows still moves forward.
    list: db
      .prepare<[{ after: string; limit: number }], SessionRow>(
        `SELECT ${COLUMNS} FROM ${t} WHERE id > @after ORDER BY id LIMIT @limit`,
      )
      .safeIntegers(false),
    count: db
      .prepare<[{ now: number }], CountRow>(
        'SELECT sum(expires_at > @now) AS live, sum(expires_at <= @now) AS expired, ' +
          `count(DISTINCT CASE WHEN expires_at > @now THEN user_id END) AS users FROM ${t}`,
      )
      .safeIntegers(false),
  };
}
