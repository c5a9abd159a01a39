import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresStore, type PostgresStore } from '../../src/stores/postgres.js';
import { requireService } from '../helpers/services.js';
import { startPrivateCluster, type PrivateCluster } from '../stores/postgres-cluster.js';
import { newPool } from '../stores/postgres-env.js';
import { assertOutageUnderLoad, startFaultApp, type FaultApp } from './load.js';

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
/** A failing request makes one store call: storeTimeout (1.25× at worst) plus scheduling slack. */
const FAIL_BOUND = STORE_TIMEOUT * 1.25 + 2000;

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
    await assertOutageUnderLoad(t, app, store, {
      backend: 'PostgreSQL',
      stop: () => cluster!.stop(),
      start: () => cluster!.start(),
      failBound: FAIL_BOUND,
    });
    // Under load the cut connections are busy, so they fail their queries rather than raise the
    // pool's 'error' event (which only idle ones do); either way nothing may crash.
    t.diagnostic(`pool 'error' events: ${poolErrors.length}`);
  });
});
