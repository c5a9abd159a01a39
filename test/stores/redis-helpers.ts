import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis, type RedisOptions } from 'ioredis';
import { createClient } from 'redis';
import type { Store } from '../../src/core/store.js';
import { redisStore } from '../../src/stores/redis.js';
import { freePort, REDIS_URL } from '../helpers/services.js';

const run = promisify(execFile);

/** The client settings docs/stores/redis.md recommends: fail fast while disconnected. */
export const ioredisOptions = {
  maxRetriesPerRequest: 1,
  connectTimeout: 1000,
  commandTimeout: 1000,
} satisfies RedisOptions;

export const nodeRedisOptions = {
  disableOfflineQueue: true,
  socket: {
    connectTimeout: 1000,
    reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000),
  },
};

/** `requireService` probe: connects to REDIS_URL once (no retries) and pings. */
export async function redisReachable(): Promise<void> {
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
}

/** How a store suite (conformance, concurrency) gets a fresh store and cleans up after it. */
export interface StoreFixture {
  /** The client library, for the suite's name. */
  readonly client: 'ioredis' | 'node-redis';
  readonly setup: () => Store | Promise<Store>;
  readonly teardown: () => Promise<void>;
}

/**
 * A Redis store under `prefix` over each client library the store supports: `setup` connects,
 * `teardown` deletes every key under the prefix and disconnects. Run a suite once per fixture.
 */
export function redisStoreFixtures(prefix: string): StoreFixture[] {
  const ioredis = new Redis(REDIS_URL, { ...ioredisOptions, lazyConnect: true });
  const nodeRedis = createClient({ url: REDIS_URL, ...nodeRedisOptions });
  nodeRedis.on('error', () => undefined);
  return [
    {
      client: 'ioredis',
      setup: () => redisStore({ client: ioredis, prefix: `${prefix}io:` }),
      teardown: async () => {
        await deleteByPrefix(ioredis, `${prefix}io:`);
        ioredis.disconnect();
      },
    },
    {
      client: 'node-redis',
      setup: async () => {
        await nodeRedis.connect();
        return redisStore({ client: nodeRedis, prefix: `${prefix}nr:` });
      },
      teardown: async () => {
        await deleteByPrefix(nodeRedis, `${prefix}nr:`);
        nodeRedis.destroy();
      },
    },
  ];
}

/** The two node-redis commands cleanup needs. */
interface NodeRedisKeys {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>;
  del(keys: string[]): Promise<unknown>;
}

/** Removes every key under `prefix` (standalone Redis), so a test file leaves nothing behind. */
export async function deleteByPrefix(client: Redis | NodeRedisKeys, prefix: string): Promise<void> {
  if (!(client instanceof Redis)) {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) {
      if (keys.length > 0) await client.del(keys);
    }
    return;
  }
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await client.del(...keys);
  } while (cursor !== '0');
}

/** Rejects unless the redis-server and redis-cli binaries are on PATH (a requireService probe). */
export async function redisBinaries(): Promise<void> {
  await run('redis-server', ['--version']);
  await run('redis-cli', ['--version']);
}

/** Like {@link redisBinaries}, and redis-server must be 7 or later (for `--cluster-port`). */
export async function redisClusterBinaries(): Promise<void> {
  await redisBinaries();
  const { stdout } = await run('redis-server', ['--version']);
  const major = Number(/v=(\d+)\./.exec(stdout)?.[1]);
  if (!(major >= 7))
    throw new Error(`redis-server 7 or later needed for the cluster test: ${stdout.trim()}`);
}

/** Sends PING over raw TCP; resolves when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => {
      done(false);
    });
    socket.on('error', () => {
      done(false);
    });
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      done(chunk.toString().startsWith('+PONG'));
    });
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A redis-server this test started, on loopback, keeping its files in a private directory. */
export class PrivateRedis {
  readonly port: number;
  readonly dir: string;
  readonly #args: readonly string[];
  #child: ChildProcess | null = null;

  private constructor(port: number, dir: string, args: readonly string[]) {
    this.port = port;
    this.dir = dir;
    this.#args = args;
  }

  /** Starts a server on a free port. `args` are extra redis-server options. */
  static async start(args: readonly string[] = []): Promise<PrivateRedis> {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-redis-'));
    const server = new PrivateRedis(await freePort(), dir, args);
    await server.start();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** (Re)starts the server on the same port and directory; resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.#child !== null) throw new Error('already running');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--dir',
        this.dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        ...this.#args,
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => {
        reject(new Error(`redis-server on port ${this.port} exited with ${String(code)}`));
      }),
    );
    exited.catch(() => {});
    await Promise.race([waitFor(`redis-server on ${this.port}`, () => ping(this.port)), exited]);
  }

  /** Kills the server (SIGKILL: a crash, not a clean shutdown) and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  /** Kills the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.kill();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of three masters (no replicas) this test started on free loopback ports. */
export class PrivateCluster {
  readonly nodes: readonly PrivateRedis[];

  private constructor(nodes: readonly PrivateRedis[]) {
    this.nodes = nodes;
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  static async start(): Promise<PrivateCluster> {
    const nodes: PrivateRedis[] = [];
    const cluster = new PrivateCluster(nodes);
    try {
      for (let i = 0; i < 3; i++) {
        // The bus port defaults to port + 10000, which may be taken or out of range: pick one.
        const busPort = await freePort();
        nodes.push(
          await PrivateRedis.start([
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-port',
            String(busPort),
            '--cluster-node-timeout',
            '2000',
          ]),
        );
      }
      await run('redis-cli', [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      for (const node of nodes) {
        await waitFor(`cluster_state:ok on ${node.port}`, async () => {
          const { stdout } = await run('redis-cli', ['-p', String(node.port), 'cluster', 'info']);
          return stdout.includes('cluster_state:ok');
        });
      }
      return cluster;
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
  }

  async destroy(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.destroy()));
  }
}
