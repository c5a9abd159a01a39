import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { createCluster } from 'redis';
import { redisStore } from '../../src/stores/redis.js';
import { sampleRecord, storeConformance } from '../../src/testing/conformance.js';
import { requireService } from '../helpers/services.js';
import {
  ioredisOptions,
  nodeRedisOptions,
  PrivateCluster,
  redisClusterBinaries,
} from './redis-helpers.js';

// A real three-master Redis Cluster of our own on free loopback ports, torn down afterwards. Every
// store operation must work although a session key and its user's index live in different slots.
const skip = await requireService(
  'redis-server binaries (for a private Redis Cluster)',
  redisClusterBinaries,
);
const cluster = skip === false ? await PrivateCluster.start() : null;
const ports = cluster?.ports ?? [];
const PREFIX = `latchkey-test:${randomBytes(4).toString('hex')}:`;

const ioCluster = new Cluster(
  ports.map((port) => ({ host: '127.0.0.1', port })),
  { redisOptions: ioredisOptions, lazyConnect: true },
);
const nodeCluster = createCluster({
  rootNodes: ports.map((port) => ({ url: `redis://127.0.0.1:${port}` })),
  defaults: nodeRedisOptions,
});
nodeCluster.on('error', () => {});

after(async () => {
  ioCluster.disconnect();
  if (nodeCluster.isOpen) nodeCluster.destroy();
  await cluster?.destroy();
});

storeConformance('redis cluster (ioredis Cluster)', {
  skip,
  setup: () => redisStore({ client: ioCluster, prefix: `${PREFIX}io:` }),
});

storeConformance('redis cluster (node-redis createCluster)', {
  skip,
  setup: async () => {
    await nodeCluster.connect();
    return redisStore({ client: nodeCluster, prefix: `${PREFIX}nr:` });
  },
});

describe('redis cluster', { skip }, () => {
  it('spreads sessions over the masters and still lists and revokes them per user', async () => {
    const store = redisStore({ client: ioCluster, prefix: `${PREFIX}spread:` });
    const user = 'spread-user';
    const records = Array.from({ length: 30 }, () => sampleRecord({ userId: user }));
    for (const record of records) assert.equal(await store.create(record, Date.now()), true);

    const perNode: number[] = [];
    for (const port of ports) {
      const node = new Redis(port, '127.0.0.1', ioredisOptions);
      try {
        const [, keys] = await node.scan('0', 'MATCH', `${PREFIX}spread:s:*`, 'COUNT', 1000);
        perNode.push(keys.length);
      } finally {
        node.disconnect();
      }
    }
    assert.equal(
      perNode.reduce((a, b) => a + b, 0),
      30,
    );
    assert.ok(perNode.filter((n) => n > 0).length >= 2, `keys per node: ${perNode.join(', ')}`);

    assert.equal((await store.listByUser(user, Date.now())).length, 30);
    assert.equal(await store.deleteByUser(user, records[0]!.id), 29);
    assert.deepEqual(
      (await store.listByUser(user, Date.now())).map((r) => r.id),
      [records[0]!.id],
    );
  });
});
