import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisStore, type RedisStore } from '../../src/stores/redis.js';
import { requireService } from '../helpers/services.js';
import { ioredisOptions, PrivateRedis, redisBinaries } from '../stores/redis-helpers.js';
import { assertOutageUnderLoad, startFaultApp, type FaultApp } from './load.js';

// A private redis-server (fsync'ed append-only file) is killed with SIGKILL while sixteen
// logged-in users and four lanes of new visitors keep requesting, stays down for two seconds, and
// is started again on the same port.
const skip = await requireService(
  'redis-server binary (for a private server to kill)',
  redisBinaries,
);

const STORE_TIMEOUT = 500;
/** A failing request makes one store call: storeTimeout (1.25× at worst) plus scheduling slack. */
const FAIL_BOUND = STORE_TIMEOUT * 1.25 + 1500;

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
    await assertOutageUnderLoad(t, app, store, {
      backend: 'Redis',
      stop: () => redis.kill(),
      start: () => redis.start(),
      failBound: FAIL_BOUND,
    });
    assert.ok(clientErrors.length > 0, 'the client reported the lost connection to the store');
  });
});
