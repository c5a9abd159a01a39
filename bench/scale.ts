// Per-request latency with 1 thousand and with 1 million live sessions, per persistent store.
//   npm run build && taskset -c 1 node --import tsx bench/scale.ts [--stores sqlite,redis,postgres]
//
// Each store is filled by cloning one real session (created through the store itself) in bulk
// (SQL INSERT ... SELECT, Redis pipelines), so the rows are exactly what the store writes. Then a
// node:http + Latchkey server on that store serves /ro and /rw for one session; latency is timed
// per request in microseconds with 4 keep-alive connections, so it reflects the store, not queueing.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { latency, sessionCookie, startServer } from './lib.js';
import { DATABASE_URL, REDIS_URL } from './servers/stores.js';

const { values } = parseArgs({
  options: {
    stores: { type: 'string', default: 'sqlite,redis,postgres' },
    requests: { type: 'string', default: '10000' },
    large: { type: 'string', default: '1000000' },
  },
});
const SIZES = [1000, Number(values.large)];
const REQUESTS = Number(values.requests);
const namespace = `scale_${process.pid}`;

interface Backend {
  readonly env: Record<string, string>;
  /** Grows the store to `total` live sessions by cloning the session behind `cookie`. */
  fill(total: number, cookie: string): Promise<void>;
  cleanup(): Promise<void>;
}

function storeId(cookie: string): string {
  const token = cookie.split(';')[0]?.split('=')[1] ?? '';
  return createHash('sha256').update(token).digest('hex');
}

async function sqlite(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-scale-'));
  const file = join(dir, 'sessions.db');
  const { default: Database } = await import('better-sqlite3');
  return {
    env: { BENCH_STORE: 'sqlite', BENCH_SQLITE_FILE: file },
    fill(total, cookie) {
      const db = new Database(file);
      db.pragma('busy_timeout = 10000');
      const count = (): number =>
        (db.prepare('SELECT count(*) AS n FROM latchkey_sessions').get() as { n: number }).n;
      const missing = total - count();
      db.prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO latchkey_sessions
         SELECT lower(hex(randomblob(32))), user_id, data, created_at, last_seen_at, absolute_expires_at,
                expires_at, idle_timeout, persistent, meta, version
         FROM latchkey_sessions, n WHERE latchkey_sessions.id = ?`,
      ).run(missing, storeId(cookie));
      db.close();
      return Promise.resolve();
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

async function postgres(): Promise<Backend> {
  const pg = await import('pg');
  const pool = new pg.default.Pool({ connectionString: DATABASE_URL });
  const table = `${namespace}_sessions`;
  return {
    env: { BENCH_STORE: 'postgres', BENCH_PG_TABLE: table },
    async fill(total, cookie) {
      const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM "${table}"`);
      const missing = total - Number(rows[0]?.n ?? 0);
      await pool.query(
        `INSERT INTO "${table}"
         SELECT md5(random()::text) || md5(random()::text), user_id, data, created_at, last_seen_at,
                absolute_expires_at, expires_at, idle_timeout, persistent, meta
         FROM "${table}", generate_series(1, $1) WHERE id = $2`,
        [missing, storeId(cookie)],
      );
      await pool.query(`VACUUM ANALYZE "${table}"`);
    },
    async cleanup() {
      await pool.query(`DROP TABLE IF EXISTS "${table}"`);
      await pool.end();
    },
  };
}

async function redis(): Promise<Backend> {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL);
  const prefix = `${namespace}:`;
  let filled = 0;
  return {
    env: { BENCH_STORE: 'redis', BENCH_REDIS_PREFIX: prefix },
    async fill(total, cookie) {
      const key = `${prefix}s:${storeId(cookie)}`;
      const template = await client.hgetall(key);
      const expireAt = await client.pexpiretime(key);
      const batch = 10_000;
      if (filled === 0) filled = 1;
      while (filled < total) {
        const pipeline = client.pipeline();
        for (let i = 0; i < batch && filled < total; i++, filled++) {
          const k = `${prefix}s:${randomBytes(32).toString('hex')}`;
          pipeline.hset(k, template);
          pipeline.pexpireat(k, expireAt);
        }
        await pipeline.exec();
      }
    },
    async cleanup() {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 10_000);
        cursor = next;
        if (keys.length > 0) await client.unlink(...keys);
      } while (cursor !== '0');
      client.disconnect();
    },
  };
}

const backends: Record<string, () => Promise<Backend>> = { sqlite, redis, postgres };
const rows: string[] = [];
for (const name of values.stores.split(',')) {
  const make = backends[name];
  if (make === undefined) throw new Error(`unknown store ${name}`);
  const backend = await make();
  // One server for the whole run: it creates the schema; the bench session is the fill template.
  const server = await startServer({ name, script: 'node-latchkey.ts', env: backend.env });
  try {
    const cookie = await sessionCookie(server.url);
    const result: Record<number, { ro: number; rw: number }> = {};
    const ratio = (): string => {
      const [small, large] = SIZES.map((n) => result[n]);
      if (small === undefined || large === undefined) return '';
      return `p50 ratio large/small: read-only ${(large.ro / small.ro).toFixed(2)}, read+write ${(large.rw / small.rw).toFixed(2)}`;
    };
    for (const size of SIZES) {
      const started = Date.now();
      await backend.fill(size, cookie);
      process.stderr.write(
        `${name}: ${size.toLocaleString('en-US')} sessions (filled in ${Date.now() - started} ms)\n`,
      );
      const headers = { cookie };
      // Warm-up of both routes before every cell, so neither size pays for the JIT or a cold cache.
      await latency(server.url, '/ro', headers, 5000);
      await latency(server.url, '/rw', headers, 5000);
      const ro = await latency(server.url, '/ro', headers, REQUESTS);
      const rw = await latency(server.url, '/rw', headers, REQUESTS);
      result[size] = { ro: ro.p50, rw: rw.p50 };
      rows.push(
        `| ${name} | ${size.toLocaleString('en-US')} | ${ro.p50} | ${ro.p99} | ${rw.p50} | ${rw.p99} |`,
      );
    }
    rows.push(`| ${name} | ${ratio()} | | | | |`);
  } finally {
    await server.stop();
    await backend.cleanup();
  }
}
console.log(
  `\n### Latency with 1 thousand and ${SIZES[1]?.toLocaleString('en-US')} live sessions\n`,
);
console.log(`${REQUESTS} requests per cell, 4 keep-alive connections; latency in microseconds.\n`);
console.log('| store | live sessions | read-only p50 | p99 | read+write p50 | p99 |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
