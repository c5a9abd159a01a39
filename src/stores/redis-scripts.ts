import { createHash } from 'node:crypto';

/**
 * The Lua scripts behind the Redis store. Each one touches exactly ONE key, so it runs unchanged
 * on Redis Cluster (no CROSSSLOT errors) and Redis runs it atomically: no other command can see a
 * half-applied create or patch.
 *
 * Session key: a hash with these fields (schema version 1):
 *   v  "1"            schema version; anything else reads as an unreadable record
 *   u  userId         only for sessions bound to a user
 *   x  index bound    only with u: the score this id has in the per-user index, which is never
 *                     earlier than `e` (see UPDATE), so the index cannot miss a live session
 *   c l a e i         createdAt, lastSeenAt, absoluteExpiresAt, expiresAt, idleTimeout (ms)
 *   p  "1" | "0"      persistent
 *   m  JSON           meta
 *   d:<name>          one field per session data key, holding the core's JSON text
 * The key carries a native expiry (PEXPIREAT) at `e`, set in the same script as every write.
 *
 * Per-user index key: a sorted set of session ids scored by their index bound, expiring at its
 * highest score.
 *
 * Liveness is decided by the caller's clock (`now` in ARGV), as the Store contract requires; the
 * native expiry only reclaims memory. Numbers that end up in Redis are passed through as the
 * caller's strings: converting them to Lua numbers and back would print 1.7e+12.
 */

/** A script and its SHA-1, for EVALSHA. */
export interface RedisScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function script(name: string, body: string): RedisScript {
  const source = `${LIVE}\n${body.trim()}\n`;
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

/** True when `key` holds a schema-1 session hash whose expiresAt is after `now`. */
const LIVE = `
local function live(key, now)
  if redis.call('TYPE', key).ok ~= 'hash' then return false end
  local f = redis.call('HMGET', key, 'v', 'e')
  if f[1] ~= '1' then return false end
  local e = tonumber(f[2])
  return e ~= nil and e > tonumber(now)
end`.trim();

/**
 * KEYS[1] session. ARGV: now, pexpireat, then field/value pairs of the whole record.
 * Returns 1 when created, 0 when a live record already has this key (left untouched). An expired
 * or unreadable record under the key is replaced.
 */
export const CREATE = script(
  'create',
  `
if live(KEYS[1], ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1`,
);

/**
 * KEYS[1] session. ARGV: now, lastSeenAt, expiresAt, pexpireat, absoluteExpiresAt or "",
 * idleTimeout or "", clear ("1"/"0"), bound or "", count of set pairs, set name/value pairs,
 * then names to unset.
 * Returns 0 (missing or expired: nothing changed), 1 (applied), or the session's userId (nothing
 * changed: the new expiresAt is later than the user's index entry covers; the caller extends the
 * index entry first and retries with that bound, so the index never misses a live session).
 */
export const UPDATE = script(
  'update',
  `
local key = KEYS[1]
if not live(key, ARGV[1]) then return 0 end
local f = redis.call('HMGET', key, 'u', 'x')
local covered = tonumber(f[2]) or 0
if ARGV[8] ~= '' and tonumber(ARGV[8]) > covered then covered = tonumber(ARGV[8]) end
if f[1] and tonumber(ARGV[3]) > covered then return f[1] end
if ARGV[7] == '1' then
  for _, name in ipairs(redis.call('HKEYS', key)) do
    if string.sub(name, 1, 2) == 'd:' then redis.call('HDEL', key, name) end
  end
end
local i = 10
for _ = 1, tonumber(ARGV[9]) do
  redis.call('HSET', key, 'd:' .. ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HDEL', key, 'd:' .. ARGV[i])
  i = i + 1
end
redis.call('HSET', key, 'l', ARGV[2])
redis.call('HSET', key, 'e', ARGV[3])
if ARGV[5] ~= '' then redis.call('HSET', key, 'a', ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', key, 'i', ARGV[6]) end
if f[1] and ARGV[8] ~= '' and tonumber(ARGV[8]) > (tonumber(f[2]) or 0) then
  redis.call('HSET', key, 'x', ARGV[8])
end
redis.call('PEXPIREAT', key, ARGV[4])
return 1`,
);

/**
 * KEYS[1] session. Returns {"hash", field, value, ...} for a hash, or {type} for anything else
 * ("none" when missing). Liveness and validation happen in JavaScript, where a bad record can be
 * reported; TYPE first, so a key of the wrong type is an answer, not a WRONGTYPE error.
 */
export const GET = script(
  'get',
  `
local t = redis.call('TYPE', KEYS[1]).ok
if t ~= 'hash' then return {t} end
local all = redis.call('HGETALL', KEYS[1])
table.insert(all, 1, 'hash')
return all`,
);

/**
 * KEYS[1] session. Deletes it and returns what it held, in GET's reply shape: {"hash", field,
 * value, ...} or {type} ("none" when missing). Read and removed in one script, so the reply holds
 * every write applied before the delete (session rotation carries those over); the caller takes
 * the userId to unindex from it.
 */
export const DELETE = script(
  'delete',
  `
local t = redis.call('TYPE', KEYS[1]).ok
local all = {}
if t == 'hash' then all = redis.call('HGETALL', KEYS[1]) end
redis.call('DEL', KEYS[1])
table.insert(all, 1, t)
return all`,
);

/**
 * KEYS[1] session, ARGV[1] userId. Deletes the session only if it belongs to that user (an index
 * may name an id that a colliding create gave to someone else). Returns 1 if deleted.
 */
export const DELETE_OWNED = script(
  'delete-owned',
  `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
if redis.call('HGET', KEYS[1], 'u') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
);

/**
 * KEYS[1] user index, ARGV: id, bound. Adds the id (or raises its score to the bound) and makes
 * the index expire no earlier than its latest bound. A key of the wrong type is replaced.
 */
export const INDEX_ADD = script(
  'index-add',
  `
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then redis.call('DEL', KEYS[1]) end
local old = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]))
if old == nil or old < tonumber(ARGV[2]) then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], top[2])
return 1`,
);

/**
 * KEYS[1] user index, ARGV[1] now. Drops ids whose bound has passed (their sessions expired for
 * sure) and returns the rest. Ids of sessions that ended early may remain; callers filter them.
 */
export const INDEX_MEMBERS = script(
  'index-members',
  `
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then return {} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)`,
);

/** KEYS[1] user index, ARGV: ids to remove. */
export const INDEX_REMOVE = script(
  'index-remove',
  `
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then return 0 end
return redis.call('ZREM', KEYS[1], unpack(ARGV))`,
);

/**
 * KEYS[1] session. Returns {version, expiresAt, userId} (false for a missing field) for a hash,
 * {} for anything else. What `count` needs, without reading the session data.
 */
export const SUMMARY = script(
  'summary',
  `
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return {} end
return redis.call('HMGET', KEYS[1], 'v', 'e', 'u')`,
);
