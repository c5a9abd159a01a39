import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createCookieSessions, type CookieSessions } from '../../src/cookie-sessions/index.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { Store } from '../../src/core/store.js';
import { memoryStore } from '../../src/stores/memory.js';
import { redisStore } from '../../src/stores/redis.js';
import { Client, listen, type TestServer } from '../helpers/http.js';
import { REDIS_URL, requireService } from '../helpers/services.js';
import { app, COOKIE, fakeClock, KEY_A, type FakeClock } from './fixtures.js';

const PREFIX = `latchkey-test:cookie-sessions:${randomBytes(4).toString('hex')}:`;

async function whoami(client: Client): Promise<unknown> {
  const response = await client.request('/whoami');
  assert.equal(response.status, 200);
  return response.json();
}

function post(client: Client, path: string, value?: unknown): Promise<Response> {
  return client.request(path, {
    method: 'POST',
    ...(value === undefined ? {} : { body: JSON.stringify(value) }),
  });
}

describe('without revocation (the documented limit)', () => {
  it('a cookie copied before logout still works until it expires', async () => {
    const sessions = createCookieSessions({ keys: KEY_A });
    const server = await listen(app(sessions));
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    const copy = client.clone();
    await post(client, '/logout');
    assert.equal(await whoami(client), null);
    assert.equal(await whoami(copy), 'alice', 'stateless: nothing on the server can recall it');
    await server.close();
  });

  it('revokeUser and revoke refuse to pretend: ConfigurationError', async () => {
    const sessions = createCookieSessions({ keys: KEY_A });
    assert.equal(sessions.revocable, false);
    await assert.rejects(sessions.revokeUser('alice'), ConfigurationError);
    await assert.rejects(sessions.revoke('alice', '0123456789abcdef'), ConfigurationError);
  });
});

function revocationSuite(
  name: string,
  options: { skip: string | false; store: () => Store; clock: () => FakeClock },
) {
  describe(`with revocation (${name})`, { skip: options.skip }, () => {
    let clock: FakeClock;
    let sessions: CookieSessions;
    let server: TestServer;
    const reasons: string[] = [];
    let reads = 0;

    before(async () => {
      clock = options.clock();
      const inner = options.store();
      const store: Store = {
        ...inner,
        get: (id, now) => {
          reads++;
          return inner.get(id, now);
        },
      };
      sessions = createCookieSessions({ keys: KEY_A, now: clock, revocation: { store } });
      sessions.on('rejected-token', (event) => reasons.push(event.reason));
      server = await listen(app(sessions));
    });
    after(() => server.close());

    it('logout ends a copied cookie (SEC-28)', async () => {
      const client = new Client(server.url);
      await post(client, '/login?user=alice');
      const copy = client.clone();
      assert.equal(await whoami(copy), 'alice');
      await post(client, '/logout');
      assert.equal(await whoami(copy), null);
      assert.ok(reasons.includes('revoked'));
    });

    it('log out everywhere ends every device; a login right after (same millisecond) works (SEC-55)', async () => {
      const laptop = new Client(server.url);
      const phone = new Client(server.url);
      await post(laptop, '/login?user=bob');
      await post(phone, '/login?user=bob');
      const stolen = phone.clone();
      await sessions.revokeUser('bob');
      assert.equal(await whoami(laptop), null);
      assert.equal(await whoami(phone), null);
      assert.equal(await whoami(stolen), null);
      await post(laptop, '/login?user=bob'); // the fake clock has not moved
      assert.equal(await whoami(laptop), 'bob');
      // ... and a second revocation, still in the same millisecond, ends that login too.
      await sessions.revokeUser('bob');
      assert.equal(await whoami(laptop), null);
      await post(laptop, '/login?user=bob');
      clock.advance(1000);
      assert.equal(await whoami(laptop), 'bob');
    });

    it('revokeUser with except keeps the current device (password change)', async () => {
      const current = new Client(server.url);
      const other = new Client(server.url);
      await post(current, '/login?user=carol');
      await post(other, '/login?user=carol');
      const info = (await (await current.request('/info')).json()) as { publicId: string };
      await sessions.revokeUser('carol', { except: info.publicId });
      assert.equal(await whoami(current), 'carol');
      assert.equal(await whoami(other), null);
      // The survivor may rotate its id (privilege change) and stay signed in.
      const session = sessions.fromRequest({ cookie: current.cookieHeader() });
      const { publicId } = await session.info();
      assert.ok(publicId !== null);
      await sessions.revokeUser('carol', { except: publicId });
      await session.regenerate();
      const { setCookie } = await sessions.commit(session);
      const rotated = sessions.fromRequest({ cookie: setCookie?.split(';')[0] });
      assert.equal(await rotated.userId(), 'carol');
      current.cookies.set(COOKIE, setCookie?.split(';')[0]?.slice(COOKIE.length + 1) ?? '');
      // A later revocation without except ends the survivor too.
      await sessions.revokeUser('carol');
      assert.equal(await whoami(current), null);
    });

    it('revoke(userId, publicId) ends that session only, and only for its own user', async () => {
      const a = new Client(server.url);
      const b = new Client(server.url);
      await post(a, '/login?user=dave');
      await post(b, '/login?user=dave');
      const info = (await (await a.request('/info')).json()) as { publicId: string };
      assert.equal(await sessions.revoke('mallory', info.publicId), true);
      assert.equal(await whoami(a), 'dave', "another user's id scope cannot touch it");
      await sessions.revoke('dave', info.publicId);
      assert.equal(await whoami(a), null);
      assert.equal(await whoami(b), 'dave');
    });

    it('regenerate and re-login kill the previous cookie value (SEC-19/20)', async () => {
      const client = new Client(server.url);
      await post(client, '/login?user=erin');
      const beforeRegenerate = client.clone();
      await post(client, '/regenerate');
      assert.equal(await whoami(client), 'erin');
      assert.equal(await whoami(beforeRegenerate), null);
      const beforeRelogin = client.clone();
      await post(client, '/login?user=erin');
      assert.equal(await whoami(client), 'erin');
      assert.equal(await whoami(beforeRelogin), null);
    });

    it('a request in flight during logout cannot bring the session back', async () => {
      const client = new Client(server.url);
      await post(client, '/login?user=frank');
      const cookie = `${COOKIE}=${client.cookies.get(COOKIE) ?? ''}`;
      // Request A loads the session, then logout happens, then A writes and re-seals.
      const inFlight = sessions.fromRequest({ cookie });
      assert.equal(await inFlight.userId(), 'frank');
      await post(client.clone(), '/logout');
      await inFlight.set('late', 1);
      const { setCookie } = await sessions.commit(inFlight);
      assert.ok(setCookie !== null);
      const replay = sessions.fromRequest({ cookie: setCookie.split(';')[0] });
      assert.equal(await replay.userId(), null, 'the re-sealed cookie carries the revoked id');
    });

    it('anonymous sessions cost no store reads', async () => {
      const client = new Client(server.url);
      await post(client, '/set?k=cart', [1]);
      const start = reads;
      const session = sessions.fromRequest({ cookie: client.cookieHeader() });
      assert.deepEqual(await session.get('cart'), [1]);
      assert.equal(reads, start);
      await post(client, '/login?user=gina');
      const bound = sessions.fromRequest({ cookie: client.cookieHeader() });
      const loginReads = reads;
      assert.equal(await bound.userId(), 'gina');
      assert.equal(reads, loginReads + 2, 'a logged-in session: stamp and session record');
    });

    it('setTimeouts cannot outlive the revocation records', async () => {
      const session = sessions.fromRequest({ cookie: undefined });
      await assert.rejects(session.setTimeouts({ absolute: 31 * 24 * 3600_000 }), RangeError);
    });
  });
}

revocationSuite('memory store', {
  skip: false,
  store: () => memoryStore(),
  clock: () => fakeClock(),
});

const redisSkip = await requireService('Redis', async () => {
  const probe = new Redis(REDIS_URL, {
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 1,
  });
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
});
let redis: Redis | undefined;
revocationSuite('redis store', {
  skip: redisSkip,
  // Redis expires records by the wall clock (PXAT): the fake clock starts at the real time.
  clock: () => fakeClock(Date.now()),
  store: () => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1, commandTimeout: 1000 });
    return redisStore({ client: redis, prefix: PREFIX });
  },
});
after(async () => {
  if (redis === undefined) return;
  const keys = await redis.keys(`${PREFIX}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('revocation store failures fail closed', () => {
  const failing: Store = {
    ...memoryStore(),
    get: () => Promise.reject(new Error('connection refused')),
  };

  it('a logged-in request answers 503, never anonymous or logged in; anonymous ones still work', async () => {
    const healthy = memoryStore();
    const issuing = createCookieSessions({ keys: KEY_A, revocation: { store: healthy } });
    const server = await listen(app(issuing));
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    await server.close();

    const errors: unknown[] = [];
    const broken = createCookieSessions({ keys: KEY_A, revocation: { store: failing } });
    broken.on('store-error', (event) => errors.push(event.error));
    const brokenServer = await listen(app(broken));
    const same = new Client(brokenServer.url);
    for (const [k, v] of client.cookies) same.cookies.set(k, v);
    const response = await same.request('/whoami');
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(errors.length, 2, 'both reads failed and were reported');
    const anonymous = new Client(brokenServer.url);
    assert.equal((await post(anonymous, '/set?k=a', 1)).status, 200);
    assert.equal((await anonymous.request('/get?k=a')).status, 200);
    await brokenServer.close();
  });

  it('a store that never answers times out into a 503', async () => {
    const hanging: Store = { ...memoryStore(), get: () => new Promise(() => {}) };
    const sessions = createCookieSessions({
      keys: KEY_A,
      revocation: { store: hanging, storeTimeout: 50 },
    });
    const session = sessions.fromRequest({ cookie: undefined });
    await session.bindUser('alice').then(
      () => assert.fail('login must not succeed without the stamp read'),
      (error: unknown) => {
        assert.equal((error as { status?: number }).status, 503);
      },
    );
  });
});
