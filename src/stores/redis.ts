import type { SessionPatch, SessionRecord, Store } from '../core/store.js';
import { publicIdOf } from '../core/token.js';
import {
  globEscape,
  keyScanner,
  scriptRunner,
  watchClientErrors,
  type RedisClientLike,
} from './redis-client.js';
import {
  hashField,
  indexBound,
  parseRecord,
  pexpireAt,
  recordFields,
  SCHEMA_VERSION,
  type InvalidReason,
  type ParsedRecord,
} from './redis-record.js';
import {
  CREATE,
  DELETE,
  DELETE_OWNED,
  GET,
  INDEX_ADD,
  INDEX_MEMBERS,
  INDEX_REMOVE,
  SUMMARY,
  UPDATE,
} from './redis-scripts.js';

export type {
  IoredisClientLike,
  NodeRedisClientLike,
  NodeRedisEvalOptions,
  RedisClientLike,
} from './redis-client.js';
export type { InvalidReason } from './redis-record.js';

/** What {@link RedisStoreOptions.onInvalidRecord} receives. */
export interface InvalidRecordEvent {
  /** Public id of the session (a prefix of its store id; never a token). */
  readonly session: string;
  /** `wrong-type` (the key is not a hash), `schema-version` or `malformed`. */
  readonly reason: InvalidReason;
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected client the app owns: ioredis `new Redis()` / `new Cluster()`, or node-redis
   * `createClient()` / `createCluster()` (v4 to v6). The store never connects or quits it.
   * Configure it to fail fast while disconnected (see docs/stores/redis.md).
   */
  readonly client: RedisClientLike;
  /**
   * Prepended to every key. Default `"latchkey:"`. Use one per app (or per environment) sharing a
   * Redis. A `{tag}` in it pins every key to one Cluster slot (legal, but one node does all the
   * work). Must be 1 to 256 characters without control characters.
   */
  readonly prefix?: string;
  /**
   * Called when a session key holds something unreadable (corrupt data, a key of another type, a
   * record of another schema version). The read answers "no session" either way. Default: one
   * process warning per store, then silence. A listener that throws is turned into a warning.
   */
  readonly onInvalidRecord?: (event: InvalidRecordEvent) => void;
  /**
   * Listener the store adds to the client's `error` event, so a lost connection cannot crash the
   * process (node-redis throws an unhandled `error` event). Default: one process warning per
   * outage (again only after the client was `ready`). `false` adds no listener: then the app must
   * add its own, or a Redis restart crashes a process using node-redis.
   */
  readonly onClientError?: ((error: unknown) => void) | false;
}

/**
 * The Redis store: a {@link Store} plus `close()`. `list` and `count` (administration) are present
 * with a standalone client only: a cluster client's SCAN walks one node, so they are left out.
 * Both SCAN `<prefix>s:*`; `count` reads three fields of every session and keeps the ids it has
 * seen in memory (SCAN may return a key twice), so expect it to take time on a large Redis.
 * `list` may return a session on two pages if Redis resizes its tables during the walk. There is
 * no `deleteExpired`: Redis drops expired sessions itself (PEXPIREAT), so `count` reports the
 * few it has not dropped yet as expired.
 */
export interface RedisStore extends Store {
  /** Removes the listeners this store added to the client. Never quits the client: it is the app's. */
  close(): Promise<void>;
}

/** Default key prefix. */
export const DEFAULT_PREFIX = 'latchkey:';

/** Store ids are SHA-256 hex; SCAN results with anything else belong to another prefix. */
const SESSION_ID = /^[0-9a-f]{64}$/;

/** How many ids one index removal sends (Lua's unpack has a stack limit). */
const REMOVE_BATCH = 500;

function validatePrefix(prefix: unknown): string {
  if (
    typeof prefix !== 'string' ||
    prefix.length === 0 ||
    prefix.length > 256 ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f]/.test(prefix)
  ) {
    throw new TypeError(
      `redisStore: prefix must be a string of 1 to 256 characters without control characters, got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

function defaultReporter(): (event: InvalidRecordEvent) => void {
  let warned = false;
  return (event) => {
    if (warned) return;
    warned = true;
    process.emitWarning(
      `latchkey: the Redis store holds an unreadable session (${event.session}, ${event.reason}); ` +
        'it reads as no session. Further ones are not reported: pass onInvalidRecord to see each.',
      { code: 'LATCHKEY_INVALID_RECORD' },
    );
  };
}

/**
 * Sessions in Redis or Redis Cluster, through a client the app already has.
 *
 * Each session is one hash (`<prefix>s:<id>`) expiring natively at its `expiresAt`; every
 * per-session operation is one atomic single-key Lua script, so creates never overwrite a live
 * session, patches merge field by field, and a write after a logout never brings the session
 * back. Sessions bound to a user are also listed in `<prefix>u:<userId>` (a sorted set in another
 * slot), written before the session so "log out everywhere" never misses one.
 *
 * Failures (connection lost, timeouts, Cluster errors) reject; the session manager turns them
 * into StoreUnavailableError (503). Unreadable records read as null and go to `onInvalidRecord`.
 *
 * @example
 * import { Redis } from 'ioredis';
 * const store = redisStore({ client: new Redis(url, { maxRetriesPerRequest: 1 }) });
 */
export function redisStore(options: RedisStoreOptions): RedisStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('redisStore(options): options.client is required');
  }
  const run = scriptRunner(options.client);
  const prefix = validatePrefix(options.prefix ?? DEFAULT_PREFIX);
  const report = options.onInvalidRecord ?? defaultReporter();
  const unwatch =
    options.onClientError === false
      ? () => {}
      : watchClientErrors(options.client, options.onClientError);

  const sessionKey = (id: string): string => `${prefix}s:${id}`;
  const userKey = (userId: string): string => `${prefix}u:${userId}`;

  function reportInvalid(id: string, reason: InvalidReason): void {
    try {
      report({ session: publicIdOf(id), reason });
    } catch (error) {
      process.emitWarning(`latchkey: onInvalidRecord threw: ${String(error)}`, {
        code: 'LATCHKEY_LISTENER_ERROR',
      });
    }
  }

  /** The record under `id` if it is readable and live at `now`; reports unreadable ones. */
  async function read(id: string, now: number): Promise<SessionRecord | null> {
    const parsed: ParsedRecord = parseRecord(id, await run(GET, sessionKey(id), []));
    if (parsed.kind === 'invalid') reportInvalid(id, parsed.reason);
    if (parsed.kind !== 'record' || parsed.record.expiresAt <= now) return null;
    return parsed.record;
  }

  async function indexAdd(userId: string, id: string, bound: number): Promise<void> {
    await run(INDEX_ADD, userKey(userId), [id, String(bound)]);
  }

  async function indexRemove(userId: string, ids: readonly string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += REMOVE_BATCH) {
      await run(INDEX_REMOVE, userKey(userId), ids.slice(i, i + REMOVE_BATCH));
    }
  }

  async function indexMembers(userId: string, prune: string): Promise<string[]> {
    const reply = await run(INDEX_MEMBERS, userKey(userId), [prune]);
    return Array.isArray(reply) ? reply.filter((id) => typeof id === 'string') : [];
  }

  function updateArgs(patch: SessionPatch, now: number, bound: string): string[] {
    const set = Object.entries(patch.set ?? {});
    const args = [
      String(now),
      String(patch.lastSeenAt),
      String(patch.expiresAt),
      pexpireAt(patch.expiresAt),
      patch.absoluteExpiresAt === undefined ? '' : String(patch.absoluteExpiresAt),
      patch.idleTimeout === undefined ? '' : String(patch.idleTimeout),
      patch.clear === true ? '1' : '0',
      bound,
      String(set.length),
    ];
    for (const [name, value] of set) args.push(name, value);
    args.push(...(patch.unset ?? []));
    return args;
  }

  const scan = keyScanner(options.client);
  const sessionPattern = `${globEscape(prefix)}s:*`;
  const sessionIds = (keys: readonly string[]): string[] =>
    keys
      .filter((key) => key.startsWith(`${prefix}s:`))
      .map((key) => key.slice(prefix.length + 2))
      .filter((id) => SESSION_ID.test(id));

  const admin: Pick<Store, 'list' | 'count'> =
    scan === undefined
      ? {}
      : {
          async list(now, { cursor, limit }) {
            const step = await scan(cursor ?? '0', sessionPattern, limit);
            const ids = [...new Set(sessionIds(step.keys))];
            const records = await Promise.all(ids.map((id) => read(id, now)));
            return {
              records: records.filter((r): r is SessionRecord => r !== null),
              cursor: step.cursor === '0' ? null : step.cursor,
            };
          },

          async count(now) {
            const seen = new Set<string>();
            const users = new Set<string>();
            let live = 0;
            let expired = 0;
            let cursor = '0';
            do {
              const step = await scan(cursor, sessionPattern, 1000);
              cursor = step.cursor;
              const ids = sessionIds(step.keys).filter((id) => !seen.has(id));
              for (const id of ids) seen.add(id);
              const replies = await Promise.all(ids.map((id) => run(SUMMARY, sessionKey(id), [])));
              for (const reply of replies) {
                if (!Array.isArray(reply) || reply[0] !== SCHEMA_VERSION) continue;
                const [, e, u] = reply as unknown[];
                const expiresAt = Number(e);
                if (typeof e !== 'string' || !Number.isFinite(expiresAt)) continue;
                if (expiresAt <= now) {
                  expired++;
                } else {
                  live++;
                  if (typeof u === 'string') users.add(u);
                }
              }
            } while (cursor !== '0');
            return { live, expired, users: users.size };
          },
        };

  return {
    ...admin,
    get: read,

    async create(record, now) {
      // Index first: if the process dies between the two writes, the index holds a stale id
      // (allowed), never a live session it does not list.
      if (record.userId !== null) {
        await indexAdd(
          record.userId,
          record.id,
          indexBound(record.expiresAt, record.absoluteExpiresAt),
        );
      }
      const args = [String(now), pexpireAt(record.expiresAt), ...recordFields(record)];
      return (await run(CREATE, sessionKey(record.id), args)) === 1;
    },

    async update(id, patch, now) {
      const key = sessionKey(id);
      let result = await run(UPDATE, key, updateArgs(patch, now, ''));
      if (typeof result === 'string') {
        // The patch moves expiry past what the user's index entry covers (the app lengthened the
        // timeouts): extend the entry first, then apply the patch with that bound.
        const bound = indexBound(patch.expiresAt, patch.absoluteExpiresAt ?? patch.expiresAt);
        await indexAdd(result, id, bound);
        result = await run(UPDATE, key, updateArgs(patch, now, String(bound)));
      }
      return result === 1;
    },

    async delete(id) {
      const reply = await run(DELETE, sessionKey(id), []);
      // Unindexed by the hash's own `u` field, so an unreadable record leaves no index entry.
      const userId = hashField(reply, 'u');
      if (userId !== undefined) await indexRemove(userId, [id]);
      const parsed = parseRecord(id, reply);
      if (parsed.kind === 'invalid') reportInvalid(id, parsed.reason);
      return parsed.kind === 'record' ? parsed.record : null;
    },

    async listByUser(userId, now) {
      // Ids of sessions that ended early stay in the index until their bound passes: removing an
      // id because its key is missing could race with the create that wrote it a moment ago.
      const ids = await indexMembers(userId, String(now));
      const records = await Promise.all(ids.map((id) => read(id, now)));
      return records.filter((r): r is SessionRecord => r !== null && r.userId === userId);
    },

    async deleteByUser(userId, exceptId) {
      // "-inf": no pruning here, since deleteByUser has no clock of the caller's to prune by.
      const ids = (await indexMembers(userId, '-inf')).filter((id) => id !== exceptId);
      const deleted = await Promise.all(
        ids.map(async (id) =>
          (await run(DELETE_OWNED, sessionKey(id), [userId])) === 1 ? id : null,
        ),
      );
      const gone = deleted.filter((id): id is string => id !== null);
      await indexRemove(userId, gone);
      return gone.length;
    },

    close() {
      unwatch();
      return Promise.resolve();
    },
  };
}
