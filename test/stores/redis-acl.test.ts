import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisStore } from '../../src/stores/redis.js';
import { sampleRecord } from '../../src/testing/conformance.js';
import { requireService } from '../helpers/services.js';
import { ioredisOptions, PrivateRedis, redisBinaries } from './redis-helpers.js';

// The least-privilege ACL docs/stores/redis.md recommends must be enough for every operation, and
// must keep the app's session user away from other keys. Needs a private server to change ACLs.
const skip = await requireService('redis-server binary (for a private server)', redisBinaries);

/** Keep in sync with docs/stores/redis.md. */
const ACL_RULES = [
  'on',
  '>app-secret',
  '~latchkey:*',
  '-@all',
  '+evalsha',
  '+eval',
  '+type',
  '+hget',
  '+hmget',
  '+hgetall',
  '+hkeys',
  '+hset',
  '+hdel',
  '+del',
  '+pexpireat',
  '+zadd',
  '+zscore',
  '+zrange',
  '+zrem',
  '+zremrangebyscore',
  // Not used by the store, but clients call them: ioredis' ready check, health checks.
  '+info',
  '+ping',
];

describe('redis store under a least-privilege ACL', { skip }, () => {
  let redis: PrivateRedis;
  let admin: Redis;
  let app: Redis;

  before(async () => {
    redis = await PrivateRedis.start();
    admin = new Redis(redis.port, '127.0.0.1', ioredisOptions);
    await admin.call('ACL', 'SETUSER', 'sessions', ...ACL_RULES);
    app = new Redis(redis.port, '127.0.0.1', {
      ...ioredisOptions,
      username: 'sessions',
      password: 'app-secret',
    });
  });
  after(async () => {
    app.disconnect();
    admin.disconnect();
    await redis.destroy();
  });

  it('runs every store operation, and nothing outside its prefix', async () => {
    const store = redisStore({ client: app });
    const now = Date.now();
    const a = sampleRecord({ userId: 'acl-user' });
    const b = sampleRecord({ userId: 'acl-user' });
    assert.equal(await store.create(a, now), true);
    assert.equal(await store.create(b, now), true);
    assert.equal(
      await store.update(a.id, { set: { x: '1' }, lastSeenAt: now, expiresAt: now + 1000 }, now),
      true,
    );
    assert.equal((await store.get(a.id, now))?.data.x, '1');
    assert.equal((await store.listByUser('acl-user', now)).length, 2);
    await store.delete(b.id);
    assert.equal(await store.deleteByUser('acl-user'), 1);
    await admin.set('other-app:secret', 'x');
    await assert.rejects(app.get('other-app:secret'), /NOPERM/);
    await assert.rejects(
      async () => redisStore({ client: app, prefix: 'other-app:' }).get(a.id, now),
      /NOPERM/,
    );
  });
});
