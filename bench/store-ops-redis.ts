/**
 * Redis store micro-benchmark: operations per second of get, update (touch and one-key patch)
 * and create, with ioredis and node-redis, plus Redis' own MEMORY USAGE of a typical session.
 *
 *   node --conditions=latchkey-source --import tsx bench/store-ops-redis.ts [seconds-per-op]
 *
 * Uses REDIS_URL (default redis://127.0.0.1:6379) and a random key prefix it removes at the end.
 * Each operation runs with 32 requests in flight for the given time (default 2 s).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { Store } from '../src/core/store.js';
import { redisStore } from '../src/stores/redis.js';
import { measureOps, typicalRecord } from './store-ops-lib.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.argv[2] ?? 2);
const PREFIX = `latchkey-bench:${randomBytes(4).toString('hex')}:`;

async function bench(label: string, store: Store): Promise<void> {
  console.log(label);
  const records = Array.from({ length: 1000 }, () => typicalRecord());
  for (const r of records) await store.create(r, Date.now());
  const pick = (i: number): string => records[i % records.length]?.id ?? '';
  await measureOps('get', SECONDS, (i) => store.get(pick(i), Date.now()));
  await measureOps('update (touch)', SECONDS, (i) => {
    const now = Date.now();
    return store.update(pick(i), { lastSeenAt: now, expiresAt: now + 1_800_000 }, now);
  });
  await measureOps('update (set one key)', SECONDS, (i) => {
    const now = Date.now();
    return store.update(
      pick(i),
      { set: { views: String(i) }, lastSeenAt: now, expiresAt: now + 1_800_000 },
      now,
    );
  });
  await measureOps('create (user session)', SECONDS, () =>
    store.create(typicalRecord(), Date.now()),
  );
}

const ioredis = new Redis(REDIS_URL);
const nodeRedis = createClient({ url: REDIS_URL });
nodeRedis.on('error', (error: unknown) => {
  console.error(error);
});
await nodeRedis.connect();
try {
  await bench('ioredis', redisStore({ client: ioredis, prefix: `${PREFIX}io:` }));
  await bench('node-redis', redisStore({ client: nodeRedis, prefix: `${PREFIX}nr:` }));

  const store = redisStore({ client: ioredis, prefix: `${PREFIX}mem:` });
  const user = typicalRecord('user-mem');
  const anonymous = typicalRecord(null);
  await store.create(user, Date.now());
  await store.create(anonymous, Date.now());
  const usage = (key: string): Promise<unknown> => ioredis.memory('USAGE', key);
  console.log('memory (MEMORY USAGE, bytes)');
  console.log(`  typical user session hash    ${String(await usage(`${PREFIX}mem:s:${user.id}`))}`);
  console.log(
    `  same, anonymous              ${String(await usage(`${PREFIX}mem:s:${anonymous.id}`))}`,
  );
  console.log(`  user index, 1 session        ${String(await usage(`${PREFIX}mem:u:user-mem`))}`);
  for (let i = 0; i < 9; i++) await store.create(typicalRecord('user-mem'), Date.now());
  console.log(`  user index, 10 sessions      ${String(await usage(`${PREFIX}mem:u:user-mem`))}`);
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await ioredis.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await ioredis.del(...keys);
  } while (cursor !== '0');
  ioredis.disconnect();
  nodeRedis.destroy();
}
