import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore, type RedisStore } from '../../src/stores/redis.js';
import type { RedisClientLike } from '../../src/stores/redis-client.js';
import { Client } from '../helpers/http.js';
import { requireService } from '../helpers/services.js';
import { startRedisApp, type RedisTestApp } from './redis-app.js';
import { ioredisOptions, nodeRedisOptions, PrivateRedis, redisBinaries } from './redis-helpers.js';

// A private redis-server on a free port is killed (SIGKILL, like a crash) in the middle of the
// test and started again on the same port. It runs with an fsync'ed append-only file, so the
// sessions written before the crash are there again afterwards.
const skip = await requireService(
  'redis-server binary (for a private server to kill)',
  redisBinaries,
);

const STORE_TIMEOUT = 500;
/** Generous allowance over storeTimeout for scheduling on a busy machine. */
const SLACK = 1500;

interface ClientKind {
  readonly name: string;
  /** True: rely on the store's default client-error listener (one warning per outage). */
  readonly defaultErrorListener: boolean;
  connect(url: string): Promise<{ client: RedisClientLike; close: () => void }>;
}

// The clients get no 'error' listener of their own: the store's keeps the process up.
const kinds: ClientKind[] = [
  {
    // Commands wait in the offline queue while reconnecting; storeTimeout bounds the wait.
    name: 'ioredis, offline queue on',
    defaultErrorListener: false,
    connect(url) {
      const client = new Redis(url, ioredisOptions);
      return Promise.resolve({
        client,
        close: () => {
          client.disconnect();
        },
      });
    },
  },
  {
    // Commands fail at once while disconnected; wait for 'ready' before serving.
    name: 'ioredis, enableOfflineQueue: false',
    defaultErrorListener: false,
    async connect(url) {
      const client = new Redis(url, { ...ioredisOptions, enableOfflineQueue: false });
      await once(client, 'ready');
      return {
        client,
        close: () => {
          client.disconnect();
        },
      };
    },
  },
  {
    // Without any 'error' listener, node-redis would crash the process when Redis goes away.
    name: 'node-redis, disableOfflineQueue',
    defaultErrorListener: true,
    async connect(url) {
      const client = createClient({ url, ...nodeRedisOptions });
      await client.connect();
      return {
        client,
        close: () => {
          client.destroy();
        },
      };
    },
  },
];

async function timed(run: () => Promise<Response>): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  const response = await run();
  await response.arrayBuffer();
  return { status: response.status, ms: Math.round(performance.now() - start) };
}

async function eventually(what: string, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < 15_000) {
    if (await check()) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within 15 s`);
}

for (const kind of kinds) {
  describe(`redis outage (${kind.name})`, { skip }, () => {
    let redis: PrivateRedis;
    let app: RedisTestApp;
    let store: RedisStore;
    let close: () => void;
    const clientErrors: unknown[] = []; // kept out of the output; the outage is what is tested
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => {
      if (warning.code === 'LATCHKEY_STORE_CLIENT_ERROR') warnings.push(warning.message);
    };

    before(async () => {
      process.on('warning', onWarning);
      redis = await PrivateRedis.start(['--appendonly', 'yes', '--appendfsync', 'always']);
      const connected = await kind.connect(redis.url);
      close = connected.close;
      store = redisStore({
        client: connected.client,
        ...(kind.defaultErrorListener ? {} : { onClientError: (e) => clientErrors.push(e) }),
      });
      app = await startRedisApp(store, { storeTimeout: `${STORE_TIMEOUT}ms` });
    });
    after(async () => {
      process.off('warning', onWarning);
      await app.close();
      await store.close();
      close();
      await redis.destroy();
    });

    it('answers 503 within the store timeout while Redis is down, then recovers by itself', async (t) => {
      const user = new Client(app.url);
      assert.equal(await (await user.request('/inc')).json(), 1);
      assert.equal(await (await user.request('/inc')).json(), 2);

      await redis.kill();

      const newcomer = new Client(app.url);
      const failures = [
        await timed(() => user.request('/peek')),
        await timed(() => user.request('/inc')),
        await timed(() => newcomer.request('/inc')),
        await timed(() => user.request('/peek')),
      ];
      t.diagnostic(`while down: ${failures.map((f) => `${f.status} in ${f.ms} ms`).join(', ')}`);
      for (const failure of failures) {
        assert.equal(failure.status, 503);
        assert.ok(failure.ms < STORE_TIMEOUT + SLACK, `503 took ${failure.ms} ms`);
      }
      // The process is up and serves what does not need the store.
      assert.equal((await user.request('/health')).status, 200);
      assert.equal(newcomer.cookies.size, 0, 'no session handed out while the store is down');

      await redis.start();

      const recoveredIn = await eventually('recovery', async () => {
        const response = await user.request('/peek');
        await response.arrayBuffer();
        return response.status === 200;
      });
      t.diagnostic(`service resumed ${recoveredIn} ms after redis-server accepted connections`);
      // Same session, same data: the fsync'ed AOF kept it, and no write was half-applied.
      assert.equal(await (await user.request('/peek')).json(), 2);
      assert.equal(await (await user.request('/inc')).json(), 3);
      assert.equal(await (await newcomer.request('/inc')).json(), 1);
      assert.equal(newcomer.cookies.size, 1);
      if (kind.defaultErrorListener) assert.equal(warnings.length, 1, 'one warning per outage');
    });
  });
}
