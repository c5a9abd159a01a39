import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Client } from '../helpers/http.js';
import { startApp } from '../helpers/node-app.js';
import { META_TABLE, SCHEMA_VERSION, sqliteStore } from '../../src/stores/sqlite.js';
import { publicIdOf } from '../../src/core/token.js';
import { sampleRecord, storeConformance } from '../../src/testing/conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-sqlite-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

const MINUTE = 60_000;
let files = 0;
/** A fresh database path in a subdirectory that does not exist yet. */
function newPath(): string {
  return join(dir, `run-${++files}`, 'sessions.db');
}

storeConformance('sqlite (file, opened by the store)', {
  setup: () => sqliteStore({ database: newPath() }),
  teardown: (store) => store.close?.(),
});

const memoryDb = new Database(':memory:');
storeConformance('sqlite (in-memory Database passed in)', {
  setup: () => sqliteStore({ database: memoryDb, table: 'conformance_sessions' }),
  teardown: () => {
    memoryDb.close();
  },
});

function patchAt(now: number, set: Record<string, string> = {}) {
  return { set, lastSeenAt: now, expiresAt: now + MINUTE };
}

describe('sqlite store: schema', () => {
  it('creates parent directories, turns on WAL and records the schema version', async () => {
    const path = newPath();
    const store = sqliteStore({ database: path });
    await store.ready();
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      const version = db
        .prepare(`SELECT schema_version FROM ${META_TABLE} WHERE table_name = ?`)
        .pluck()
        .get('latchkey_sessions');
      assert.equal(version, SCHEMA_VERSION);
    } finally {
      db.close();
    }
  });

  it('serves the sweep and the per-user list from indexes, never a table scan', async () => {
    const db = new Database(':memory:');
    await sqliteStore({ database: db, table: 'plan' }).ready();
    const plan = (sql: string): string =>
      db
        .prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((r) => r.detail)
        .join('; ');
    assert.match(plan('SELECT rowid FROM plan WHERE expires_at <= 1 LIMIT 500'), /plan_expires_at/);
    assert.match(plan("SELECT * FROM plan WHERE user_id = 'u' AND expires_at > 1"), /plan_user_id/);
    assert.match(plan("DELETE FROM plan WHERE user_id = 'u' AND id IS NOT 'x'"), /plan_user_id/);
    db.close();
  });

  it('keeps sessions across a restart (a new store on the same file)', async () => {
    const path = newPath();
    const first = sqliteStore({ database: path });
    const record = sampleRecord({ userId: 'restart-user', data: { cart: '["apple"]' } });
    assert.equal(await first.create(record, Date.now()), true);
    await first.close();
    const second = sqliteStore({ database: path });
    assert.deepEqual(await second.get(record.id, Date.now()), record);
    assert.equal((await second.listByUser('restart-user', Date.now())).length, 1);
    await second.close();
  });

  it('rejects a table name that is not a plain identifier, at once', () => {
    const db = new Database(':memory:');
    for (const table of [
      'x; DROP TABLE users',
      'a"b',
      '1abc',
      'sqlite_master',
      '',
      'a'.repeat(64),
    ]) {
      assert.throws(() => sqliteStore({ database: db, table }), TypeError, table);
    }
    assert.throws(() => sqliteStore({ database: db, busyTimeout: -1 }), /busyTimeout/);
    assert.throws(() => sqliteStore({ database: {} as Database.Database }), /"database"/);
    db.close();
  });

  it('refuses a table it did not create rather than guess at its layout', async () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE sessions (sid TEXT PRIMARY KEY, expired INTEGER, sess TEXT)');
    const store = sqliteStore({ database: db, table: 'sessions' });
    await assert.rejects(store.ready(), /not created by Latchkey/);
    await assert.rejects(
      async () => store.get(sampleRecord().id, Date.now()),
      /not created by Latchkey/,
    );
    db.close();
  });

  it('refuses a table of a newer schema version, leaving it as it is', async () => {
    const db = new Database(':memory:');
    const record = sampleRecord();
    await sqliteStore({ database: db, table: 'future' }).create(record, Date.now());
    db.prepare(`UPDATE ${META_TABLE} SET schema_version = 99 WHERE table_name = 'future'`).run();
    const store = sqliteStore({ database: db, table: 'future' });
    await assert.rejects(store.ready(), /schema version 99, newer/);
    const count = db.prepare('SELECT count(*) FROM future').pluck().get();
    assert.equal(count, 1);
    db.close();
  });

  it('leaves a Database passed in open and its pragmas untouched', async () => {
    const path = newPath();
    const store = sqliteStore({ database: path });
    await store.ready(); // creates the directory
    await store.close();
    const db = new Database(join(path, '..', 'own.db'));
    const own = sqliteStore({ database: db });
    await own.create(sampleRecord(), Date.now());
    await own.close();
    assert.equal(db.open, true);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
    db.close();
  });

  it('delete hands back the removed row, synchronously once the database is open', async () => {
    const db = new Database(':memory:');
    try {
      const store = sqliteStore({ database: db, table: 'sync_delete' });
      const first = sampleRecord({ userId: 'sync-user' });
      // Before the first use the database opens asynchronously: a promise of the record.
      const opening = store.delete(first.id);
      assert.ok(opening instanceof Promise);
      assert.equal(await opening, null);
      await store.create(first, Date.now());
      // Open: the answer is the record itself, with no promise (the core skips the async path).
      const removed = store.delete(first.id);
      assert.ok(!(removed instanceof Promise), 'answered synchronously');
      assert.deepEqual(removed, first);
      assert.equal(store.delete(first.id), null);
    } finally {
      db.close();
    }
  });

  it('rejects operations after close() of a store that owns its file', async () => {
    const store = sqliteStore({ database: newPath() });
    await store.ready();
    await store.close();
    await assert.rejects(async () => store.get(sampleRecord().id, Date.now()), /closed/);
  });
});

describe('sqlite store: bad data reads as no session', () => {
  const db = new Database(':memory:');
  const invalid: [string, string][] = [];
  const store = sqliteStore({
    database: db,
    table: 'bad_data',
    onInvalidRecord: ({ session, reason }) => invalid.push([session, reason]),
  });
  after(() => db.close());

  it('a row with corrupt JSON: null from get, reported, never thrown', async () => {
    const record = sampleRecord({ userId: 'corrupt-user' });
    await store.create(record, Date.now());
    db.prepare('UPDATE bad_data SET data = \'{"a": \' WHERE id = ?').run(record.id);
    invalid.length = 0;
    assert.equal(await store.get(record.id, Date.now()), null);
    assert.deepEqual(invalid, [[publicIdOf(record.id), 'data is not a JSON object']]);
    assert.equal(await store.update(record.id, patchAt(Date.now(), { x: '1' }), Date.now()), false);
    assert.deepEqual(await store.listByUser('corrupt-user', Date.now()), []);
    // "Log out everywhere" still removes it.
    assert.equal(await store.deleteByUser('corrupt-user'), 1);
  });

  it('data whose values are not serialized strings, or a broken meta, is corrupt too', async () => {
    const a = sampleRecord();
    const b = sampleRecord();
    await store.create(a, Date.now());
    await store.create(b, Date.now());
    db.prepare('UPDATE bad_data SET data = \'{"n": 1}\' WHERE id = ?').run(a.id);
    db.prepare("UPDATE bad_data SET meta = '[1]' WHERE id = ?").run(b.id);
    invalid.length = 0;
    assert.equal(await store.get(a.id, Date.now()), null);
    assert.equal(await store.get(b.id, Date.now()), null);
    assert.deepEqual(
      invalid.map(([id]) => id),
      [a.id, b.id].map(publicIdOf),
    );
  });

  it('a row written with another encoding version is not migrated: it reads as no session', async () => {
    const record = sampleRecord({ userId: 'old-user' });
    await store.create(record, Date.now());
    db.prepare('UPDATE bad_data SET version = 0 WHERE id = ?').run(record.id);
    invalid.length = 0;
    assert.equal(await store.get(record.id, Date.now()), null);
    assert.match(invalid[0]?.[1] ?? '', /row version 0/);
    assert.equal(await store.update(record.id, patchAt(Date.now(), { x: '1' }), Date.now()), false);
    const stored = db.prepare('SELECT data FROM bad_data WHERE id = ?').pluck().get(record.id);
    assert.equal(stored, JSON.stringify(record.data), 'the old row is left as it was');
    // Logging out of it still works: the row goes, and nothing unreadable is handed back.
    assert.equal(await store.delete(record.id), null);
    assert.equal(
      db.prepare('SELECT count(*) FROM bad_data WHERE id = ?').pluck().get(record.id),
      0,
    );
  });

  it('without a hook, warns once naming only the public id, then stays quiet', async () => {
    const quiet = sqliteStore({ database: db, table: 'bad_data' });
    const record = sampleRecord();
    await quiet.create(record, Date.now());
    db.prepare("UPDATE bad_data SET meta = 'oops' WHERE id = ?").run(record.id);
    const warnings: Error[] = [];
    const listener = (w: Error): void => void warnings.push(w);
    process.on('warning', listener);
    try {
      // A client replaying the cookie of a corrupt session must not flood the logs.
      for (let i = 0; i < 5; i++) assert.equal(await quiet.get(record.id, Date.now()), null);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    const ours = warnings.filter((w) => w.message.includes('unreadable session'));
    assert.equal(ours.length, 1);
    assert.ok(ours[0]?.message.includes(publicIdOf(record.id)));
    assert.ok(!ours[0]?.message.includes(record.id), 'the full store id stays out of logs');
  });
});

describe('sqlite store: failures reject and corrupt nothing', () => {
  it('a write lock held by another connection past busyTimeout rejects with SQLITE_BUSY', async () => {
    const path = newPath();
    const store = sqliteStore({ database: path, busyTimeout: 50 });
    const record = sampleRecord({ data: { a: '1' } });
    await store.create(record, Date.now());
    const other = new Database(path);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const now = Date.now();
      const busy = (error: unknown): boolean => (error as { code?: string }).code === 'SQLITE_BUSY';
      await assert.rejects(
        async () => store.update(record.id, patchAt(now, { a: '2' }), now),
        busy,
      );
      await assert.rejects(async () => store.create(sampleRecord(), now), busy);
      await assert.rejects(async () => store.delete(record.id), busy);
      // WAL: readers are not blocked by a writer.
      assert.deepEqual(await store.get(record.id, now), record);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.deepEqual(await store.get(record.id, Date.now()), record);
    assert.equal(
      await store.update(record.id, patchAt(Date.now(), { a: '3' }), Date.now()),
      true,
      'works again once the lock is gone',
    );
    await store.close();
  });

  it('a read-only database rejects writes and still serves reads', async () => {
    const path = newPath();
    const writer = sqliteStore({ database: path });
    const record = sampleRecord();
    await writer.create(record, Date.now());
    await writer.close();
    const db = new Database(path, { readonly: true });
    const store = sqliteStore({ database: db });
    assert.deepEqual(await store.get(record.id, Date.now()), record);
    await assert.rejects(
      async () => store.update(record.id, patchAt(Date.now(), { b: '2' }), Date.now()),
      /readonly/,
    );
    db.close();
  });

  it('an unusable path rejects on first use and is retried on the next', async () => {
    const blocker = join(dir, `blocker-${++files}`);
    const store = sqliteStore({ database: join(blocker, 'sessions.db') });
    // A regular file where the directory should be.
    new Database(blocker).close();
    await assert.rejects(async () => store.get(sampleRecord().id, Date.now()));
    rmSync(blocker);
    assert.equal(await store.create(sampleRecord(), Date.now()), true);
    await store.close();
    assert.ok(existsSync(join(blocker, 'sessions.db')));
  });
});

describe('sqlite store: sweep', () => {
  it('deletes expired rows in several batches and nothing live', async () => {
    const db = new Database(':memory:');
    const store = sqliteStore({ database: db, table: 'sweep' });
    const now = Date.now();
    const expiring = Array.from({ length: 1203 }, () => sampleRecord({ expiresAt: now + 10 }));
    const live = sampleRecord();
    for (const r of [...expiring, live]) await store.create(r, now);
    assert.equal(await store.deleteExpired(now + 10), 1203);
    assert.equal(db.prepare('SELECT count(*) FROM sweep').pluck().get(), 1);
    assert.notEqual(await store.get(live.id, now + 10), null);
    db.close();
  });
});

describe('sqlite store through the node adapter', () => {
  it('keeps a value between requests, and a destroyed session stays dead when replayed', async () => {
    const path = newPath();
    const store = sqliteStore({ database: path });
    const app = await startApp({ store });
    try {
      const client = new Client(app.url);
      assert.equal((await client.request('/set?key=name&value="alice"')).status, 200);
      assert.equal(await (await client.request('/get?key=name')).json(), 'alice');
      const stolen = client.clone();
      assert.equal((await client.request('/logout', { method: 'POST' })).status, 200);
      assert.equal(await (await stolen.request('/get?key=name')).json(), null);
      const rows = new Database(path, { readonly: true });
      assert.equal(rows.prepare('SELECT count(*) FROM latchkey_sessions').pluck().get(), 0);
      rows.close();
    } finally {
      await app.close();
      await store.close();
    }
  });

  it('answers 503 while the database is locked, and sessions work again afterwards', async () => {
    const path = newPath();
    const store = sqliteStore({ database: path, busyTimeout: 20 });
    await store.ready();
    const other = new Database(path);
    const app = await startApp({ store });
    try {
      other.exec('BEGIN EXCLUSIVE');
      const client = new Client(app.url);
      const response = await client.request('/set?key=name&value="bob"');
      assert.equal(response.status, 503);
      assert.equal(response.headers.getSetCookie().length, 0, 'no cookie for an unsaved session');
      other.exec('ROLLBACK');
      assert.equal((await client.request('/set?key=name&value="bob"')).status, 200);
      assert.equal(await (await client.request('/get?key=name')).json(), 'bob');
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await app.close();
      await store.close();
    }
  });
});

describe('sqlite store: patches in SQL', () => {
  it('keys that look like JSON paths, quotes and lone surrogates survive json_patch intact', async () => {
    const db = new Database(':memory:');
    const store = sqliteStore({ database: db, table: 'odd_keys' });
    const record = sampleRecord({
      data: { '\ud800k': JSON.stringify('\ud800 \u2028 😀'), 'a.b[0]': '1', '"q"': '2', $: '3' },
    });
    await store.create(record, Date.now());
    const now = Date.now();
    const ok = await store.update(
      record.id,
      {
        set: { 'x\udc01': JSON.stringify('\udc00'), '$.a': '"path"', 'a.b[0]': 'null' },
        unset: ['"q"'],
        lastSeenAt: now,
        expiresAt: now + MINUTE,
      },
      now,
    );
    assert.equal(ok, true);
    assert.deepEqual((await store.get(record.id, now))?.data, {
      '\ud800k': JSON.stringify('\ud800 \u2028 😀'),
      'a.b[0]': 'null',
      $: '3',
      'x\udc01': JSON.stringify('\udc00'),
      '$.a': '"path"',
    });
    db.close();
  });
});
