import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import { checkTableName, settle } from './sql.js';
import {
  backoffDelay,
  type ThrottleBackoff,
  type ThrottleStore,
  type ThrottleTake,
} from './throttle.js';

/**
 * Built-in {@link ThrottleStore}s. Pick the one matching your session store, so that counters are
 * shared by every process serving the app (a memory counter per process would multiply the
 * attempts an attacker gets by the number of processes).
 */

/** A store that can also drop expired counters (SQL and memory; Redis expires keys itself). */
export interface SweepableThrottleStore extends ThrottleStore {
  /** Removes expired counters; returns how many. Housekeeping only, never needed for correctness. */
  deleteExpired(now: number): Promise<number>;
}

interface Counter {
  count: number;
  lastAt: number;
  expiresAt: number;
}

/**
 * Counters in this process's memory: tests and single-process apps. Holds at most `maxKeys`
 * counters (default 100 000); beyond that the oldest is dropped, which only ever makes throttling
 * more lenient, never locks anyone out.
 */
export function memoryThrottleStore(options: { maxKeys?: number } = {}): SweepableThrottleStore {
  const maxKeys = options.maxKeys ?? 100_000;
  const counters = new Map<string, Counter>();
  const live = (key: string, now: number) => {
    const c = counters.get(key);
    return c !== undefined && c.expiresAt > now ? c : undefined;
  };
  return {
    take(key, now, rule) {
      const c = live(key, now);
      if (c !== undefined && now < c.lastAt + backoffDelay(c.count, rule)) {
        return Promise.resolve({ allowed: false, count: c.count, lastAt: c.lastAt });
      }
      const count = (c?.count ?? 0) + 1;
      counters.delete(key); // re-insert: Map order is then oldest-first for eviction
      while (counters.size >= maxKeys) {
        const oldest = counters.keys().next().value;
        if (oldest === undefined) break;
        counters.delete(oldest);
      }
      counters.set(key, { count, lastAt: now, expiresAt: now + rule.window });
      return Promise.resolve({ allowed: true, count, lastAt: now });
    },
    release(key, now) {
      const c = live(key, now);
      if (c !== undefined && c.count > 0) c.count--;
      return Promise.resolve();
    },
    reset(key) {
      counters.delete(key);
      return Promise.resolve();
    },
    deleteExpired(now) {
      let n = 0;
      for (const [key, c] of counters) if (c.expiresAt <= now && counters.delete(key)) n++;
      return Promise.resolve(n);
    },
  };
}

const SQL_COLUMNS =
  '(key TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, stamp TEXT NOT NULL)';

/** Parameter names of the take statement, in order. */
const TAKE_PARAMS = ['key', 'now', 'window', 'stamp', 'free', 'base', 'max'] as const;

/**
 * The take operation as one UPSERT, for SQLite and PostgreSQL alike. Every SET expression sees the
 * row as it was, so "blocked" is judged on the old counter. A counted attempt writes this
 * attempt's random `stamp`; reading it back tells whether the attempt was counted, without a
 * transaction.
 */
function takeSql(table: string, dialect: 'sqlite' | 'pg'): string {
  const p = (name: (typeof TAKE_PARAMS)[number]) =>
    dialect === 'pg' ? `$${TAKE_PARAMS.indexOf(name) + 1}` : `@${name}`;
  const least = dialect === 'pg' ? 'LEAST' : 'MIN';
  const big = (name: (typeof TAKE_PARAMS)[number]) => `CAST(${p(name)} AS BIGINT)`;
  const now = big('now');
  const delay = `${least}(${big('base')} * (CAST(1 AS BIGINT) << ${least}(t.count - ${p('free')}, 30)), ${big('max')})`;
  const blocked = `(t.expires_at > ${now} AND t.count >= ${p('free')} AND ${now} < t.last_at + ${delay})`;
  return `INSERT INTO ${table} AS t (key, count, last_at, expires_at, stamp)
    VALUES (${p('key')}, 1, ${now}, ${now} + ${big('window')}, ${p('stamp')})
    ON CONFLICT (key) DO UPDATE SET
      count = CASE WHEN ${blocked} THEN t.count WHEN t.expires_at <= ${now} THEN 1 ELSE t.count + 1 END,
      last_at = CASE WHEN ${blocked} THEN t.last_at ELSE excluded.last_at END,
      expires_at = CASE WHEN ${blocked} THEN t.expires_at ELSE excluded.expires_at END,
      stamp = CASE WHEN ${blocked} THEN t.stamp ELSE excluded.stamp END
    RETURNING count, last_at, stamp`;
}

interface TakeRow {
  count: number | string;
  last_at: number | string;
  stamp: string;
}

function takeParams(key: string, now: number, rule: ThrottleBackoff) {
  return {
    key,
    now: Math.floor(now),
    window: Math.ceil(rule.window),
    stamp: randomBytes(12).toString('base64url'),
    free: rule.freeAttempts,
    base: Math.ceil(rule.baseDelay),
    max: Math.ceil(rule.maxDelay),
  };
}

function toTake(row: TakeRow, stamp: string): ThrottleTake {
  return { allowed: row.stamp === stamp, count: Number(row.count), lastAt: Number(row.last_at) };
}

/**
 * Counters in a SQLite table (default `latchkey_throttle`, created if missing) through a
 * better-sqlite3 `Database` you own. Every process opening the same file shares them.
 */
export function sqliteThrottleStore(
  db: Database,
  options: { table?: string } = {},
): SweepableThrottleStore {
  const table = checkTableName(options.table ?? 'latchkey_throttle', 'sqliteThrottleStore');
  // SQLite puts the schema on the index name, not on the table it indexes.
  const index = `${table}_expires ON ${table.slice(table.indexOf('.') + 1)}`;
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} ${SQL_COLUMNS};
    CREATE INDEX IF NOT EXISTS ${index} (expires_at)`);
  const take = db.prepare<[ReturnType<typeof takeParams>], TakeRow>(takeSql(table, 'sqlite'));
  const release = db.prepare(
    `UPDATE ${table} SET count = count - 1 WHERE key = ? AND expires_at > ? AND count > 0`,
  );
  const reset = db.prepare(`DELETE FROM ${table} WHERE key = ?`);
  const sweep = db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`);
  return {
    take: (key, now, rule) =>
      settle(() => {
        const params = takeParams(key, now, rule);
        return toTake(take.get(params) as TakeRow, params.stamp);
      }),
    release: (key, now) =>
      settle(() => {
        release.run(key, Math.floor(now));
      }),
    reset: (key) =>
      settle(() => {
        reset.run(key);
      }),
    deleteExpired: (now) => settle(() => sweep.run(Math.floor(now)).changes),
  };
}

/**
 * Counters in a PostgreSQL table (default `latchkey_throttle`, created with `CREATE TABLE IF NOT
 * EXISTS` before the first query of this process) through a `pg` Pool you own.
 */
export function postgresThrottleStore(
  pool: Pool,
  options: { table?: string } = {},
): SweepableThrottleStore {
  const table = checkTableName(options.table ?? 'latchkey_throttle', 'postgresThrottleStore');
  const takeText = takeSql(table, 'pg');
  let ready: Promise<unknown> | null = null;
  async function query(text: string, values: unknown[]) {
    ready ??= pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${table} ${SQL_COLUMNS};
         CREATE INDEX IF NOT EXISTS ${table.replace('.', '_')}_expires ON ${table} (expires_at)`,
      )
      .catch((error: unknown) => {
        ready = null; // try again on the next call: the database may be back
        throw error;
      });
    await ready;
    return pool.query<TakeRow>(text, values);
  }
  return {
    async take(key, now, rule) {
      const params = takeParams(key, now, rule);
      const { rows } = await query(takeText, Object.values(params));
      return toTake(rows[0] as TakeRow, params.stamp);
    },
    async release(key, now) {
      await query(
        `UPDATE ${table} SET count = count - 1 WHERE key = $1 AND expires_at > $2 AND count > 0`,
        [key, Math.floor(now)],
      );
    },
    async reset(key) {
      await query(`DELETE FROM ${table} WHERE key = $1`, [key]);
    },
    async deleteExpired(now) {
      const result = await query(`DELETE FROM ${table} WHERE expires_at <= $1`, [Math.floor(now)]);
      return result.rowCount ?? 0;
    },
  };
}

/** The one Redis command the throttle store needs, as ioredis spells it (`redis.eval`). */
export interface RedisEvalClient {
  eval(script: string, numkeys: number, ...args: (string | number)[]): Promise<unknown>;
}

// KEYS[1] counter hash. ARGV: now, window, free, base, max, now + window. Times are the app's
// clock, compared as numbers; PEXPIRE only lets Redis reclaim the key.
const TAKE = `
local now = tonumber(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'count', 'last', 'exp')
local count, last, exp = tonumber(v[1]), tonumber(v[2]), tonumber(v[3])
if count and last and exp and exp > now then
  local free = tonumber(ARGV[3])
  if count >= free then
    local delay = math.min(tonumber(ARGV[4]) * 2 ^ math.min(count - free, 30), tonumber(ARGV[5]))
    if now < last + delay then return {0, count, v[2]} end
  end
  count = count + 1
else
  count = 1
end
redis.call('HSET', KEYS[1], 'count', count, 'last', ARGV[1], 'exp', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, count, ARGV[1]}`;

const RELEASE = `
local v = redis.call('HMGET', KEYS[1], 'count', 'exp')
if tonumber(v[2] or '0') > tonumber(ARGV[1]) and tonumber(v[1] or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 0`;

/**
 * Counters in Redis, each a small hash under `prefix` + key with a native expiry. Each operation is
 * one Lua script, so concurrent attempts from many processes are decided one at a time.
 *
 * Takes an ioredis client. For node-redis, wrap it:
 * `{ eval: (script, n, ...args) => client.eval(script, { keys: args.slice(0, n).map(String), arguments: args.slice(n).map(String) }) }`.
 */
export function redisThrottleStore(
  client: RedisEvalClient,
  options: { prefix?: string } = {},
): ThrottleStore {
  const prefix = options.prefix ?? 'latchkey:throttle:';
  return {
    async take(key, now, rule) {
      const p = takeParams(key, now, rule);
      const reply = (await client.eval(
        TAKE,
        1,
        prefix + key,
        String(p.now),
        String(Math.max(1, p.window)),
        String(p.free),
        String(p.base),
        String(p.max),
        String(p.now + p.window),
      )) as [number, number | string, string];
      return { allowed: reply[0] === 1, count: Number(reply[1]), lastAt: Number(reply[2]) };
    },
    async release(key, now) {
      await client.eval(RELEASE, 1, prefix + key, String(Math.floor(now)));
    },
    async reset(key) {
      await client.eval(`redis.call('DEL', KEYS[1]) return 0`, 1, prefix + key);
    },
  };
}
