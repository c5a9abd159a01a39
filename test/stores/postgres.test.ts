import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { withSession } from '../../src/adapters/node.js';
import { createSessions } from '../../src/core/manager.js';
import { generateToken, hashToken, publicIdOf } from '../../src/core/token.js';
import { postgresStore, type InvalidRecordEvent } from '../../src/stores/postgres.js';
import { sampleRecord, storeConformance } from '../../src/testing/conformance.js';
import { Client, listen } from '../helpers/http.js';
import { dropTables, newPool, sharedDatabase, uniqueTable } from './postgres-env.js';

const { pool, skip } = await sharedDatabase();
const tables: string[] = [];
function table(label: string): string {
  const name = uniqueTable(label);
  tables.push(name);
  return name;
}

after(async () => {
  if (!skip) await dropTables(pool, tables);
  await pool.end();
});

const MINUTE = 60_000;

storeConformance('postgres', {
  skip,
  setup: () => postgresStore({ pool, table: table('conf') }),
  teardown: (store) => store.close?.(),
});

describe('postgres store: values', { skip }, () => {
  it('round-trips the JSON text of each value exactly, not a re-serialized copy', async () => {
    const store = postgresStore({ pool, table: table('values') });
    // jsonb would reorder these keys, drop the ".0" and reject \u0000 if it parsed the values.
    const data = {
      order: '{"b":1,"a":2}',
      decimal: '1.0',
      nul: JSON.stringify('a\u0000b'),
      lone: JSON.stringify('\ud800'),
      spaced: '[1, 2]',
    };
    const record = sampleRecord({ data });
    assert.equal(await store.create(record, Date.now()), true);
    assert.deepEqual((await store.get(record.id, Date.now()))?.data, data);
    const now = Date.now();
    await store.update(
      record.id,
      { set: { order: '{"z":0,"a":1}' }, lastSeenAt: now, expiresAt: now + MINUTE },
      now,
    );
    assert.equal((await store.get(record.id, now))?.data.order, '{"z":0,"a":1}');
  });
});

describe('postgres store: schema', { skip }, () => {
  async function versionOf(name: string): Promise<number | undefined> {
    const { rows } = await pool.query<{ version: number }>(
      'SELECT version FROM latchkey_schema_migrations WHERE table_name = $1',
      [name],
    );
    return rows[0]?.version;
  }

  it('creates table and indexes once, records the version, and is idempotent', async () => {
    const name = table('migrate');
    const store = postgresStore({ pool, table: name });
    assert.equal(await store.migrate(), 0, 'fresh database');
    assert.equal(await versionOf(name), 1);
    assert.equal(await store.migrate(), 1, 'already at version 1');
    assert.equal(await versionOf(name), 1);
    const { rows } = await pool.query<{ indexdef: string }>(
      'SELECT indexdef FROM pg_indexes WHERE tablename = $1 ORDER BY indexname',
      [name],
    );
    const definitions = rows.map((r) => r.indexdef).join('\n');
    assert.match(definitions, /\(expires_at\)/);
    assert.match(definitions, /\(user_id\) WHERE \(user_id IS NOT NULL\)/);
    assert.match(definitions, /UNIQUE INDEX .* \(id\)/);
  });

  it('migrates lazily on first use', async () => {
    const store = postgresStore({ pool, table: table('lazy') });
    const record = sampleRecord();
    assert.equal(await store.create(record, Date.now()), true);
    assert.deepEqual(await store.get(record.id, Date.now()), record);
  });

  it('lets two processes race the first migration: one migrates, the other waits', async () => {
    const name = table('race');
    const pools = [newPool({ max: 2 }), newPool({ max: 2 })];
    try {
      const stores = pools.map((p) => postgresStore({ pool: p, table: name }));
      const found = await Promise.all(stores.map((s) => s.migrate()));
      assert.deepEqual(
        found.sort(),
        [0, 1],
        'exactly one saw a fresh database; the other saw it migrated',
      );
      const record = sampleRecord();
      assert.equal(await stores[0]!.create(record, Date.now()), true);
      assert.deepEqual(await stores[1]!.get(record.id, Date.now()), record);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('with migrate: false creates nothing, so a missing table fails loudly', async () => {
    const name = table('nomigrate');
    const store = postgresStore({ pool, table: name, migrate: false });
    await assert.rejects(async () => store.get('x', Date.now()), /does not exist/);
    assert.equal(await versionOf(name), undefined);
    await store.migrate();
    assert.equal(await store.get('x', Date.now()), null);
  });

  it('accepts a schema-qualified table', async () => {
    const schema = uniqueTable('schema');
    await pool.query(`CREATE SCHEMA ${schema}`);
    try {
      const store = postgresStore({ pool, table: `${schema}.sessions` });
      const record = sampleRecord();
      await store.create(record, Date.now());
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${schema}.sessions`,
      );
      assert.equal(rows[0]?.n, '1');
      const { rows: versions } = await pool.query<{ version: number }>(
        `SELECT version FROM ${schema}.latchkey_schema_migrations WHERE table_name = $1`,
        [`${schema}.sessions`],
      );
      assert.equal(versions[0]?.version, 1);
    } finally {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
});

describe('postgres store: options', () => {
  const fakePool = { query: () => Promise.reject(new Error('unused')), on() {}, off() {} };
  const make = (options: Record<string, unknown>): unknown =>
    postgresStore({ pool: fakePool, ...options } as unknown as Parameters<typeof postgresStore>[0]);

  it('refuses table names that are not plain identifiers, naming the rule', () => {
    for (const bad of [
      'sessions; DROP TABLE users',
      'Sessions',
      '"quoted"',
      'a.b.c',
      '',
      '1abc',
      'x'.repeat(49),
    ]) {
      assert.throws(() => make({ table: bad }), /lower-case letters, digits and _/, bad);
    }
    assert.doesNotThrow(() => make({ table: 'app_1.sessions' }));
  });

  it('refuses a missing pool and a nonsensical batch size', () => {
    assert.throws(
      () => postgresStore({} as Parameters<typeof postgresStore>[0]),
      /options.pool must be a pg Pool/,
    );
    assert.throws(() => make({ purgeBatchSize: 0 }), /purgeBatchSize/);
    assert.throws(() => make({ purgeBatchSize: 1.5 }), /purgeBatchSize/);
  });
});

describe('postgres store: unreadable rows', { skip }, () => {
  const name = table('corrupt');
  const events: InvalidRecordEvent[] = [];
  const store = postgresStore({ pool, table: name, onInvalidRecord: (e) => events.push(e) });

  /** Writes a row behind the store's back, as a bug, a hand edit or an old release might. */
  async function plant(id: string, data: string, meta = '{}', userId: string | null = null) {
    const now = Date.now();
    await store.migrate();
    await pool.query(
      `INSERT INTO "${name}" (id, user_id, data, created_at, last_seen_at, absolute_expires_at,
         expires_at, idle_timeout, persistent, meta)
       VALUES ($1, $2, $3::jsonb, $4, $4, $5, $5, 60000, false, $6::jsonb)`,
      [id, userId, data, now, now + 10 * MINUTE, meta],
    );
  }

  it('reads a corrupt row and an older-schema row as no session, with an event', async () => {
    const corrupt = hashToken(generateToken());
    const older = hashToken(generateToken());
    const badMeta = hashToken(generateToken());
    await plant(corrupt, '"not an object"');
    await plant(older, '{"cart": ["book"], "views": 3}'); // parsed values, not JSON texts
    await plant(badMeta, '{}', '[1, 2]');
    events.length = 0;
    assert.equal(await store.get(corrupt, Date.now()), null);
    assert.equal(await store.get(older, Date.now()), null);
    assert.equal(await store.get(badMeta, Date.now()), null);
    assert.deepEqual(events, [
      { session: publicIdOf(corrupt), reason: 'data is not an object of strings' },
      { session: publicIdOf(older), reason: 'data is not an object of strings' },
      { session: publicIdOf(badMeta), reason: 'meta is not an object of scalars' },
    ]);
  });

  it('without onInvalidRecord, warns once, not once per request', async () => {
    const quiet = postgresStore({ pool, table: name });
    const ids = [hashToken(generateToken()), hashToken(generateToken())];
    for (const id of ids) await plant(id, '{"n": 1}');
    const warnings: string[] = [];
    const listener = (warning: Error & { code?: string }): void => {
      if (warning.code === 'LATCHKEY_INVALID_RECORD') warnings.push(warning.message);
    };
    process.on('warning', listener);
    try {
      for (const id of [...ids, ...ids]) assert.equal(await quiet.get(id, Date.now()), null);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /data is not an object of strings/);
    assert.doesNotMatch(warnings[0]!, new RegExp(ids[0]!), 'no session id in the log');
  });

  it('refuses to update a corrupt row instead of failing the request', async () => {
    const id = hashToken(generateToken());
    await plant(id, '["array"]');
    const now = Date.now();
    const patch = { set: { a: '1' }, unset: ['b'], lastSeenAt: now, expiresAt: now + MINUTE };
    assert.equal(await store.update(id, patch, now), false);
    // Logging out of it still works: the row goes, and nothing unreadable is handed back.
    assert.equal(await store.delete(id), null);
    const { rows } = await pool.query(`SELECT 1 FROM "${name}" WHERE id = $1`, [id]);
    assert.equal(rows.length, 0);
  });

  it('leaves unreadable rows out of a user list, but "log out everywhere" removes them', async () => {
    const good = sampleRecord({ userId: 'carol' });
    await store.create(good, Date.now());
    await plant(hashToken(generateToken()), '{"x": 1}', '{}', 'carol');
    const listed = await store.listByUser('carol', Date.now());
    assert.deepEqual(
      listed.map((r) => r.id),
      [good.id],
    );
    assert.equal(await store.deleteByUser('carol'), 2);
  });

  it('serves a request whose cookie points at a corrupt row as anonymous (no 5xx)', async () => {
    const token = generateToken();
    await plant(hashToken(token), '{"views": 7}');
    const sessions = createSessions({ store });
    const rejected: string[] = [];
    sessions.on('rejected-token', (e) => rejected.push(e.reason));
    const server = await listen(
      withSession(sessions, async (req, res) => {
        res.end(JSON.stringify({ user: await req.session.userId() }));
      }),
    );
    try {
      const client = new Client(server.url);
      client.cookies.set('__Host-sid', token);
      const response = await client.request('/');
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { user: null });
      assert.deepEqual(rejected, ['unknown']);
    } finally {
      await server.close();
    }
  });
});

describe('postgres store: purge', { skip }, () => {
  it('removes every expired row in batches and never a live one', async () => {
    const store = postgresStore({ pool, table: table('purge'), purgeBatchSize: 3 });
    const now = Date.now();
    const expired = Array.from({ length: 10 }, (_, i) =>
      sampleRecord({ expiresAt: now + i * 1000 }),
    );
    const live = Array.from({ length: 4 }, () => sampleRecord({ expiresAt: now + 60 * MINUTE }));
    for (const r of [...expired, ...live]) await store.create(r, now);
    const later = now + 20 * MINUTE;
    assert.equal(await store.deleteExpired(later), 10, 'four batches: 3 + 3 + 3 + 1');
    assert.equal(await store.deleteExpired(later), 0);
    for (const r of live) assert.notEqual(await store.get(r.id, later), null);
  });

  it('finds expired rows through the expires_at index, not by scanning the table', async () => {
    const name = table('explain');
    const store = postgresStore({ pool, table: name });
    await store.migrate();
    const now = Date.now();
    // 5000 live rows and 5 expired ones, written directly to keep the test quick.
    await pool.query(
      `INSERT INTO "${name}" (id, data, created_at, last_seen_at, absolute_expires_at, expires_at,
         idle_timeout, meta)
       SELECT md5(i::text), '{}', t, t, t + CASE WHEN i <= 5 THEN 0 ELSE 3600000 END,
         t + CASE WHEN i <= 5 THEN 0 ELSE 3600000 END, 1800000, '{}'
       FROM generate_series(1, 5000) AS i, (SELECT $1::bigint AS t) AS clock`,
      [now],
    );
    await pool.query(`ANALYZE "${name}"`);
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN DELETE FROM "${name}" WHERE id IN (
         SELECT id FROM "${name}" WHERE expires_at <= ${now + 1}
         ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED)`,
    );
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(plan, new RegExp(`Index Scan using "?${name}_expires_at_idx"?`));
    assert.doesNotMatch(plan, /Seq Scan/);
    assert.equal(await store.deleteExpired(now + 1), 5);
  });
});
