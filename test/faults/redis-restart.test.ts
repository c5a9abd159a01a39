import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { redisStore, type RedisStore } from '../../src/stores/redis.js';
import { requireService } from '../helpers/services.js';
import { ioredisOptions, PrivateRedis, redisBinaries } from '../stores/redis-helpers.js';
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

// A private redis-server (fsync'ed append-only file) is killed with SIGKILL while sixteen
// logged-in users and four lanes of new visitors keep requesting, stays down for two seconds, and
// is started again on the same port.
const skip = await requireService(
  'redis-server binary (for a private server to kill)',
  redisBinaries,
);

const STORE_TIMEOUT = 500;
const USERS = 16;
/** Cookie-less visitors whose requests each create a session: 20 requests in flight in all. */
const VISITORS = 4;
const PAD = 100;
/** A failing request makes one store call: storeTimeout (1.25× at worst) plus scheduling slack. */
const FAIL_BOUND = STORE_TIMEOUT * 1.25 + 1500;
const RECOVERY_LIMIT = 10_000;

describe('Redis killed and restarted under load', { skip }, () => {
  let redis: PrivateRedis;
  let client: Redis;
  let store: RedisStore;
  let app: FaultApp;
  const clientErrors: unknown[] = [];

  before(async () => {
    redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
    client = new Redis(redis.url, ioredisOptions);
    store = redisStore({
      client,
      prefix: 'lk-faults:',
      onClientError: (error) => clientErrors.push(error),
    });
    app = await startFaultApp(store, { storeTimeout: STORE_TIMEOUT });
  });

  after(async () => {
    await app.close();
    await store.close();
    client.disconnect();
    await redis.destroy();
  });

  it('answers 503 while down, never serves another or an empty session, and recovers', async (t) => {
    // The sessions can only survive a SIGKILL if every write was fsync'ed to the AOF.
    assert.deepEqual(await client.config('GET', 'appendonly'), ['appendonly', 'yes']);
    assert.deepEqual(await client.config('GET', 'appendfsync'), ['appendfsync', 'always']);

    const users = await logIn(app.url, USERS, 'redis');
    const load = Load.forUsers(app.url, users, visitorLanes(VISITORS, PAD));
    let down = 0;
    let restarting = 0;
    let recoveredIn = 0;
    let tail = 0;
    try {
      await sleep(800);
      await redis.kill();
      down = performance.now();
      await sleep(2000);
      restarting = performance.now();
      await redis.start();
      recoveredIn = await load.recovered(performance.now(), RECOVERY_LIMIT);
      tail = performance.now();
      await sleep(800);
    } finally {
      await load.stop();
    }

    const outage = within(load.all(), down, restarting);
    t.diagnostic(`overall: ${load.summary()}`);
    t.diagnostic(`while Redis was down: ${load.summary(outage)}`);
    t.diagnostic(`every session served again ${recoveredIn} ms after redis-server was up`);

    const counters = assertUserLanes(load, users);
    // A visitor never gets a cookie for a session that was not stored, outage or not.
    assert.ok((await assertVisitors(load.outcomes.slice(USERS).flat(), store, PAD)) > 0);
    assert.ok(outage.length >= USERS, `the outage saw load (${outage.length} requests)`);
    assertAllUnavailable(outage, FAIL_BOUND);
    assertHealthy(load, FAIL_BOUND);
    assertAllOk(load.all().filter((o) => o.start >= tail));
    // Same sessions, same markers, every counter where the last 200 left it.
    await assertSessionsIntact(app.url, users, counters);
    assert.ok(storeErrorCauses(app).length >= outage.length, 'each 503 was a store error');
    assert.ok(clientErrors.length > 0, 'the client reported the lost connection to the store');
  });
});
