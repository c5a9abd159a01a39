import type { Pool } from 'pg';
import type { SessionPatch, SessionRecord, Store } from '../core/store.js';
import { invalidRecordReporter, type InvalidRecordEvent } from './invalid-record.js';
import { poolErrorListener } from './postgres-report.js';
import { COLUMNS, decodeRow, isFailure, timeParam, type SessionRow } from './postgres-rows.js';
import { migrate, tableNames } from './postgres-schema.js';

export type { InvalidRecordEvent };

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /**
   * A node-postgres `Pool` the app already has. The store never ends it (`close()` leaves it open).
   * Configure it for bounded failure, e.g. `connectionTimeoutMillis: 2000, query_timeout: 2000,
   * keepAlive: true` (see docs/stores/postgres.md). The store adds an `'error'` listener so an idle
   * connection dropped by the server cannot crash the process; see `onPoolError`.
   */
  readonly pool: Pool;
  /**
   * Table name, `"name"` or `"schema.name"` (the schema must exist), lower-case letters, digits
   * and `_`. Default `"latchkey_sessions"`. Give each app its own table when several share a
   * database.
   */
  readonly table?: string;
  /**
   * Create or upgrade the table on first use (default true), under an advisory lock so processes
   * starting together do not race. Set false when the app's database role may not run DDL, and
   * run `store.migrate()` (or the SQL in the docs) from a deploy step with a role that may.
   */
  readonly migrate?: boolean;
  /** Rows `deleteExpired` removes per statement. Default 1000. Smaller batches hold locks shorter. */
  readonly purgeBatchSize?: number;
  /**
   * Called when a row cannot be read (corrupt JSON, a row of an older schema); the session then
   * reads as missing. Default: one process warning for the first such row. A listener that throws
   * is turned into a process warning, never into a failed request.
   */
  readonly onInvalidRecord?: (event: InvalidRecordEvent) => void;
  /**
   * Called with errors the pool emits for idle connections (server restarted, network cut).
   * Default: a process warning. Requests during the outage fail with StoreUnavailableError anyway;
   * this only keeps the pool's `'error'` event from crashing the process when nothing else
   * listens. Pass `false` to add no listener (then the app must listen itself).
   */
  readonly onPoolError?: ((error: Error) => void) | false;
}

/** The PostgreSQL store: a {@link Store} plus explicit schema control. */
export interface PostgresStore extends Store {
  /**
   * Creates or upgrades the table now instead of on first use; resolves to the schema version it
   * found (0 for a fresh database). Call it at start-up to surface a wrong URL, a missing schema
   * or missing privileges before the first request. Safe to call from many processes at once.
   */
  migrate(): Promise<number>;
  /** Removes the pool listener this store added. Does not end the pool, which belongs to the app. */
  close(): Promise<void>;
  /** Deletes expired rows in batches of `purgeBatchSize`; with `limit`, one batch of at most that. */
  deleteExpired(now: number, limit?: number): Promise<number>;
  /** Pages through live rows in id order (the cursor is the last id seen). Administration only. */
  list(
    now: number,
    options: { readonly cursor?: string | undefined; readonly limit: number },
  ): Promise<{ records: SessionRecord[]; cursor: string | null }>;
  /** Counts live and expired rows and distinct live users in one scan. Administration only. */
  count(now: number): Promise<{ live: number; expired: number; users: number }>;
}

/**
 * Sessions in PostgreSQL through node-postgres (`pg`, an optional peer dependency). Every method
 * is one statement, atomic on its own: `update` merges the patch into the jsonb data in a single
 * UPDATE guarded by `expires_at > now`, so concurrent writes to different keys both land and a
 * write after logout changes nothing. Liveness is decided by the `now` the core passes (the app's
 * clock), never the database clock: keep app servers' clocks in sync (NTP).
 *
 * Limits: PostgreSQL text cannot hold U+0000 or unpaired surrogates, so a session key, a user id or
 * a meta string containing them makes the write fail (StoreUnavailableError, 503). Values are
 * unaffected (they arrive as escaped JSON text). Request headers cannot carry them.
 *
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL,
 *   connectionTimeoutMillis: 2000, query_timeout: 2000, keepAlive: true });
 * const store = postgresStore({ pool });
 * await store.migrate(); // optional: fail at start-up rather than on the first request
 * const sessions = createSessions({ store });
 */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  const { pool } = options;
  if (
    typeof pool !== 'object' ||
    pool === null ||
    typeof (pool as Partial<Pool>).query !== 'function'
  ) {
    throw new TypeError('postgresStore: options.pool must be a pg Pool (new pg.Pool({...}))');
  }
  const names = tableNames(options.table ?? 'latchkey_sessions');
  const { table } = names;
  const batchSize = options.purgeBatchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1_000_000) {
    throw new TypeError(
      `postgresStore: purgeBatchSize must be an integer from 1 to 1000000, got ${String(batchSize)}`,
    );
  }

  const poolListener =
    options.onPoolError === false ? undefined : poolErrorListener(options.onPoolError);
  if (poolListener !== undefined) pool.on('error', poolListener);
  const reportInvalid = invalidRecordReporter(
    `the PostgreSQL store (table ${names.name})`,
    options.onInvalidRecord,
  );

  function decodeAll(rows: readonly SessionRow[]): SessionRecord[] {
    const records: SessionRecord[] = [];
    for (const row of rows) {
      const decoded = decodeRow(row);
      if (isFailure(decoded)) reportInvalid(String(row.id), decoded.reason);
      else records.push(decoded);
    }
    return records;
  }

  // Migrate once, on first use; a failure (database down at boot) is retried by the next call.
  let ready: Promise<number> | null = options.migrate === false ? Promise.resolve(-1) : null;
  function runMigration(): Promise<number> {
    const running = migrate(pool, names).catch((error: unknown) => {
      if (ready === running) ready = null;
      throw error;
    });
    ready = running;
    return running;
  }
  function ensureSchema(): Promise<number> {
    return ready ?? runMigration();
  }

  async function query(
    text: string,
    values: unknown[],
  ): Promise<{ rows: SessionRow[]; rowCount: number }> {
    await ensureSchema();
    const result = await pool.query<SessionRow & Record<string, unknown>>(text, values);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  }

  const store: PostgresStore = {
    async get(id, now) {
      const { rows } = await query(
        `SELECT ${COLUMNS} FROM ${table} WHERE id = $1 AND expires_at > $2`,
        [id, timeParam(now, 'now')],
      );
      return decodeAll(rows)[0] ?? null;
    },

    async create(record: SessionRecord, now: number) {
      // Inserts, or replaces a row that has expired but not been swept; a live row is left alone
      // (the WHERE of DO UPDATE is false, so rowCount is 0).
      const { rowCount } = await query(
        `INSERT INTO ${table} AS s (id, user_id, data, created_at, last_seen_at,
           absolute_expires_at, expires_at, idle_timeout, persistent, meta)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9, $10::jsonb)
         ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, data = EXCLUDED.data,
           created_at = EXCLUDED.created_at, last_seen_at = EXCLUDED.last_seen_at,
           absolute_expires_at = EXCLUDED.absolute_expires_at, expires_at = EXCLUDED.expires_at,
           idle_timeout = EXCLUDED.idle_timeout, persistent = EXCLUDED.persistent,
           meta = EXCLUDED.meta
         WHERE s.expires_at <= $11`,
        [
          record.id,
          record.userId,
          JSON.stringify(record.data),
          timeParam(record.createdAt, 'createdAt'),
          timeParam(record.lastSeenAt, 'lastSeenAt'),
          timeParam(record.absoluteExpiresAt, 'absoluteExpiresAt'),
          timeParam(record.expiresAt, 'expiresAt'),
          timeParam(record.idleTimeout, 'idleTimeout'),
          record.persistent,
          JSON.stringify(record.meta),
          timeParam(now, 'now'),
        ],
      );
      return rowCount === 1;
    },

    async update(id: string, patch: SessionPatch, now: number) {
      // One statement: the row lock serializes concurrent patches, and each merges into the data
      // as it is at that moment. Parenthesized because `-` binds tighter than `||`. The jsonb_typeof
      // guard turns a corrupt row into "not updated" instead of a SQL error.
      const { rowCount } = await query(
        `UPDATE ${table} SET
           data = (CASE WHEN $2 THEN '{}'::jsonb ELSE data END - $4::text[]) || $3::jsonb,
           last_seen_at = $5, expires_at = $6,
           absolute_expires_at = COALESCE($7, absolute_expires_at),
           idle_timeout = COALESCE($8, idle_timeout)
         WHERE id = $1 AND expires_at > $9 AND jsonb_typeof(data) = 'object'`,
        [
          id,
          patch.clear === true,
          JSON.stringify(patch.set ?? {}),
          patch.unset ?? [],
          timeParam(patch.lastSeenAt, 'lastSeenAt'),
          timeParam(patch.expiresAt, 'expiresAt'),
          timeParam(patch.absoluteExpiresAt, 'absoluteExpiresAt'),
          timeParam(patch.idleTimeout, 'idleTimeout'),
          timeParam(now, 'now'),
        ],
      );
      return rowCount === 1;
    },

    async delete(id) {
      // RETURNING reads the row as the DELETE removed it, under its row lock: rotation carries over
      // every write committed before this statement.
      const { rows } = await query(`DELETE FROM ${table} WHERE id = $1 RETURNING ${COLUMNS}`, [id]);
      return decodeAll(rows)[0] ?? null;
    },

    async listByUser(userId, now) {
      const { rows } = await query(
        `SELECT ${COLUMNS} FROM ${table} WHERE user_id = $1 AND expires_at > $2`,
        [userId, timeParam(now, 'now')],
      );
      return decodeAll(rows);
    },

    async deleteByUser(userId, exceptId) {
      // Unreadable rows of the user go too: "log out everywhere" must not leave anything behind.
      const { rowCount } = await query(
        `DELETE FROM ${table} WHERE user_id = $1 AND ($2::text IS NULL OR id <> $2::text)`,
        [userId, exceptId ?? null],
      );
      return rowCount;
    },

    async deleteExpired(now, limit) {
      // Batches walk the expires_at index from the oldest entry up to `now`: live rows are never
      // read. SKIP LOCKED lets sweepers in several processes share the work, and FOR UPDATE makes
      // a row extended by a concurrent update since the snapshot be re-checked, not deleted.
      const cutoff = timeParam(now, 'now');
      const batch = async (size: number): Promise<number> =>
        (
          await query(
            `DELETE FROM ${table} WHERE id IN (
               SELECT id FROM ${table} WHERE expires_at <= $1
               ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
            [cutoff, size],
          )
        ).rowCount;
      if (limit !== undefined) return batch(limit);
      let total = 0;
      for (;;) {
        const rowCount = await batch(batchSize);
        total += rowCount;
        if (rowCount < batchSize) return total;
      }
    },

    async list(now, { cursor, limit }) {
      // Administration only. Walks the primary key in id order, expired rows included, so the
      // page's last id is the next cursor even when every row of the page has expired.
      const { rows } = await query(
        `SELECT ${COLUMNS} FROM ${table} WHERE id > $1 ORDER BY id LIMIT $2`,
        [cursor ?? '', limit],
      );
      const records = decodeAll(rows).filter((record) => record.expiresAt > now);
      const last = rows.at(-1)?.id;
      return {
        records,
        cursor: rows.length < limit || typeof last !== 'string' ? null : last,
      };
    },

    async count(now) {
      await ensureSchema();
      const { rows } = await pool.query<{ live: string; expired: string; users: string }>(
        `SELECT count(*) FILTER (WHERE expires_at > $1) AS live,
                count(*) FILTER (WHERE expires_at <= $1) AS expired,
                count(DISTINCT user_id) FILTER (WHERE expires_at > $1) AS users
         FROM ${table}`,
        [timeParam(now, 'now')],
      );
      const row = rows[0];
      return {
        live: Number(row?.live ?? 0),
        expired: Number(row?.expired ?? 0),
        users: Number(row?.users ?? 0),
      };
    },

    migrate: runMigration,

    close() {
      if (poolListener !== undefined) pool.off('error', poolListener);
      return Promise.resolve();
    },
  };
  return store;
}
