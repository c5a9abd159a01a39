import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore, type InvalidRecordEvent } from '../../src/stores/redis.js';
import { sampleRecord, storeConformance } from '../../src/testing/conformance.js';
import { hashToken, publicIdOf } from '../../src/core/token.js';
import { Client } from '../helpers/http.js';
import { startRedisApp } from './redis-app.js';
import { REDIS_URL, requireService } from '../helpers/services.js';
import {
  deleteByPrefix,
  ioredisOptions,
  redisReachable,
  redisStoreFixtures,
} from './redis-helpers.js';

const PREFIX = `latchkey-test:${randomBytes(4).toString('hex')}:`;
const MINUTE = 60_000;

const skip = await requireService('Redis', redisReachable);

for (const fixture of redisStoreFixtures(PREFIX)) {
  storeConformance(`redis (${fixture.client})`, { skip, ...fixture });
}

describe('redis store', { skip }, () => {
  let client: Redis;
  const invalid: InvalidRecordEvent[] = [];
  let store: ReturnType<typeof redisStore>;
  const key = (id: string): string => `${PREFIX}s:${id}`;

  before(() => {
    client = new Redis(REDIS_URL, ioredisOptions);
    store = redisStore({ client, prefix: PREFIX, onInvalidRecord: (e) => invalid.push(e) });
  });
  after(async () => {
    await deleteByPrefix(client, PREFIX);
    client.disconnect();
  });

  it('keeps one hash per session with a native expiry at expiresAt', async () => {
    const record = sampleRecord({ userId: 'layout-user', data: { cart: '["apple"]' } });
    await store.create(record, Date.now());
    assert.equal(await client.type(key(record.id)), 'hash');
    assert.equal(await client.hget(key(record.id), 'd:cart'), '["apple"]');
    assert.equal(await client.pexpiretime(key(record.id)), record.expiresAt);
    // The user index outlives the session's absolute deadline, never the other way round.
    const indexKey = `${PREFIX}u:layout-user`;
    assert.equal(Number(await client.zscore(indexKey, record.id)), record.absoluteExpiresAt);
    assert.equal(await client.pexpiretime(indexKey), record.absoluteExpiresAt);
  });

  it('moves the native expiry with every update', async () => {
    const record = sampleRecord();
    await store.create(record, Date.now());
    const now = Date.now();
    await store.update(record.id, { lastSeenAt: now, expiresAt: now + 5 * MINUTE }, now);
    assert.equal(await client.pexpiretime(key(record.id)), now + 5 * MINUTE);
  });

  it('extends the index entry before a patch moves expiry past it', async () => {
    const record = sampleRecord({ userId: 'longer-user' });
    await store.create(record, Date.now());
    const now = Date.now();
    const absolute = record.absoluteExpiresAt + 24 * 60 * MINUTE;
    const ok = await store.update(
      record.id,
      { lastSeenAt: now, expiresAt: absolute, absoluteExpiresAt: absolute, idleTimeout: absolute },
      now,
    );
    assert.equal(ok, true);
    assert.equal(Number(await client.zscore(`${PREFIX}u:longer-user`, record.id)), absolute);
    // Still listed after its first absolute deadline, when it is live only thanks to the patch.
    const later = record.absoluteExpiresAt + MINUTE;
    assert.deepEqual(
      (await store.listByUser('longer-user', later)).map((r) => r.id),
      [record.id],
    );
  });

  it('stores fractional timestamps exactly (PEXPIREAT gets whole milliseconds)', async () => {
    const now = Date.now() + 0.25;
    const record = sampleRecord({
      userId: 'fraction-user',
      lastSeenAt: now,
      expiresAt: now + MINUTE + 0.5,
      absoluteExpiresAt: now + 2 * MINUTE + 0.5,
    });
    assert.equal(await store.create(record, now), true);
    assert.deepEqual(await store.get(record.id, now), record);
    const patch = {
      lastSeenAt: now + 0.5,
      expiresAt: now + 3 * MINUTE + 0.5,
      absoluteExpiresAt: now + 3 * MINUTE + 0.5,
    };
    assert.equal(await store.update(record.id, patch, now), true);
    assert.equal((await store.get(record.id, now))?.expiresAt, patch.expiresAt);
    assert.equal((await store.listByUser('fraction-user', now)).length, 1);
  });

  it('keeps data keys apart from session fields: a key named "u" or "e" changes no user or expiry', async () => {
    const record = sampleRecord({ userId: 'field-user' });
    await store.create(record, Date.now());
    const now = Date.now();
    const hostile = { u: '"admin"', e: '99999999999999', v: '"2"', x: '0', m: '{}' };
    await store.update(record.id, { set: hostile, lastSeenAt: now, expiresAt: now + MINUTE }, now);
    const seen = await store.get(record.id, now);
    assert.equal(seen?.userId, 'field-user');
    assert.equal(seen?.expiresAt, now + MINUTE);
    assert.deepEqual(seen?.meta, record.meta);
    assert.deepEqual(seen?.data, { ...record.data, ...hostile });
    assert.equal(await store.get(record.id, now + MINUTE), null);
  });

  it('never writes the token to Redis, only its hash (SEC-07)', async () => {
    const appPrefix = `${PREFIX}sec07:`;
    const app = await startRedisApp(redisStore({ client, prefix: appPrefix }));
    try {
      const browser = new Client(app.url);
      await browser.request('/inc');
      await browser.request('/login?user=sec07-user', { method: 'POST' });
      const token = [...browser.cookies.values()][0]!;
      const keys = await client.keys(`${appPrefix}*`);
      assert.ok(keys.includes(`${appPrefix}s:${hashToken(token)}`));
      const dump: string[] = [...keys];
      for (const k of keys) {
        if ((await client.type(k)) === 'hash') dump.push(...Object.values(await client.hgetall(k)));
        else dump.push(...(await client.zrange(k, '0', '-1')));
      }
      assert.ok(!dump.some((text) => text.includes(token)), 'token found in Redis');
    } finally {
      await app.close();
    }
  });

  it('removes a deleted session from its user index', async () => {
    const record = sampleRecord({ userId: 'unindex-user' });
    await store.create(record, Date.now());
    assert.deepEqual(await store.delete(record.id), record);
    assert.equal(await client.zscore(`${PREFIX}u:unindex-user`, record.id), null);
    // An unreadable record (another schema version) is unindexed by its user field all the same.
    const old = sampleRecord({ userId: 'unindex-user' });
    await store.create(old, Date.now());
    await client.hset(key(old.id), 'v', '0');
    assert.equal(await store.delete(old.id), null);
    assert.equal(await client.exists(key(old.id)), 0);
    assert.equal(await client.zscore(`${PREFIX}u:unindex-user`, old.id), null);
  });

  it('never lists or deletes a session another user owns, even if an index names it', async () => {
    const victim = sampleRecord({ userId: 'victim' });
    await store.create(victim, Date.now());
    // A colliding create indexes the id for the attacker before finding the id taken.
    assert.equal(await store.create({ ...victim, userId: 'attacker' }, Date.now()), false);
    assert.deepEqual(await store.listByUser('attacker', Date.now()), []);
    assert.equal(await store.deleteByUser('attacker'), 0);
    assert.equal((await store.get(victim.id, Date.now()))?.userId, 'victim');
  });

  it('keeps a "__proto__" data key as data', async () => {
    const record = sampleRecord({ data: { ['__proto__']: '{"admin":true}' } });
    await store.create(record, Date.now());
    const seen = await store.get(record.id, Date.now());
    assert.equal(Object.getPrototypeOf(seen?.data), Object.prototype);
    assert.deepEqual(Object.keys(seen?.data ?? {}), ['__proto__']);
  });

  describe('bad data reads as no session and is reported', () => {
    type Write = (k: string) => Promise<unknown>;
    // The last flag: whether a create may replace it. Writes judge liveness by the version and
    // expiry fields alone, so a schema-1 record with a future expiry and corrupt meta blocks a
    // create of the same id (a 256-bit collision) but still reads as no session.
    const cases: [string, Write, InvalidRecordEvent['reason'], boolean][] = [
      ['a string where the hash should be', (k) => client.set(k, '{not json'), 'wrong-type', true],
      ['a list where the hash should be', (k) => client.rpush(k, 'x'), 'wrong-type', true],
      [
        'a record of an older schema',
        (k) => client.hset(k, { v: '0', e: '9e15' }),
        'schema-version',
        true,
      ],
      [
        'a record with a non-numeric expiry',
        (k) =>
          client.hset(k, { v: '1', c: '1', l: '1', a: '1', e: 'soon', i: '1', p: '0', m: '{}' }),
        'malformed',
        true,
      ],
      [
        'a record with corrupt meta JSON',
        (k) =>
          client.hset(k, {
            v: '1',
            c: '1',
            l: '1',
            a: '9e15',
            e: '9e15',
            i: '1',
            p: '0',
            m: '{oops',
          }),
        'malformed',
        false,
      ],
    ];
    for (const [name, write, reason, replaceable] of cases) {
      it(name, async () => {
        const id = randomBytes(32).toString('hex');
        await write(key(id));
        invalid.length = 0;
        const now = Date.now();
        assert.equal(await store.get(id, now), null);
        assert.deepEqual(invalid, [{ session: id.slice(0, 16), reason }]);
        // Writes never throw on it; an update cannot make it readable.
        await store.update(id, { lastSeenAt: now, expiresAt: now + MINUTE }, now);
        assert.equal(await store.get(id, now), null);
        const record = sampleRecord({ id });
        assert.equal(await store.create(record, now), replaceable);
        if (replaceable) assert.deepEqual(await store.get(id, now), record);
        // Removed either way; only a readable record is handed back.
        assert.deepEqual(await store.delete(id), replaceable ? record : null);
        assert.equal(await client.exists(key(id)), 0);
      });
    }

    it('a corrupted session reads as anonymous over HTTP, with events, never a 5xx', async () => {
      const reported: InvalidRecordEvent[] = [];
      const app = await startRedisApp(
        redisStore({ client, prefix: PREFIX, onInvalidRecord: (e) => reported.push(e) }),
      );
      try {
        const rejected: string[] = [];
        app.sessions.on('rejected-token', (e) => rejected.push(e.reason));
        const browser = new Client(app.url);
        assert.equal(await (await browser.request('/inc')).json(), 1);
        const token = [...browser.cookies.values()][0]!;
        const id = hashToken(token);
        await client.hset(key(id), 'm', '{"truncated');
        const response = await browser.request('/inc');
        assert.equal(response.status, 200);
        assert.equal(await response.json(), 1, 'a fresh session, not the corrupt one');
        assert.deepEqual(reported, [{ session: publicIdOf(id), reason: 'malformed' }]);
        assert.deepEqual(rejected, ['unknown']);
      } finally {
        await app.close();
      }
    });

    it('a corrupt user index is replaced, not trusted', async () => {
      await client.set(`${PREFIX}u:broken-index`, 'garbage');
      assert.deepEqual(await store.listByUser('broken-index', Date.now()), []);
      assert.equal(await store.deleteByUser('broken-index'), 0);
      const record = sampleRecord({ userId: 'broken-index' });
      await store.create(record, Date.now());
      assert.deepEqual(
        (await store.listByUser('broken-index', Date.now())).map((r) => r.id),
        [record.id],
      );
    });

    it('warns once by default, and a throwing listener never escapes', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error): void => {
        warnings.push(w.message);
      };
      process.on('warning', onWarning);
      try {
        const quiet = redisStore({ client, prefix: PREFIX });
        const loud = redisStore({
          client,
          prefix: PREFIX,
          onInvalidRecord: () => {
            throw new Error('listener bug');
          },
        });
        const id = randomBytes(32).toString('hex');
        await client.set(key(id), 'junk');
        assert.equal(await quiet.get(id, Date.now()), null);
        assert.equal(await quiet.get(id, Date.now()), null);
        assert.equal(await loud.get(id, Date.now()), null);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(warnings.filter((w) => w.includes('unreadable session')).length, 1);
        assert.equal(warnings.filter((w) => w.includes('listener bug')).length, 1);
      } finally {
        process.off('warning', onWarning);
      }
    });
  });

  describe('configuration', () => {
    it('rejects a client it cannot drive, naming the fix', () => {
      assert.throws(
        () => redisStore({ client: {} as never }),
        /ioredis client .* or a node-redis client/,
      );
    });

    it('rejects an empty or control-character prefix', () => {
      assert.throws(
        () => redisStore({ client, prefix: '' }),
        /prefix must be a string of 1 to 256/,
      );
      assert.throws(() => redisStore({ client, prefix: 'a\nb' }), /prefix/);
    });

    it('listens to client errors so they cannot crash the process, and close() stops', async () => {
      const nodeClient = createClient({ url: REDIS_URL });
      const seen: unknown[] = [];
      const listening = redisStore({ client: nodeClient, onClientError: (e) => seen.push(e) });
      assert.equal(nodeClient.listenerCount('error'), 1);
      nodeClient.emit('error', new Error('connection lost'));
      assert.equal(seen.length, 1);
      await listening.close();
      assert.equal(nodeClient.listenerCount('error'), 0);
      redisStore({ client: nodeClient, onClientError: false });
      assert.equal(nodeClient.listenerCount('error'), 0, 'false adds no listener');
    });

    it('keeps stores with different prefixes apart', async () => {
      const other = redisStore({ client, prefix: `${PREFIX}other:` });
      const record = sampleRecord();
      await store.create(record, Date.now());
      assert.equal(await other.get(record.id, Date.now()), null);
    });
  });
});
