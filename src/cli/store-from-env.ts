import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Redis as IoRedis } from 'ioredis';
import type pg from 'pg';
import type { Store } from '../core/store.js';
import { CliError, describeError as message, EXIT } from './cli-error.js';

/** A store opened by {@link openStoreFromEnv}, with what to show about it. */
export interface OpenedStore {
  readonly store: Store;
  /** `sqlite`, `memory`, `redis`, `postgres` or `file`. */
  readonly kind: StoreKind;
  /** Where it is, for people: a path, or a URL with any password replaced by `***`. */
  readonly location: string;
  /** True when the backend drops expired sessions itself (Redis): nothing for `purge` to do. */
  readonly nativeExpiry: boolean;
  close(): Promise<void>;
}

export type StoreKind = 'sqlite' | 'memory' | 'redis' | 'postgres' | 'file';

const KINDS: readonly StoreKind[] = ['sqlite', 'memory', 'redis', 'postgres', 'file'];

/** Fail-fast timeouts (ms) for Redis and PostgreSQL, as docs/stores/*.md recommend. */
const TIMEOUT = 2000;

/** Hides a password in a connection string before printing it. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}

function storeKind(value: string | undefined): StoreKind {
  const kind = (value === undefined || value.trim() === '' ? 'sqlite' : value).trim().toLowerCase();
  const found = KINDS.find((k) => k === kind);
  if (found === undefined) {
    throw new CliError(
      `LATCHKEY_STORE must be one of ${KINDS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return found;
}

function setting(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/**
 * Opens the session store named by the same environment variables as the demo app
 * (docs/demo.md), at the same place, so `latchkey sessions|purge|stats` see the demo's sessions:
 *
 * | Variable                 | Default                   | Meaning                                         |
 * | ------------------------ | ------------------------- | ----------------------------------------------- |
 * | `LATCHKEY_STORE`         | `sqlite`                  | `sqlite`, `memory`, `redis`, `postgres`, `file` |
 * | `LATCHKEY_DATA_DIR`      | `./data`                  | `latchkey.db` (sqlite), `sessions/` (file)      |
 * | `REDIS_URL`              | `redis://127.0.0.1:6379`  | with `redis`                                    |
 * | `DATABASE_URL`           | none (required)           | with `postgres`                                 |
 * | `LATCHKEY_REDIS_PREFIX`  | `latchkey-demo:`          | key prefix (the demo's; an app using the store's default has `latchkey:`) |
 * | `LATCHKEY_PG_TABLE`      | `latchkey_demo_sessions`  | table (the demo's; the store's default is `latchkey_sessions`) |
 *
 * Clients are set to fail fast (no reconnection loops), and `close()` releases them so the
 * process exits. A store that cannot be reached, or whose database or directory does not exist
 * (never created here: a mistyped LATCHKEY_DATA_DIR must not look like an empty store), throws a
 * {@link CliError} with exit code 2 and a one-line message naming the variable to check. A bad
 * variable throws a CliError with exit code 1.
 */
export async function openStoreFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  warn: (text: string) => void = (text) => {
    process.stderr.write(`${text}\n`);
  },
): Promise<OpenedStore> {
  const kind = storeKind(env.LATCHKEY_STORE);
  const dataDir = resolve(setting(env, 'LATCHKEY_DATA_DIR', './data'));
  switch (kind) {
    case 'sqlite':
      return openSqlite(join(dataDir, 'latchkey.db'));
    case 'file':
      return openFile(join(dataDir, 'sessions'));
    case 'memory': {
      warn(
        'latchkey: warning: LATCHKEY_STORE=memory lives inside one process; this command has its ' +
          'own empty store and sees no app sessions',
      );
      const { memoryStore } = await import('../stores/memory.js');
      return {
        store: memoryStore(),
        kind,
        location: 'this process (empty)',
        nativeExpiry: false,
        close: () => Promise.resolve(),
      };
    }
    case 'redis':
      return openRedis(
        setting(env, 'REDIS_URL', 'redis://127.0.0.1:6379'),
        setting(env, 'LATCHKEY_REDIS_PREFIX', 'latchkey-demo:'),
      );
    case 'postgres': {
      const url = env.DATABASE_URL;
      if (url === undefined || url === '') {
        throw new CliError(
          'LATCHKEY_STORE=postgres needs DATABASE_URL, e.g. postgres://user@127.0.0.1:5432/app',
        );
      }
      return openPostgres(url, setting(env, 'LATCHKEY_PG_TABLE', 'latchkey_demo_sessions'));
    }
  }
}

async function openSqlite(path: string): Promise<OpenedStore> {
  let Database: typeof BetterSqlite3;
  try {
    ({ default: Database } = await import('better-sqlite3'));
  } catch {
    throw new CliError(
      'LATCHKEY_STORE=sqlite needs the better-sqlite3 package: npm install better-sqlite3',
    );
  }
  if (!existsSync(path)) {
    throw new CliError(
      `no SQLite database at ${path}; set LATCHKEY_DATA_DIR to the app's data directory`,
      EXIT.unreachable,
    );
  }
  const { sqliteStore } = await import('../stores/sqlite.js');
  let db: BetterSqlite3.Database | undefined;
  try {
    // Opened here, not by the store, so the app's journal mode and pragmas stay as they are.
    db = new Database(path, { fileMustExist: true, timeout: 1000 });
    const store = sqliteStore({ database: db, onInvalidRecord: () => undefined });
    await store.ready();
    const opened = db;
    return {
      store,
      kind: 'sqlite',
      location: path,
      nativeExpiry: false,
      close: async () => {
        await store.close();
        opened.close();
      },
    };
  } catch (error) {
    db?.close();
    throw new CliError(`cannot open SQLite at ${path} (${message(error)})`, EXIT.unreachable);
  }
}

async function openFile(directory: string): Promise<OpenedStore> {
  if (!existsSync(directory)) {
    throw new CliError(
      `no session directory at ${directory}; set LATCHKEY_DATA_DIR to the app's data directory`,
      EXIT.unreachable,
    );
  }
  const { fileStore } = await import('../stores/file.js');
  return {
    store: fileStore({ directory, onInvalidRecord: () => undefined }),
    kind: 'file',
    location: directory,
    nativeExpiry: false,
    close: () => Promise.resolve(),
  };
}

async function openRedis(url: string, prefix: string): Promise<OpenedStore> {
  let Redis: typeof IoRedis;
  try {
    ({ Redis } = await import('ioredis'));
  } catch {
    throw new CliError('LATCHKEY_STORE=redis needs the ioredis package: npm install ioredis');
  }
  const { redisStore } = await import('../stores/redis.js');
  // One connection attempt, bounded commands, no reconnection: a command-line tool should fail
  // at once with a message rather than retry in the background.
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: TIMEOUT,
    commandTimeout: TIMEOUT,
    retryStrategy: () => null,
  });
  let store: ReturnType<typeof redisStore>;
  // ioredis rejects a failed connect() with "Connection is closed."; the cause is in the last
  // error event. Errors during a command reach the caller through the failing command.
  let lastError: unknown;
  try {
    store = redisStore({
      client,
      prefix,
      onClientError: (error) => {
        lastError = error;
      },
      onInvalidRecord: () => undefined,
    });
  } catch (error) {
    client.disconnect();
    throw new CliError(`${message(error)}; check LATCHKEY_REDIS_PREFIX`);
  }
  try {
    await client.connect();
  } catch (error) {
    await store.close();
    client.disconnect();
    throw new CliError(
      `cannot reach Redis at ${redact(url)} (${message(lastError ?? error)}); check REDIS_URL`,
      EXIT.unreachable,
    );
  }
  return {
    store,
    kind: 'redis',
    location: `${redact(url)}, prefix ${prefix}`,
    nativeExpiry: true,
    close: async () => {
      await store.close();
      await client.quit().catch(() => {
        client.disconnect();
      });
    },
  };
}

async function openPostgres(url: string, table: string): Promise<OpenedStore> {
  let Pool: typeof pg.Pool;
  try {
    ({
      default: { Pool },
    } = await import('pg'));
  } catch {
    throw new CliError('LATCHKEY_STORE=postgres needs the pg package: npm install pg');
  }
  const { postgresStore } = await import('../stores/postgres.js');
  const pool = new Pool({
    connectionString: url,
    max: 4,
    connectionTimeoutMillis: TIMEOUT,
    query_timeout: 30_000,
    keepAlive: true,
  });
  let store: ReturnType<typeof postgresStore>;
  try {
    store = postgresStore({
      pool,
      table,
      onPoolError: () => undefined,
      onInvalidRecord: () => undefined,
    });
  } catch (error) {
    await pool.end();
    throw new CliError(`${message(error)}; check LATCHKEY_PG_TABLE`);
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    await pool.end().catch(() => undefined);
    throw new CliError(
      `cannot reach PostgreSQL at ${redact(url)} (${message(error)}); check DATABASE_URL`,
      EXIT.unreachable,
    );
  }
  return {
    store,
    kind: 'postgres',
    location: `${redact(url)}, table ${table}`,
    nativeExpiry: false,
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
}

/**
 * Opens the store, runs `task`, and closes the store whatever happens, so the process can exit.
 */
export async function withStore<T>(
  task: (opened: OpenedStore) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<T> {
  const opened = await openStoreFromEnv(env);
  try {
    return await task(opened);
  } finally {
    await opened.close().catch(() => undefined);
  }
}
