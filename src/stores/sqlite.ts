import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { SessionPatch, SessionRecord, Store } from '../core/store.js';
import { invalidRecordReporter, type InvalidRecordEvent } from './invalid-record.js';
import { fromRow, toRow, type SessionRow } from './sqlite-row.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import { checkTableName, ensureSchema, ROW_VERSION } from './sqlite-schema.js';

export { SCHEMA_VERSION, ROW_VERSION, META_TABLE } from './sqlite-schema.js';
export type { InvalidRecordEvent } from './invalid-record.js';

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * A better-sqlite3 `Database` you opened, or a file path for the store to open.
   *
   * - A path: parent directories are created, the file is opened on first use with WAL journaling,
   *   `synchronous = NORMAL` and `busyTimeout`, and `close()` closes it. `":memory:"` gives a
   *   private in-memory database (lost on exit).
   * - A `Database`: used as it is. The store never changes its pragmas (journal mode, busy timeout,
   *   synchronous) and never closes it. Turn on WAL yourself (`db.pragma('journal_mode = WAL')`)
   *   if several processes share the file, and keep better-sqlite3's `timeout` short (see
   *   `busyTimeout`).
   */
  readonly database: BetterSqlite3.Database | string;
  /**
   * Table holding the sessions. Default `"latchkey_sessions"`. Must be a plain SQL identifier
   * (letters, digits, `_`); anything else throws a TypeError at once. The store also keeps one row
   * per table in `latchkey_meta` (the schema version).
   */
  readonly table?: string;
  /**
   * How long (ms) an operation waits for another connection's write lock before it fails (the
   * request then gets a 503). Default 1000. Only used when the store opens the file itself.
   * better-sqlite3 is synchronous: while it waits, the whole event loop waits, and the core's
   * `storeTimeout` cannot fire. Keep it well below `storeTimeout`.
   */
  readonly busyTimeout?: number;
  /**
   * Called with the session's public id and a reason when a row cannot be read (corrupt JSON,
   * wrong column types, a row written with another encoding version). The row reads as no
   * session either way. Default: one process warning for the first such row, then silence (a
   * client replaying a corrupt session's cookie cannot flood the logs). A hook that throws is
   * turned into a warning.
   */
  readonly onInvalidRecord?: (event: InvalidRecordEvent) => void;
}

/** The SQLite store: a {@link Store} with a sweep and explicit start-up and shutdown. */
export interface SqliteStore extends Store {
  /**
   * Opens the database and creates or checks the schema now instead of on first use, so a
   * misconfiguration (missing driver, unwritable path, foreign table) fails at start-up.
   */
  ready(): Promise<void>;
  /**
   * Deletes expired rows in batches of 500 through the `expires_at` index; returns how many. With
   * `limit`, one batch of at most `limit` rows.
   */
  deleteExpired(now: number, limit?: number): Promise<number>;
  /** Pages through live rows in id order (the cursor is the last id seen). Administration only. */
  list(
    now: number,
    options: { readonly cursor?: string | undefined; readonly limit: number },
  ): Promise<{ records: SessionRecord[]; cursor: string | null }>;
  /** Counts live and expired rows and distinct live users in one scan. Administration only. */
  count(now: number): Promise<{ live: number; expired: number; users: number }>;
  /** Closes the database if the store opened it (a path); a `Database` you passed stays open. */
  close(): Promise<void>;
}

const SWEEP_BATCH = 500;

async function openFile(path: string, busyTimeout: number): Promise<BetterSqlite3.Database> {
  let Database: typeof BetterSqlite3;
  try {
    ({ default: Database } = await import('better-sqlite3'));
  } catch (cause) {
    throw new Error(
      'sqliteStore: the better-sqlite3 package is not installed; run `npm install better-sqlite3`',
      { cause },
    );
  }
  const inMemory = path === ':memory:' || path === '';
  if (!inMemory) await mkdir(dirname(resolve(path)), { recursive: true });
  const db = new Database(path, { timeout: busyTimeout });
  try {
    if (!inMemory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Sessions in SQLite through better-sqlite3 (an optional peer dependency): sessions survive
 * restarts with no server to run, and several processes on one machine can share the file.
 *
 * The schema is created on first use (or by `ready()`) and versioned in `latchkey_meta`. Expiry
 * is enforced in every query; `deleteExpired` (through `sessions.purgeExpired()`) only reclaims
 * space. Every write is one statement, so patches from concurrent requests and processes to
 * different keys never erase each other. A row that cannot be read is reported through
 * `onInvalidRecord` and reads as no session; a database failure (locked past `busyTimeout`, disk
 * full, read-only file) rejects, which the core turns into a 503.
 *
 * Nothing starts at construction: no timer, no I/O. Only a bad `table` or `busyTimeout` throws here.
 *
 * @example
 * const sessions = createSessions({ store: sqliteStore({ database: './data/sessions.db' }) });
 */
export function sqliteStore(options: SqliteStoreOptions): SqliteStore {
  const { database } = options;
  const table = checkTableName(options.table ?? 'latchkey_sessions');
  const busyTimeout = options.busyTimeout ?? 1000;
  if (!Number.isInteger(busyTimeout) || busyTimeout < 0) {
    throw new TypeError(
      `sqliteStore: "busyTimeout" must be a non-negative integer of ms, got ${String(busyTimeout)}`,
    );
  }
  if (typeof database !== 'string' && typeof database?.prepare !== 'function') {
    throw new TypeError(
      'sqliteStore: "database" must be a file path or a better-sqlite3 Database instance',
    );
  }

  let opening: Promise<Statements> | undefined;
  /** Set once the database is open: the request-path operations then answer synchronously. */
  let prepared: Statements | undefined;
  let owned: BetterSqlite3.Database | undefined;
  let closed = false;

  async function init(): Promise<Statements> {
    const db = typeof database === 'string' ? await openFile(database, busyTimeout) : database;
    try {
      ensureSchema(db, table);
      const statements = prepareStatements(db, table);
      if (typeof database === 'string') owned = db;
      if (!closed) prepared = statements;
      return statements;
    } catch (error) {
      if (typeof database === 'string') db.close();
      throw error;
    }
  }

  function open(): Promise<Statements> {
    if (closed) return Promise.reject(new Error('sqliteStore: the store is closed'));
    // A failed open is forgotten, so the next request tries again (the file may be back).
    opening ??= init().catch((error: unknown) => {
      opening = undefined;
      throw error;
    });
    return opening;
  }

  const report = invalidRecordReporter('the SQLite store', options.onInvalidRecord);

  function decode(row: SessionRow): SessionRecord | null {
    const record = fromRow(row);
    if (typeof record === 'string') {
      report(typeof row.id === 'string' ? row.id : '', record);
      return null;
    }
    return record;
  }

  function read(st: Statements, id: string, now: number): SessionRecord | null {
    const row = st.get.get({ id, now });
    return row === undefined ? null : decode(row);
  }

  /** Deletes the row; returns it as it was (live or not), null when missing or unreadable. */
  function remove(st: Statements, id: string): SessionRecord | null {
    const row = st.delete.get(id);
    return row === undefined ? null : decode(row);
  }

  function insert(st: Statements, record: SessionRecord, now: number): boolean {
    return st.create.run({ ...toRow(record), now }).changes === 1;
  }

  function merge(st: Statements, id: string, patch: SessionPatch, now: number): boolean {
    // A prototype-less object, so any key name is an own property of the merge patch.
    const changes = Object.create(null) as Record<string, string | null>;
    for (const key of patch.unset ?? []) changes[key] = null;
    Object.assign(changes, patch.set);
    const result = st.update.run({
      id,
      now,
      clear: patch.clear === true ? 1 : 0,
      patch: JSON.stringify(changes),
      lastSeenAt: patch.lastSeenAt,
      expiresAt: patch.expiresAt,
      absoluteExpiresAt: patch.absoluteExpiresAt ?? null,
      idleTimeout: patch.idleTimeout ?? null,
      version: ROW_VERSION,
    });
    return result.changes === 1;
  }

  return {
    async ready() {
      await open();
    },

    get(id: string, now: number) {
      return prepared === undefined
        ? open().then((st) => read(st, id, now))
        : read(prepared, id, now);
    },

    create(record: SessionRecord, now: number) {
      return prepared === undefined
        ? open().then((st) => insert(st, record, now))
        : insert(prepared, record, now);
    },

    update(id: string, patch: SessionPatch, now: number) {
      return prepared === undefined
        ? open().then((st) => merge(st, id, patch, now))
        : merge(prepared, id, patch, now);
    },

    delete(id: string) {
      return prepared === undefined ? open().then((st) => remove(st, id)) : remove(prepared, id);
    },

    async listByUser(userId: string, now: number) {
      const rows = (await open()).listByUser.all({ user: userId, now });
      const records: SessionRecord[] = [];
      for (const row of rows) {
        const record = decode(row);
        if (record !== null && record.userId === userId) records.push(record);
      }
      return records;
    },

    async deleteByUser(userId: string, exceptId?: string) {
      const { deleteByUser } = await open();
      return deleteByUser.run({ user: userId, except: exceptId ?? null }).changes;
    },

    async deleteExpired(now: number, limit?: number) {
      const { sweep } = await open();
      if (limit !== undefined) return sweep.run({ now, limit }).changes;
      let total = 0;
      for (;;) {
        const { changes } = sweep.run({ now, limit: SWEEP_BATCH });
        total += changes;
        if (changes < SWEEP_BATCH) return total;
        // Let requests run between batches: a large sweep never blocks the process for long.
        await yieldToEventLoop();
      }
    },

    async list(now: number, { cursor, limit }: { cursor?: string | undefined; limit: number }) {
      const rows = (await open()).list.all({ after: cursor ?? '', limit });
      const records: SessionRecord[] = [];
      for (const row of rows) {
        const record = decode(row);
        if (record !== null && record.expiresAt > now) records.push(record);
      }
      const last = rows.at(-1)?.id;
      return {
        records,
        cursor: rows.length < limit || typeof last !== 'string' ? null : last,
      };
    },

    async count(now: number) {
      const row = (await open()).count.get({ now });
      return { live: row?.live ?? 0, expired: row?.expired ?? 0, users: row?.users ?? 0 };
    },

    async close() {
      if (closed) return;
      closed = true;
      prepared = undefined;
      const pending = opening;
      opening = undefined;
      await pending?.catch(() => undefined);
      owned?.close();
      owned = undefined;
    },
  };
}
