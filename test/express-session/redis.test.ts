/**
 * With Redis: connect-redis (an express-session store) works unchanged, cookies cross over between
 * express-session and ours on one connect-redis store, and the Latchkey Redis store adds what
 * connect-redis cannot give (no lost updates, destroy that sticks).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient } from 'redis';
import { redisStore } from '../../src/stores/redis.js';
import { Client } from '../helpers/http.js';
import { REDIS_URL, requireService } from '../helpers/services.js';
import {
  Barrier,
  express5,
  Gate,
  ours,
  raceApp,
  readmeApp,
  real,
  RedisStore,
  SECRET,
  serve,
  trace,
  type SessionFactory,
} from './fixtures.js';

const PREFIX = `latchkey-test:express-session:${String(process.pid)}:`;
const client = createClient({ url: REDIS_URL, disableOfflineQueue: true });

const skip = await requireService('Redis', async () => {
  const probe = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false } });
  probe.on('error', () => undefined);
  await probe.connect();
  probe.destroy();
});

let n = 0;
/** A fresh key prefix per use, so runs never see each other's sessions. */
const prefix = (): string => `${PREFIX}${String(++n)}:`;
const connectRedis = (): object => new RedisStore({ client, prefix: prefix() });
const latchkeyRedis = (): object => redisStore({ client, prefix: prefix() });

describe('express-session over Redis', { skip }, () => {
  before(async () => {
    await client.connect();
  });
  after(async () => {
    for await (const keys of client.scanIterator({ MATCH: `${PREFIX}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
    client.destroy();
  });

  for (const [name, options] of [
    ['resave: false, saveUninitialized: false', { resave: false, saveUninitialized: false }],
    ['defaults, maxAge', { cookie: { maxAge: 60_000 } }],
    ['rolling', { rolling: true, resave: false, cookie: { maxAge: 60_000 } }],
  ] as const) {
    it(`the express-session app runs unchanged on connect-redis and on the Latchkey store: ${name}`, async () => {
      const expected = await trace(
        express5,
        real,
        { secret: SECRET, ...options, store: connectRedis() },
        false,
      );
      const viaConnectRedis = await trace(
        express5,
        ours,
        { secret: SECRET, ...options, store: connectRedis() },
        false,
      );
      const viaLatchkey = await trace(
        express5,
        ours,
        { secret: SECRET, ...options, store: latchkeyRedis() },
        false,
      );
      assert.deepEqual(viaConnectRedis, expected);
      // What touch() keeps differs between express-session stores (connect-redis keeps only the
      // TTL, MemoryStore the cookie too); a Latchkey store keeps the cookie, like MemoryStore.
      const asMemoryStore = await trace(express5, real, { secret: SECRET, ...options }, false);
      assert.deepEqual(viaLatchkey, asMemoryStore);
    });
  }

  it('a session issued by express-session on connect-redis survives the switch (and the switch back)', async () => {
    const store = connectRedis();
    const options = {
      secret: SECRET,
      store,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 60_000 },
    };
    const before = await serve(readmeApp(express5, real, options));
    const after = await serve(readmeApp(express5, ours, options));
    try {
      const browser = new Client(before.url);
      await browser.request('/views');
      const moved = new Client(after.url);
      for (const [k, v] of browser.cookies) moved.cookies.set(k, v);
      const body = (await (await moved.request('/views')).json()) as { views: number };
      assert.equal(body.views, 2);
      for (const [k, v] of moved.cookies) browser.cookies.set(k, v);
      const back = (await (await browser.request('/peek')).json()) as {
        views: number;
        originalMaxAge: number;
      };
      assert.equal(back.views, 2);
      assert.equal(back.originalMaxAge, 60);
    } finally {
      await before.close();
      await after.close();
    }
  });

  async function concurrentWrites(factory: SessionFactory, store: object): Promise<string[]> {
    const barrier = new Barrier();
    const server = await serve(raceApp(factory, { store }, barrier, new Gate()));
    try {
      const browser = new Client(server.url);
      await browser.request('/write?key=first');
      const keys = ['a', 'b', 'c', 'd'];
      const released = barrier.arm(keys.length);
      await Promise.all(keys.map((key) => browser.request(`/write?key=${key}`)));
      await released;
      return (await (await browser.request('/all')).json()) as string[];
    } finally {
      await server.close();
    }
  }

  it('concurrent writes of different properties: none lost with the Latchkey store, lost with connect-redis', async () => {
    assert.deepEqual(await concurrentWrites(ours, latchkeyRedis()), ['a', 'b', 'c', 'd', 'first']);
    assert.equal((await concurrentWrites(ours, connectRedis())).length, 2);
    assert.equal((await concurrentWrites(real, connectRedis())).length, 2);
  });

  it('destroy() during a request in flight sticks with the Latchkey store, not with connect-redis', async () => {
    for (const [store, expected] of [
      [latchkeyRedis(), []],
      [connectRedis(), ['first', 'late']],
    ] as const) {
      const gate = new Gate();
      const server = await serve(raceApp(ours, { store }, new Barrier(), gate));
      try {
        const browser = new Client(server.url);
        await browser.request('/write?key=first');
        const held = gate.arm();
        const slow = browser.request('/slow');
        await held;
        await browser.request('/destroy', { method: 'POST' });
        gate.open();
        await slow;
        assert.deepEqual(await (await browser.request('/all')).json(), expected);
      } finally {
        await server.close();
      }
    }
  });
});
