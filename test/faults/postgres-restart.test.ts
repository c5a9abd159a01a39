import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresStore, type PostgresStore } from '../../src/stores/postgres.js';
import { requireService } from '../helpers/services.js';
import { startPrivateCluster, type PrivateCluster } from '../stores/postgres-cluster.js';
import { newPool } from '../stores/postgres-env.js';
import {
  assertAllOk,
  assertAllUnavailable,
  assertHealthy,
  assertSessionsIntact,
  assertUserLanes,
  assertVisitors,
  Load,
  visitorLanes,
  logIn,
  startFaultApp,
  storeErrorCauses,
  within,
  type FaultApp,
} from './load.js';

// A private PostgreSQL cluster is stopped with `pg_ctl stop -m immediate` (a crash: no shutdown
// checkpoint, every connection cut) while sixteen logged-in users and four lanes of new visitors
// keep requesting, stays down for two seconds, and is started again on the same port and data
// directory. A private cluster rather than the silent proxy of test/stores: a stopped server is
// the outage every deployment meets (restarts, failovers), and it costs about a second to create.
let cluster: PrivateCluster | undefined;
const skip = await requireService('PostgreSQL server binaries (initdb, pg_ctl)', async () => {
  cluster = await startPrivateCluster();
});

const STORE_TIMEOUT = 500;
const USERS = 16;
/** Cookie-less visitors whose requests each create a session: 20 requests in flight in all. */
const VISITORS = 4;
const PAD = 100;
/** A failing request makes one store call: storeTimeout (1.25× at worst) plus scheduling slack. */
const FAIL_BOUND = STORE_TIMEOUT * 1.25 + 2000;
const RECOVERY_LIMIT = 10_000;

describe('PostgreSQL stopped and restarted under load', { skip }, () => {
  let pool: ReturnType<typeof newPool>;
  let store: PostgresStore;
  let app: FaultApp;
  const poolErrors: Error[] = [];

  before(async () => {
    assert.ok(cluster);
    // The pool settings docs/stores/postgres.md recommends, with fewer connections than lanes so
    // requests also queue for a connection while the server goes away.
    pool = newPool({ connectionString: cluster.url, max: 5 });
    store = postgresStore({ pool, table: 'faults', onPoolError: (e) => poolErrors.push(e) });
    await store.migrate();
    app = await startFaultApp(store, { storeTimeout: STORE_TIMEOUT });
  });

  after(async () => {
    await app.close();
    await pool.end();
    await cluster?.destroy();
  });

  it('answers 503 while stopped, never serves another or an empty session, and recovers', async (t) => {
    const users = await logIn(app.url, USERS, 'pg');
    const load = Load.forUsers(app.url, users, visitorLanes(VISITORS, PAD));
    let down = 0;
    let restarting = 0;
    let recoveredIn = 0;
    let tail = 0;
    try {
      await sleep(800);
      await cluster!.stop();
      down = performance.now();
      await sleep(2000);
      restarting = performance.now();
      await cluster!.start();
      recoveredIn = await load.recovered(performance.now(), RECOVERY_LIMIT);
      tail = performance.now();
      await sleep(800);
    } finally {
      await load.stop();
    }

    const outage = within(load.all(), down, restarting);
    t.diagnostic(`overall: ${load.summary()}`);
    t.diagnostic(`while PostgreSQL was stopped: ${load.summary(outage)}`);
    t.diagnostic(`every session served again ${recoveredIn} ms after pg_ctl start returned`);
    // Under load the cut connections are busy, so they fail their queries rather than raise the
    // pool's 'error' event (which only idle ones do); either way nothing may crash.
    t.diagnostic(`pool 'error' events: ${poolErrors.length}`);

    const counters = assertUserLanes(load, users);
    // A visitor never gets a cookie for a session that was not stored, outage or not.
    assert.ok((await assertVisitors(load.outcomes.slice(USERS).flat(), store, PAD)) > 0);
    assert.ok(outage.length >= USERS, `the outage saw load (${outage.length} requests)`);
    assertAllUnavailable(outage, FAIL_BOUND);
    assertHealthy(load, FAIL_BOUND);
    assertAllOk(load.all().filter((o) => o.start >= tail));
    // Committed before the crash means durable: same sessions, markers and counters after it.
    await assertSessionsIntact(app.url, users, counters);
    assert.ok(storeErrorCauses(app).length >= outage.length, 'each 503 was a store error');
  });
});
