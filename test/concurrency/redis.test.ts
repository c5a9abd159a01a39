import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { redisStore } from '../../src/stores/redis.js';
import { REDIS_URL, requireService } from '../helpers/services.js';
import { deleteByPrefix, ioredisOptions, nodeRedisOptions } from '../stores/redis-helpers.js';
import { concurrencyScenarios } from './scenarios.js';

const PREFIX = `latchkey-test:concurrency:${randomBytes(4).toString('hex')}:`;

const skip = await requireService('Redis', async () => {
  const probe = new Redis(REDIS_URL, {
    ...ioredisOptions,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
});

const ioredis = new Redis(REDIS_URL, { ...ioredisOptions, lazyConnect: true });
concurrencyScenarios('redis (ioredis)', {
  skip,
  setup: () => redisStore({ client: ioredis, prefix: `${PREFIX}io:` }),
  teardown: async () => {
    await deleteByPrefix(ioredis, `${PREFIX}io:`);
    ioredis.disconnect();
  },
});

const nodeRedis = createClient({ url: REDIS_URL, ...nodeRedisOptions });
nodeRedis.on('error', () => undefined);
concurrencyScenarios('redis (node-redis)', {
  skip,
  setup: async () => {
    await nodeRedis.connect();
    return redisStore({ client: nodeRedis, prefix: `${PREFIX}nr:` });
  },
  teardown: async () => {
    await deleteByPrefix(nodeRedis, `${PREFIX}nr:`);
    nodeRedis.destroy();
  },
});
