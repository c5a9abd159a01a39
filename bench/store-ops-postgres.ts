// Store-level throughput of the PostgreSQL store: get and update operations per second against a
// real PostgreSQL, without HTTP in the way. Uses its own table, dropped at the end.
//   node --conditions=latchkey-source --import tsx bench/store-ops-postgres.ts --duration 10
//   DATABASE_URL=postgres://user@host/db ... --concurrency 32 --pool 10
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { postgresStore } from '../src/stores/postgres.js';
import { sampleRecord } from '../src/testing/conformance.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    pool: { type: 'string', default: '10' },
    sessions: { type: 'string', default: '1000' },
  },
});
const seconds = Number(values.duration);
const concurrency = Number(values.concurrency);
const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const pool = new pg.Pool({ connectionString: url, max: Number(values.pool) });
const table = `latchkey_bench_${randomBytes(4).toString('hex')}`;
const store = postgresStore({ pool, table });

async function opsPerSecond(operation: (i: number) => unknown): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await operation(count++);
      }
    }),
  );
  return Math.round(count / seconds);
}

try {
  await store.migrate();
  const ids: string[] = [];
  for (let i = 0; i < Number(values.sessions); i++) {
    const record = sampleRecord({ userId: `user-${i % 100}` });
    await store.create(record, Date.now());
    ids.push(record.id);
  }
  const pick = (i: number): string => ids[i % ids.length] ?? '';
  const get = await opsPerSecond((i) => store.get(pick(i), Date.now()));
  const update = await opsPerSecond((i) => {
    const now = Date.now();
    return store.update(
      pick(i),
      { set: { counter: String(i) }, lastSeenAt: now, expiresAt: now + 1_800_000 },
      now,
    );
  });
  console.log(
    `postgres store, ${concurrency} concurrent, pool ${values.pool}, ${seconds} s each: ` +
      `get ${get} ops/s, update ${update} ops/s`,
  );
} finally {
  await pool.query(`DROP TABLE IF EXISTS ${table}`);
  await pool.query('DELETE FROM latchkey_schema_migrations WHERE table_name = $1', [table]);
  await pool.end();
}
