import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { sqliteStore, type SqliteStore } from '../../src/stores/sqlite.js';
import { runFullScenario } from './disk-full.js';
import { startFaultApp, type FaultApp } from './load.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './small-disk.js';

/**
 * SQLite running out of space under load (see disk-full.ts for the scenario and its checks), two
 * ways: `PRAGMA max_page_count` lowered to the file's size on the app's own connection (works
 * everywhere), and a real full file system, a small tmpfs filled to the last byte, under a file
 * the store opened itself (needs permission to mount; skipped loudly otherwise).
 */

describe('SQLite database full (max_page_count) under load', () => {
  let dir: string;
  let db: Database.Database;
  let store: SqliteStore;
  let app: FaultApp;
  let limit: number;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-faults-sqlite-full-'));
    db = new Database(join(dir, 'app.db'), { timeout: 100 });
    db.pragma('journal_mode = WAL');
    limit = db.pragma('max_page_count', { simple: true }) as number;
    store = sqliteStore({ database: db });
    await store.ready();
    app = await startFaultApp(store, { storeTimeout: '2s' });
  });

  after(async () => {
    await app.close();
    await store.close();
    db.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 SQLITE_FULL, loses no write it acknowledged, and writes again after', async (t) => {
    await runFullScenario(t, {
      app,
      store,
      fill() {
        const pages = db.pragma('page_count', { simple: true }) as number;
        assert.equal(db.pragma(`max_page_count = ${pages}`, { simple: true }), pages);
        return undefined;
      },
      free() {
        db.pragma(`max_page_count = ${limit}`);
        return undefined;
      },
      code: 'SQLITE_FULL',
      message: /full/,
    });
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  });
});

const noDisk = await smallDiskUnavailable();

describe('SQLite on a full file system under load', { skip: noDisk }, () => {
  let disk: SmallDisk | undefined;
  let store: SqliteStore;
  let app: FaultApp;
  let path: string;

  before(async () => {
    disk = await mountSmallDisk(16 << 20);
    path = join(disk.dir, 'sessions.db');
    store = sqliteStore({ database: path, busyTimeout: 100 });
    await store.ready();
    app = await startFaultApp(store, { storeTimeout: '2s' });
  });

  after(async () => {
    await app.close();
    await store.close();
    await disk?.destroy();
  });

  it('answers 503 SQLITE_FULL, loses no write it acknowledged, and writes again after', async (t) => {
    const full = disk!;
    const checker = new Database(path);
    try {
      await runFullScenario(t, {
        app,
        store,
        async fill() {
          // An empty WAL, so the next writes must allocate: no room left over from earlier ones.
          checker.pragma('wal_checkpoint(TRUNCATE)');
          t.diagnostic(`filled the file system with ${await full.fill()} bytes`);
        },
        free: () => full.free(),
        code: 'SQLITE_FULL',
        message: /full/,
      });
      assert.equal(checker.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      checker.close();
    }
  });
});
