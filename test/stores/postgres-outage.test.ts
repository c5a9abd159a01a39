import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresStore } from '../../src/stores/postgres.js';
import { Client } from '../helpers/http.js';
import { startApp, type TestApp } from '../helpers/node-app.js';
import { DATABASE_URL, requireService } from '../helpers/services.js';
import { startPrivateCluster, type PrivateCluster } from './postgres-cluster.js';
import { dropTables, newPool, sharedDatabase, uniqueTable } from './postgres-env.js';
import { startSilentProxy, type SilentProxy } from './postgres-proxy.js';

/**
 * PostgreSQL stopped mid-test: a private cluster on a free port, stopped with `pg_ctl stop -m
 * immediate` (as abrupt as a crash) and started again, under a running app.
 */

const shared = await sharedDatabase();
let cluster: PrivateCluster | undefined;
const skip = await requireService('PostgreSQL server binaries (initdb, pg_ctl)', async () => {
  cluster = await startPrivateCluster();
});

const STORE_TIMEOUT = 500;
// Generous for a loaded CI machine, and still proves the request neither hangs nor waits on
// TCP or pool defaults (which are unbounded in node-postgres).
const BOUND = STORE_TIMEOUT + 2500;

describe('postgres store: database outage', { skip }, () => {
  let pool: ReturnType<typeof newPool>;
  let app: TestApp;
  let fresh: TestApp;
  const poolErrors: Error[] = [];

  before(async () => {
    assert.ok(cluster);
    pool = newPool({
      connectionString: cluster.url,
      max: 4,
      connectionTimeoutMillis: 1000,
      query_timeout: 1000,
    });
    const store = postgresStore({ pool, table: 'outage', onPoolError: (e) => poolErrors.push(e) });
    await store.migrate();
    app = await startApp({ store, storeTimeout: STORE_TIMEOUT, now: Date.now });
    // A second app whose store has never reached the database: its lazy migration meets the outage.
    const untouched = postgresStore({ pool, table: 'outage_fresh', onPoolError: false });
    fresh = await startApp({ store: untouched, storeTimeout: STORE_TIMEOUT, now: Date.now });
  });

  after(async () => {
    await app.close();
    await fresh.close();
    await pool.end();
    await cluster?.destroy();
  });

  it('answers 503 within a bound while stopped, stays up, and recovers by itself', async (t) => {
    const user = new Client(app.url);
    assert.equal((await user.request('/set?key=cart&value=%5B%22book%22%5D')).status, 200);
    assert.deepEqual(await (await user.request('/get?key=cart')).json(), ['book']);

    await cluster!.stop();

    const timings: number[] = [];
    for (const [client, path] of [
      [user, '/get?key=cart'],
      [user, '/set?key=cart&value=1'],
      [new Client(app.url), '/set?key=new&value=1'],
      [new Client(fresh.url), '/set?key=new&value=1'],
    ] as const) {
      const started = performance.now();
      const response = await client.request(path);
      const elapsed = performance.now() - started;
      timings.push(Math.round(elapsed));
      assert.equal(response.status, 503, path);
      assert.equal(response.headers.get('retry-after'), '1');
      assert.equal(response.headers.get('set-cookie'), null, 'no session handed out meanwhile');
      assert.ok(elapsed < BOUND, `${path} took ${elapsed} ms`);
    }
    t.diagnostic(`503 latencies with PostgreSQL stopped (ms): ${timings.join(', ')}`);

    // The process is up: routes that do not touch the session keep working.
    assert.equal(await (await new Client(app.url).request('/static')).text(), 'static');
    // The idle connections the server dropped were reported, not thrown (which would crash).
    assert.ok(poolErrors.length > 0, 'the pool reported the dropped idle connections');

    await cluster!.start();

    const response = await user.request('/get?key=cart');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), ['book'], 'the session survived the outage');
    assert.equal((await user.request('/set?key=cart&value=%5B%22pen%22%5D')).status, 200);
    assert.deepEqual(await (await user.request('/get?key=cart')).json(), ['pen']);
    // The store that never migrated migrates on its first request after the outage.
    const late = new Client(fresh.url);
    assert.equal((await late.request('/set?key=a&value=1')).status, 200);
    assert.equal(await (await late.request('/get?key=a')).json(), 1);
  });
});

describe('postgres store: database that stops answering', { skip: shared.skip }, () => {
  const table = uniqueTable('silent');
  let proxy: SilentProxy;
  let pool: ReturnType<typeof newPool>;
  let app: TestApp;

  before(async () => {
    const url = new URL(DATABASE_URL);
    proxy = await startSilentProxy(Number(url.port || 5432));
    url.host = `127.0.0.1:${proxy.port}`;
    // The recommended settings: without query_timeout, the connections stuck in the partition
    // would hold every pool slot forever and the app would stay down after the network heals.
    pool = newPool({
      connectionString: url.href,
      max: 3,
      connectionTimeoutMillis: 1000,
      query_timeout: 1000,
    });
    const store = postgresStore({ pool, table, onPoolError: () => undefined });
    app = await startApp({ store, storeTimeout: STORE_TIMEOUT, now: Date.now });
  });

  after(async () => {
    await app.close();
    await proxy.close(); // first: resets connections still stuck in the partition
    await pool.end();
    await dropTables(shared.pool, [table]);
    await shared.pool.end();
  });

  it('answers 503 after storeTimeout, and serves again once the network heals', async (t) => {
    const user = new Client(app.url);
    assert.equal((await user.request('/set?key=cart&value=%5B%22book%22%5D')).status, 200);
    // Fill the pool with open connections, so every slot is one the partition will swallow.
    await Promise.all([1, 2, 3].map(() => pool.query('SELECT pg_sleep(0.05)')));

    proxy.silence();

    const timings = await Promise.all(
      Array.from({ length: 5 }, async (_, i) => {
        const client = i === 0 ? user : new Client(app.url);
        const started = performance.now();
        const response = await client.request(i === 0 ? '/get?key=cart' : '/set?key=x&value=1');
        const elapsed = performance.now() - started;
        assert.equal(response.status, 503);
        assert.ok(elapsed < BOUND, `took ${elapsed} ms`);
        return Math.round(elapsed);
      }),
    );
    t.diagnostic(`503 latencies with PostgreSQL silent (ms): ${timings.join(', ')}`);
    assert.equal(await (await new Client(app.url).request('/static')).text(), 'static');

    proxy.heal();

    // Recovery needs no restart: the pool's query_timeout discards the stuck connections.
    let response = await user.request('/get?key=cart');
    for (let attempt = 0; response.status === 503 && attempt < 30; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      response = await user.request('/get?key=cart');
    }
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), ['book']);
  });
});
