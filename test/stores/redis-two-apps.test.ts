import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore } from '../../src/stores/redis.js';
import { Client } from '../helpers/http.js';
import { REDIS_URL, requireService } from '../helpers/services.js';
import { startRedisApp, type RedisTestApp } from './redis-app.js';
import {
  deleteByPrefix,
  ioredisOptions,
  nodeRedisOptions,
  redisReachable,
} from './redis-helpers.js';

// Two app processes' worth of servers on different ports sharing one Redis, the way an app scales
// past one machine. A drives Redis through ioredis, B through node-redis: the key layout is the
// contract, not the client library.
const skip = await requireService('Redis', redisReachable);

const PREFIX = `latchkey-test:${randomBytes(4).toString('hex')}:`;

/** A browser talking to either app: the same cookie jar for both origins' full URLs. */
class Browser {
  readonly jar: Client;
  constructor(jar = new Client('')) {
    this.jar = jar;
  }
  async json(app: RedisTestApp, path: string, method = 'GET'): Promise<unknown> {
    const response = await this.jar.request(app.url + path, { method });
    assert.equal(response.status, 200, `${method} ${path} on ${app.url}`);
    return response.json();
  }
  clone(): Browser {
    return new Browser(this.jar.clone());
  }
}

describe('two apps sharing one Redis', { skip }, () => {
  let ioredis: Redis;
  let nodeRedis: ReturnType<typeof createClient>;
  let a: RedisTestApp;
  let b: RedisTestApp;

  before(async () => {
    ioredis = new Redis(REDIS_URL, ioredisOptions);
    nodeRedis = createClient({ url: REDIS_URL, ...nodeRedisOptions });
    nodeRedis.on('error', () => {});
    await nodeRedis.connect();
    a = await startRedisApp(redisStore({ client: ioredis, prefix: PREFIX }));
    b = await startRedisApp(redisStore({ client: nodeRedis, prefix: PREFIX }));
  });
  after(async () => {
    await a.close();
    await b.close();
    await deleteByPrefix(ioredis, PREFIX);
    ioredis.disconnect();
    nodeRedis.destroy();
  });

  it('reads on B a session created on A, and writes on either are seen by both', async () => {
    const alice = new Browser();
    assert.equal(await alice.json(a, '/inc'), 1);
    assert.equal(await alice.json(b, '/peek'), 1);
    assert.equal(await alice.json(b, '/inc'), 2);
    assert.equal(await alice.json(a, '/peek'), 2);
  });

  it('rotates through B: the old token is dead on A, the new one works on A', async () => {
    const alice = new Browser();
    await alice.json(a, '/inc');
    const before = alice.clone();
    await alice.json(b, '/login?user=rotating-alice', 'POST');
    assert.equal(await before.json(a, '/whoami'), null);
    assert.equal(await before.json(a, '/peek'), null);
    assert.equal(await alice.json(a, '/whoami'), 'rotating-alice');
    assert.equal(await alice.json(a, '/peek'), 1, 'data carried over to the new token');

    const stolen = alice.clone();
    await alice.json(b, '/regenerate', 'POST');
    assert.equal(await stolen.json(a, '/whoami'), null);
    assert.equal(await alice.json(a, '/whoami'), 'rotating-alice');
  });

  it('revokes through A every session of a user, including those made on B', async () => {
    const laptop = new Browser();
    const phone = new Browser();
    await laptop.json(b, '/login?user=revoked-bob', 'POST');
    await phone.json(a, '/login?user=revoked-bob', 'POST');
    assert.equal((await b.sessions.listByUser('revoked-bob')).length, 2);
    assert.equal(await a.sessions.revokeUser('revoked-bob'), 2);
    assert.equal(await laptop.json(b, '/whoami'), null);
    assert.equal(await phone.json(b, '/whoami'), null);
    assert.equal(await laptop.json(a, '/whoami'), null);
    assert.deepEqual(await b.sessions.listByUser('revoked-bob'), []);
  });

  it('makes a logout on A final on B, even for a request B had in flight', async () => {
    const carol = new Browser();
    await carol.json(b, '/login?user=final-carol', 'POST');
    const copied = carol.clone();
    // B loads the session, then stalls before writing; meanwhile carol logs out on A.
    const gate = b.gate();
    const inFlight = carol.clone().json(b, '/slow-set');
    await gate.reached;
    await carol.json(a, '/logout', 'POST');
    gate.open();
    assert.equal(await inFlight, 'ok');
    // The late write did not bring the session back, on either app.
    for (const app of [a, b]) {
      assert.equal(await copied.clone().json(app, '/whoami'), null);
      assert.equal(await copied.clone().json(app, '/peek'), null);
    }
    assert.deepEqual(await a.sessions.listByUser('final-carol'), []);
    assert.deepEqual(await b.sessions.listByUser('final-carol'), []);
  });
});
