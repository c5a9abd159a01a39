import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { sqliteStore, type SqliteStore } from '../../src/stores/sqlite.js';
import {
  assertAllOk,
  assertAllUnavailable,
  assertHealthy,
  assertSessionsIntact,
  assertUserLanes,
  duration,
  Load,
  logIn,
  startFaultApp,
  storeErrorCauses,
  within,
  type FaultApp,
} from './load.js';
import { holdLock } from './lock-holder.js';

/**
 * Another process holds SQLite's write lock (BEGIN EXCLUSIVE) for 3 s while ten logged-in users
 * keep writing and one more lane only reads.
 *
 * better-sqlite3 waits for a lock synchronously: each blocked statement stalls this whole process
 * for up to the busy timeout, and the core's storeTimeout cannot interrupt it. So a request's wait
 * is bounded by the busy timeout times the writes queued ahead of it (one per lane), not by
 * storeTimeout.
 */

const USERS = 10;
const BUSY_TIMEOUT = 100;
const SLACK = 2000;
/** Every other lane's blocked write may run before ours, each waiting out the busy timeout. */
const LOCKED_BOUND = (USERS + 1) * BUSY_TIMEOUT * 1.5 + SLACK;
const LOCK_MS = 3000;
const RECOVERY_LIMIT = 5000;

interface Setup {
  readonly store: SqliteStore;
  readonly path: string;
  /** WAL: readers go on while another connection writes. */
  readonly wal: boolean;
  readonly cleanup: () => void;
}

const setups: { name: string; make: (dir: string) => Setup }[] = [
  {
    // The default: the store opens the file itself (WAL, busyTimeout).
    name: 'store-opened file (WAL)',
    make(dir) {
      const path = join(dir, 'sessions.db');
      const store = sqliteStore({ database: path, busyTimeout: BUSY_TIMEOUT });
      return { store, path, wal: true, cleanup: () => undefined };
    },
  },
  {
    // An app's own connection left in rollback-journal mode: the writer's exclusive lock now
    // blocks reads too, so sessions cannot even be loaded.
    name: 'app-provided connection (rollback journal)',
    make(dir) {
      const path = join(dir, 'app.db');
      const db = new Database(path, { timeout: BUSY_TIMEOUT });
      assert.equal(db.pragma('journal_mode', { simple: true }), 'delete');
      return { store: sqliteStore({ database: db }), path, wal: false, cleanup: () => db.close() };
    },
  },
];

for (const { name, make } of setups) {
  describe(`SQLite write lock held by another process under load: ${name}`, () => {
    let dir: string;
    let setup: Setup;
    let app: FaultApp;

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'latchkey-faults-sqlite-'));
      setup = make(dir);
      await setup.store.ready();
      app = await startFaultApp(setup.store, { storeTimeout: '5s' });
    });

    after(async () => {
      await app.close();
      await setup.store.close();
      setup.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers 503 SQLITE_BUSY within a bound, corrupts nothing, and writes again after', async (t) => {
      const users = await logIn(app.url, USERS, 'sqlite');
      const reader = { path: '/peek', cookie: users[0]!.cookie };
      const load = Load.forUsers(app.url, users, [reader]);
      let locked = 0;
      let released = 0;
      let recoveredIn = 0;
      let tail = 0;
      try {
        await sleep(500);
        const holder = await holdLock(setup.path, LOCK_MS);
        locked = holder.locked;
        released = await holder.released;
        recoveredIn = await load.recovered(performance.now(), RECOVERY_LIMIT);
        tail = performance.now();
        await sleep(500);
      } finally {
        await load.stop();
      }

      const writes = within(load.outcomes.slice(0, USERS).flat(), locked, released);
      const reads = within(load.outcomes[USERS]!, locked, released);
      const health = within(load.health, locked, released + 1000);
      t.diagnostic(`overall: ${load.summary()}`);
      t.diagnostic(`writes while locked: ${load.summary(writes)}`);
      t.diagnostic(`reads while locked: ${load.summary(reads)}`);
      t.diagnostic(
        `/health around the lock: slowest ${Math.round(Math.max(0, ...health.map(duration)))} ms ` +
          '(the event loop waits out each busy timeout)',
      );
      t.diagnostic(`every lane served again ${recoveredIn} ms after the lock was released`);

      const counters = assertUserLanes(load, users);
      assert.ok(writes.length > 0, 'writes ran wholly inside the lock');
      for (const [lane, seen] of load.outcomes.slice(0, USERS).entries()) {
        assert.ok(
          seen.some((o) => o.status === 503),
          `user ${lane} ran into the lock`,
        );
      }
      assertAllUnavailable(writes, LOCKED_BOUND);
      // With WAL the session stays readable throughout; without it, a read fails closed too.
      assert.ok(reads.length > 0, 'reads ran wholly inside the lock');
      for (const o of reads) {
        assert.equal(o.status, setup.wal ? 200 : 503);
        assert.ok(duration(o) < LOCKED_BOUND);
        if (o.status === 200) assert.equal(o.view?.marker, users[0]!.name);
        else assert.deepEqual(o.setCookie, []);
      }
      assertHealthy(load, LOCKED_BOUND);
      assertAllOk(load.all().filter((o) => o.start >= tail));
      // The driver's error names the cause: a lock, not a crash or a corrupt file.
      const causes = storeErrorCauses(app);
      assert.ok(causes.length >= writes.length);
      for (const cause of causes) {
        assert.equal(cause.code, 'SQLITE_BUSY');
        assert.match(cause.message, /locked/);
      }

      await assertSessionsIntact(app.url, users, counters);
      const check = new Database(setup.path, { readonly: true });
      try {
        // The other process's transaction committed whole, and the file is sound.
        assert.equal(check.prepare('SELECT n FROM other_work').pluck().get(), 42);
        assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        check.close();
      }
    });
  });
}
