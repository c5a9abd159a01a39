import type { RedisScript } from './redis-scripts.js';

/**
 * The part of an ioredis client (`new Redis()` or `new Cluster()`, ioredis 5 and 6) the Redis
 * store uses. Declared structurally so this package does not depend on ioredis' types.
 */
export interface IoredisClientLike {
  evalsha(sha: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...keysAndArgs: string[]): Promise<unknown>;
}

/** Keys and arguments of a node-redis EVAL/EVALSHA call. */
export interface NodeRedisEvalOptions {
  keys: string[];
  arguments: string[];
}

/**
 * The part of a node-redis client (`createClient()` or `createCluster()` from the `redis`
 * package, v4 to v6) the Redis store uses.
 */
export interface NodeRedisClientLike {
  evalSha(sha: string, options: NodeRedisEvalOptions): Promise<unknown>;
  eval(script: string, options: NodeRedisEvalOptions): Promise<unknown>;
}

/** A client the Redis store accepts: ioredis or node-redis, standalone or cluster. */
export type RedisClientLike = IoredisClientLike | NodeRedisClientLike;

/** Runs a single-key script with EVALSHA, loading it with EVAL the first time a node lacks it. */
export type ScriptRunner = (script: RedisScript, key: string, args: string[]) => Promise<unknown>;

function isNodeRedis(client: RedisClientLike): client is NodeRedisClientLike {
  return typeof (client as Partial<NodeRedisClientLike>).evalSha === 'function';
}

function isIoredis(client: RedisClientLike): client is IoredisClientLike {
  return typeof (client as Partial<IoredisClientLike>).evalsha === 'function';
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Replies as strings whatever the client's type mapping (node-redis can be set to Buffers). */
function normalize(reply: unknown): unknown {
  if (Array.isArray(reply)) return reply.map(normalize);
  if (reply instanceof Uint8Array) return Buffer.from(reply).toString('utf8');
  return reply;
}

/**
 * Wraps a client in the one operation the store needs. Which library it is comes from duck
 * typing (node-redis has `evalSha`, ioredis `evalsha`); anything else throws a TypeError at
 * start-up. A cluster client routes each call by its single key.
 */
export function scriptRunner(client: RedisClientLike): ScriptRunner {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError('redisStore: options.client must be an ioredis or node-redis client');
  }
  if (isNodeRedis(client)) {
    return async (script, key, args) => {
      const options = { keys: [key], arguments: args };
      try {
        return normalize(await client.evalSha(script.sha, options));
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return normalize(await client.eval(script.source, options));
      }
    };
  }
  if (isIoredis(client)) {
    return async (script, key, args) => {
      try {
        return normalize(await client.evalsha(script.sha, 1, key, ...args));
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return normalize(await client.eval(script.source, 1, key, ...args));
      }
    };
  }
  throw new TypeError(
    'redisStore: options.client must be an ioredis client (new Redis() / new Cluster()) or a ' +
      'node-redis client (createClient() / createCluster()); it has neither evalsha nor evalSha',
  );
}

interface ErrorEmitter {
  on(event: string, listener: (error: unknown) => void): unknown;
  off(event: string, listener: (error: unknown) => void): unknown;
}

function isEmitter(client: unknown): client is ErrorEmitter {
  const c = client as Partial<ErrorEmitter>;
  return typeof c.on === 'function' && typeof c.off === 'function';
}

/**
 * Adds `error` (and `ready`) listeners to the client so a lost connection cannot crash the
 * process (node-redis throws an unhandled `error` event; ioredis prints one per retry). Without
 * `handler`, warns once per outage: on the first error, then again only after `ready`.
 * Returns a function that removes the listeners.
 */
export function watchClientErrors(
  client: RedisClientLike,
  handler: ((error: unknown) => void) | undefined,
): () => void {
  if (!isEmitter(client)) return () => {};
  let warned = false;
  const onError = (error: unknown): void => {
    if (handler === undefined) {
      if (warned) return;
      warned = true;
      process.emitWarning(
        `latchkey: the Redis client reported an error (${String(error)}); session requests fail with 503 until it reconnects. ` +
          'Further errors are not reported until it is ready again: pass onClientError to see each.',
        { code: 'LATCHKEY_STORE_CLIENT_ERROR' },
      );
      return;
    }
    try {
      handler(error);
    } catch (thrown) {
      process.emitWarning(`latchkey: onClientError threw: ${String(thrown)}`, {
        code: 'LATCHKEY_LISTENER_ERROR',
      });
    }
  };
  const onReady = (): void => {
    warned = false;
  };
  client.on('error', onError);
  client.on('ready', onReady);
  return () => {
    client.off('error', onError);
    client.off('ready', onReady);
  };
}

/** One SCAN step: the next cursor ("0" when the walk is complete) and the keys of this step. */
export type KeyScanner = (
  cursor: string,
  match: string,
  count: number,
) => Promise<{ cursor: string; keys: string[] }>;

interface IoredisScan {
  scan(
    cursor: string,
    matchToken: 'MATCH',
    pattern: string,
    countToken: 'COUNT',
    count: number,
  ): Promise<[string, string[]]>;
}

interface NodeRedisScan {
  scan(
    cursor: string,
    options: { MATCH: string; COUNT: number },
  ): Promise<{ cursor: string | number; keys: unknown[] }>;
}

/**
 * SCAN through the client, for the administration methods (`list`, `count`). Undefined for
 * cluster clients (a SCAN walks one node's keys only, so a walk through one would miss sessions)
 * and for clients without `scan`: the store then leaves those optional methods out.
 */
export function keyScanner(client: RedisClientLike): KeyScanner | undefined {
  const c = client as unknown as Partial<Record<'scan' | 'nodes', unknown>>;
  if (typeof c.scan !== 'function') return undefined;
  if (isNodeRedis(client)) {
    if ('masters' in client) return undefined;
    const scanning = client as unknown as NodeRedisScan;
    return async (cursor, match, count) => {
      const reply = await scanning.scan(cursor, { MATCH: match, COUNT: count });
      const keys = normalize(reply.keys) as unknown[];
      return {
        cursor: String(reply.cursor),
        keys: keys.filter((k): k is string => typeof k === 'string'),
      };
    };
  }
  if (typeof c.nodes === 'function') return undefined;
  const scanning = client as unknown as IoredisScan;
  return async (cursor, match, count) => {
    const [next, keys] = await scanning.scan(cursor, 'MATCH', match, 'COUNT', count);
    return { cursor: next, keys: keys.filter((k) => typeof k === 'string') };
  };
}

/** `text` as a SCAN MATCH pattern matching exactly itself (glob characters escaped). */
export function globEscape(text: string): string {
  return text.replace(/[\\*?[\]]/g, '\\$&');
}
