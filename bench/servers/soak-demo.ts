// The soak target (bench/soak.ts): the demo app exactly as `npm start` builds it from the
// environment, plus an IPC hook that answers memory and handle samples. Started by the soak with
// --expose-gc and an IPC channel; not usable on its own.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { argon2Hasher } from 'latchkey/auth';
import { loadConfig, startDemo, type DemoConfig } from '../../examples/demo/server.js';

/** What the soak asks (parent to child). */
export type SoakRequest =
  | { readonly type: 'sample'; readonly id: number; readonly snapshot?: string }
  | { readonly type: 'stop' };

/** One server-side sample, taken right after a full garbage collection. */
export interface ServerSample {
  readonly type: 'sample';
  /** The id of the request this answers. */
  readonly id: number;
  /** False when the process was started without --expose-gc: heap figures then include garbage. */
  readonly gc: boolean;
  readonly rss: number;
  readonly heapUsed: number;
  /** Memory of Buffers and other objects held outside the V8 heap: a Buffer leak grows this. */
  readonly external: number;
  /** process.getActiveResourcesInfo(), counted by type (TCPSocketWrap, Timeout, ...). */
  readonly resources: Readonly<Record<string, number>>;
  /** Open connections of the HTTP server (a part of the TCPSocketWrap resources). */
  readonly connections: number;
  /** CPU time (user + system) since the previous sample, ms. */
  readonly cpuMs: number;
  /** Event-loop delay p99 since the previous sample, ms (the forced GC falls in the next one). */
  readonly loopP99Ms: number;
  /** Live session records in the store (SQLite and memory stores only; null otherwise). */
  readonly liveSessions: number | null;
  /** The heap snapshot written after the sample, when one was asked for. */
  readonly snapshot: string | null;
}

/** Child to parent. */
export type SoakReply = { readonly type: 'ready'; readonly url: string } | ServerSample;

if (process.send === undefined) {
  console.error('soak-demo.ts is started by bench/soak.ts (it needs an IPC channel)');
  process.exit(2);
}
const send = (message: SoakReply): void => {
  if (process.connected) process.send?.(message);
};

const base = loadConfig(process.env);
const config: DemoConfig = {
  ...base,
  // Never share the demo's Redis keys or PostgreSQL table with a real demo or another soak.
  redisPrefix: `latchkey-soak-${String(process.pid)}:`,
  postgresTable: `latchkey_soak_${String(process.pid)}`,
  // SOAK_HASHER=fast: tiny argon2 parameters, so the run exercises sessions rather than hashing.
  ...(process.env.SOAK_HASHER === 'fast'
    ? { hasher: argon2Hasher({ memoryCost: 64, timeCost: 1 }) }
    : {}),
};
const { app, url } = await startDemo(config, (banner) => {
  console.error(banner);
});

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
let cpu = process.cpuUsage();
const gc = (globalThis as { gc?: () => void }).gc;
const countable = config.store === 'sqlite' || config.store === 'memory';

async function sample(id: number, snapshot: string | undefined): Promise<ServerSample> {
  gc?.();
  const memory = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const used = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  const loopP99Ms = loop.percentile(99) / 1e6;
  loop.reset();
  const connections = await new Promise<number>((resolve, reject) => {
    app.server.getConnections((error, count) => {
      if (error) reject(error);
      else resolve(count);
    });
  });
  const counted = countable ? await app.sessions.options.store.count?.(Date.now()) : undefined;
  return {
    type: 'sample',
    id,
    gc: gc !== undefined,
    rss: memory.rss,
    heapUsed: memory.heapUsed,
    external: memory.external,
    resources,
    connections,
    cpuMs: (used.user + used.system) / 1000,
    loopP99Ms,
    liveSessions: counted?.live ?? null,
    // After the figures above, which the snapshot's own allocations must not disturb.
    snapshot: snapshot === undefined ? null : writeHeapSnapshot(snapshot),
  };
}

/** Removes what a Redis or PostgreSQL run created, so soaks leave shared services as they were. */
async function cleanUp(): Promise<void> {
  if (config.store === 'redis') {
    const { Redis } = await import('ioredis');
    const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(
          cursor,
          'MATCH',
          `${config.redisPrefix}*`,
          'COUNT',
          1000,
        );
        cursor = next;
        if (keys.length > 0) await client.del(...keys);
      } while (cursor !== '0');
    } finally {
      client.disconnect();
    }
  } else if (config.store === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: config.databaseUrl });
    await client.connect();
    try {
      await client.query(`DROP TABLE IF EXISTS "${config.postgresTable}"`);
      await client.query('DELETE FROM latchkey_schema_migrations WHERE table_name = $1', [
        config.postgresTable,
      ]);
    } finally {
      await client.end();
    }
  }
}

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await app.close();
    await cleanUp();
  } catch (error) {
    console.error(`soak-demo: shutdown failed: ${String(error)}`);
    process.exitCode = 1;
  }
  process.disconnect();
}

process.on('message', (message: SoakRequest) => {
  if (message.type === 'stop') {
    void stop();
    return;
  }
  sample(message.id, message.snapshot).then(send, (error: unknown) => {
    console.error(`soak-demo: sample failed: ${String(error)}`);
  });
});
// The soak died or was interrupted: never leave the server running behind it.
process.on('disconnect', () => {
  void stop();
});
process.on('SIGINT', () => {});
send({ type: 'ready', url });
