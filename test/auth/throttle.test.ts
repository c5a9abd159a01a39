import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import pg from 'pg';
import { Redis } from 'ioredis';
import { Client } from '../helpers/http.js';
import { DATABASE_URL, REDIS_URL, requireService } from '../helpers/services.js';
import {
  memoryThrottleStore,
  postgresThrottleStore,
  redisThrottleStore,
  sqliteThrottleStore,
} from '../../src/auth/throttle-stores.js';
import type { ThrottleBackoff, ThrottleStore } from '../../src/auth/throttle.js';
import type { AuthEvents } from '../../src/auth/events.js';
import { addUser, post, startApp, type TestApp } from './app.js';

const PASSWORD = 'correct horse battery staple';
const login = (c: Client, login: string, password: string, headers: Record<string, string> = {}) =>
  c.request('/login', post({ login, password }, headers));

describe('login throttling over HTTP (SEC-46, SEC-53)', () => {
  let app: TestApp;
  const throttled: AuthEvents['throttled'][] = [];
  before(async () => {
    app = await startApp({
      trustProxy: true,
      auth: { throttle: { store: memoryThrottleStore(), ip: { freeAttempts: 8 } } },
    });
    app.auth.on('throttled', (e) => throttled.push(e));
    await addUser(app.users, 'pat@example.com', PASSWORD);
    await addUser(app.users, 'quinn@example.com', PASSWORD);
  });
  after(() => app.close());

  it('after 5 failures an account answers 429 with Retry-After, even to the right password', async () => {
    const client = new Client(app.url);
    for (let i = 0; i < 5; i++) {
      assert.equal((await login(client, 'pat@example.com', `wrong ${i} password`)).status, 401);
    }
    const res = await login(client, 'pat@example.com', PASSWORD);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(throttled.at(-1)?.scope, 'account');
  });

  it('is allowed again once the delay has passed, and success resets the counter', async () => {
    app.clock.now += 1000;
    const client = new Client(app.url);
    assert.equal((await login(client, 'pat@example.com', PASSWORD)).status, 200);
    // Counter reset: five more free failures before any delay.
    for (let i = 0; i < 5; i++) {
      const from = { 'x-forwarded-for': `10.10.${i}.1` }; // only the account counter matters here
      assert.equal(
        (await login(new Client(app.url), 'pat@example.com', 'nope nope nope', from)).status,
        401,
      );
    }
    assert.equal((await login(new Client(app.url), 'pat@example.com', 'nope')).status, 429);
  });

  it('doubles the delay with each failure and caps it at 15 minutes', async () => {
    const client = new Client(app.url);
    const delays: number[] = [];
    for (let i = 0; i < 14; i++) {
      const res = await login(client, 'quinn@example.com', 'wrong password!', {
        'x-forwarded-for': `10.9.${i}.1`, // many sources: only the account counter matters here
      });
      if (res.status === 429) {
        const wait = Number(res.headers.get('retry-after'));
        delays.push(wait);
        app.clock.now += wait * 1000; // wait it out, then fail again
        i--;
      }
    }
    assert.deepEqual(delays.slice(0, 5), [1, 2, 4, 8, 16]);
    // Keep failing: the delay never exceeds the cap.
    for (let i = 0; i < 8; i++) {
      const res = await login(client, 'quinn@example.com', 'wrong password!', {
        'x-forwarded-for': `10.8.${i}.1`,
      });
      assert.equal(res.status, 429);
      const wait = Number(res.headers.get('retry-after'));
      assert.ok(wait <= 900, `delay ${wait}s is capped at 15 min`);
      app.clock.now += wait * 1000;
      assert.equal(
        (
          await login(client, 'quinn@example.com', 'wrong password!', {
            'x-forwarded-for': `10.7.${i}.1`,
          })
        ).status,
        401,
      );
    }
    // The owner is never locked out for good: after the (capped) wait, the right password works.
    const res = await login(client, 'quinn@example.com', PASSWORD);
    assert.equal(res.status, 429);
    app.clock.now += Number(res.headers.get('retry-after')) * 1000;
    assert.equal((await login(client, 'quinn@example.com', PASSWORD)).status, 200);
  });

  it('attempts refused while waiting are not counted (hammering does not extend the lock)', async () => {
    await addUser(app.users, 'rae@example.com', PASSWORD);
    const c = new Client(app.url);
    for (let i = 0; i < 5; i++)
      await login(c, 'rae@example.com', 'wrong password!', { 'x-forwarded-for': `10.6.${i}.1` });
    for (let i = 0; i < 50; i++) {
      assert.equal(
        (await login(c, 'rae@example.com', 'wrong password!', { 'x-forwarded-for': `10.5.${i}.1` }))
          .status,
        429,
      );
    }
    app.clock.now += 1000;
    assert.equal((await login(c, 'rae@example.com', PASSWORD)).status, 200);
  });

  it('throttles one source spraying many accounts, and forgets after the window', async () => {
    const c = new Client(app.url);
    const from = { 'x-forwarded-for': '203.0.113.9' };
    for (let i = 0; i < 8; i++) {
      assert.equal((await login(c, `user${i}@example.com`, 'Password1!', from)).status, 401);
    }
    const res = await login(c, 'pat@example.com', PASSWORD, from);
    assert.equal(res.status, 429);
    assert.equal(throttled.at(-1)?.scope, 'ip');
    // Another address is unaffected.
    assert.equal(
      (await login(c, 'pat@example.com', PASSWORD, { 'x-forwarded-for': '198.51.100.7' })).status,
      200,
    );
    app.clock.now += 60 * 60 * 1000 + 1; // the 1 h window
    assert.equal((await login(c, 'pat@example.com', PASSWORD, from)).status, 200);
  });

  it('a burst of concurrent guesses gets only the free attempts through', async () => {
    await addUser(app.users, 'burst@example.com', PASSWORD);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        login(new Client(app.url), 'burst@example.com', `guess ${i}`, {
          'x-forwarded-for': `10.3.${i}.1`,
        }),
      ),
    );
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 401).length, 5);
    assert.equal(statuses.filter((s) => s === 429).length, 25);
  });

  it('throttles unknown and known accounts alike (no enumeration through 429s)', async () => {
    const c = new Client(app.url);
    const statuses = async (name: string) => {
      const out: number[] = [];
      for (let i = 0; i < 6; i++)
        out.push(
          (
            await login(c, name, 'wrong password!', {
              'x-forwarded-for': `10.4.${i}.${name.length}`,
            })
          ).status,
        );
      return out;
    };
    assert.deepEqual(await statuses('ghost@example.com'), await statuses('quinn@example.com'));
  });
});

const RULE: ThrottleBackoff = { freeAttempts: 3, baseDelay: 1000, maxDelay: 8000, window: 60_000 };
const T0 = 1_700_000_000_000;

/** The ThrottleStore contract, run against each backend. */
function throttleContract(
  name: string,
  make: () => { store: ThrottleStore; done: () => Promise<void> },
  skip: () => string | false,
) {
  describe(`ThrottleStore contract: ${name}`, () => {
    let store: ThrottleStore;
    let done: () => Promise<void> = () => Promise.resolve();
    let n = 0;
    const fresh = () => `k-${process.pid}-${Date.now()}-${n++}`;
    before(() => {
      if (skip() !== false) return;
      ({ store, done } = make());
    });
    after(() => done());

    it('allows the free attempts, then blocks for the backoff without counting refusals', async (t) => {
      if (skip() !== false) {
        t.skip(String(skip()));
        return;
      }
      const key = fresh();
      for (let i = 1; i <= 3; i++) {
        assert.deepEqual(await store.take(key, T0, RULE), { allowed: true, count: i, lastAt: T0 });
      }
      // Blocked for 1 s after the 3rd attempt; refusals change nothing.
      for (let i = 0; i < 5; i++) {
        assert.deepEqual(await store.take(key, T0 + 999, RULE), {
          allowed: false,
          count: 3,
          lastAt: T0,
        });
      }
      assert.deepEqual(await store.take(key, T0 + 1000, RULE), {
        allowed: true,
        count: 4,
        lastAt: T0 + 1000,
      });
      // Now 2 s, then 4 s, then capped at 8 s.
      assert.equal((await store.take(key, T0 + 2999, RULE)).allowed, false);
      assert.equal((await store.take(key, T0 + 3000, RULE)).allowed, true);
      assert.equal((await store.take(key, T0 + 6999, RULE)).allowed, false);
      assert.equal((await store.take(key, T0 + 7000, RULE)).allowed, true);
      assert.equal((await store.take(key, T0 + 14_999, RULE)).allowed, false);
      assert.equal((await store.take(key, T0 + 15_000, RULE)).allowed, true);
      assert.equal((await store.take(key, T0 + 22_999, RULE)).allowed, false);
      assert.deepEqual(await store.take(key, T0 + 23_000, RULE), {
        allowed: true,
        count: 8,
        lastAt: T0 + 23_000,
      });
    });

    it('decides concurrent attempts one at a time: a burst gets only the free attempts', async (t) => {
      if (skip() !== false) {
        t.skip(String(skip()));
        return;
      }
      const key = fresh();
      const results = await Promise.all(
        Array.from({ length: 40 }, () => store.take(key, T0, RULE)),
      );
      assert.equal(results.filter((r) => r.allowed).length, 3);
    });

    it('an expired counter restarts at 1', async (t) => {
      if (skip() !== false) {
        t.skip(String(skip()));
        return;
      }
      const key = fresh();
      for (let i = 0; i < 3; i++) await store.take(key, T0, RULE);
      assert.deepEqual(await store.take(key, T0 + 60_000, RULE), {
        allowed: true,
        count: 1,
        lastAt: T0 + 60_000,
      });
    });

    it('release gives back one attempt (never below zero); reset forgets the counter', async (t) => {
      if (skip() !== false) {
        t.skip(String(skip()));
        return;
      }
      const key = fresh();
      for (let i = 0; i < 3; i++) await store.take(key, T0, RULE);
      await store.release(key, T0);
      assert.deepEqual(await store.take(key, T0, RULE), { allowed: true, count: 3, lastAt: T0 });
      await store.reset(key);
      assert.deepEqual(await store.take(key, T0, RULE), { allowed: true, count: 1, lastAt: T0 });
      for (let i = 0; i < 4; i++) await store.release(key, T0);
      assert.deepEqual(await store.take(key, T0, RULE), { allowed: true, count: 1, lastAt: T0 });
      await store.release(`${key}-missing`, T0);
      await store.reset(`${key}-missing`);
    });
  });
}

throttleContract(
  'memory',
  () => ({ store: memoryThrottleStore(), done: () => Promise.resolve() }),
  () => false,
);

throttleContract(
  'sqlite',
  () => {
    const db = new Database(':memory:');
    return {
      store: sqliteThrottleStore(db, { table: 'throttle_test' }),
      done: () => {
        db.close();
        return Promise.resolve();
      },
    };
  },
  () => false,
);

let redisSkip: string | false = 'not probed';
let pgSkip: string | false = 'not probed';
before(async () => {
  redisSkip = await requireService('Redis', async () => {
    const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await r.connect();
      await r.ping();
    } finally {
      r.disconnect();
    }
  });
  pgSkip = await requireService('PostgreSQL', async () => {
    const c = new pg.Client({ connectionString: DATABASE_URL });
    await c.connect();
    await c.end();
  });
});

throttleContract(
  'redis',
  () => {
    const client = new Redis(REDIS_URL);
    return {
      store: redisThrottleStore(client, { prefix: `latchkey-test:auth-throttle:${process.pid}:` }),
      done: () => {
        client.disconnect();
        return Promise.resolve();
      },
    };
  },
  () => redisSkip,
);

throttleContract(
  'postgres',
  () => {
    const pool = new pg.Pool({ connectionString: DATABASE_URL });
    const table = `auth_throttle_test_${process.pid}`;
    return {
      store: postgresThrottleStore(pool, { table }),
      done: async () => {
        await pool.query(`DROP TABLE IF EXISTS ${table}`);
        await pool.end();
      },
    };
  },
  () => pgSkip,
);
