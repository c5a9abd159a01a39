import type { SessionMeta, SessionRecord } from '../core/store.js';

/**
 * Turning rows into records and back. Reading is defensive: a row this release cannot read (hand
 * edited, corrupted, or written by an older schema) is reported as a reason, never thrown.
 */

/** The columns every query selects, in the shape {@link decodeRow} reads. */
export const COLUMNS =
  'id, user_id, data::text AS data, created_at, last_seen_at, absolute_expires_at, expires_at, ' +
  'idle_timeout, persistent, meta::text AS meta';

/**
 * A row as node-postgres returns it. bigint columns arrive as strings by default, or as numbers
 * or BigInts when the app installed its own type parser; jsonb is selected as text so an app-wide
 * JSON parser cannot change what we read.
 */
export interface SessionRow {
  readonly id: unknown;
  readonly user_id: unknown;
  readonly data: unknown;
  readonly created_at: unknown;
  readonly last_seen_at: unknown;
  readonly absolute_expires_at: unknown;
  readonly expires_at: unknown;
  readonly idle_timeout: unknown;
  readonly persistent: unknown;
  readonly meta: unknown;
}

/** Why a row was not readable; `reason` names the first bad column. */
export interface DecodeFailure {
  readonly reason: string;
}

const INTEGER_TEXT = /^-?\d{1,16}$/;

function integer(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && INTEGER_TEXT.test(value)) n = Number(value);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

function jsonObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Record<string, unknown>)
    : undefined;
}

function isData(value: Record<string, unknown>): value is Record<string, string> {
  return Object.values(value).every((v) => typeof v === 'string');
}

function isMeta(value: Record<string, unknown>): value is SessionMeta {
  return Object.values(value).every(
    (v) => typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number',
  );
}

/**
 * Reads one row. Returns a fresh record (nothing shared with other callers), or the reason it is
 * unreadable. JSON.parse makes `__proto__` an own property, never a prototype, so a hostile row
 * cannot pollute objects.
 */
export function decodeRow(row: SessionRow): SessionRecord | DecodeFailure {
  const { id, user_id: userId, persistent } = row;
  if (typeof id !== 'string') return { reason: 'id is not text' };
  if (userId !== null && typeof userId !== 'string') return { reason: 'user_id is not text' };
  if (typeof persistent !== 'boolean') return { reason: 'persistent is not a boolean' };
  const data = jsonObject(row.data);
  // An older schema stored parsed values here; this one stores each value's JSON text.
  if (data === undefined || !isData(data)) return { reason: 'data is not an object of strings' };
  const meta = jsonObject(row.meta);
  if (meta === undefined || !isMeta(meta)) return { reason: 'meta is not an object of scalars' };
  const createdAt = integer(row.created_at);
  const lastSeenAt = integer(row.last_seen_at);
  const absoluteExpiresAt = integer(row.absolute_expires_at);
  const expiresAt = integer(row.expires_at);
  const idleTimeout = integer(row.idle_timeout);
  if (
    createdAt === undefined ||
    lastSeenAt === undefined ||
    absoluteExpiresAt === undefined ||
    expiresAt === undefined ||
    idleTimeout === undefined
  ) {
    return { reason: 'a time column is not a safe integer' };
  }
  return {
    id,
    userId,
    data,
    createdAt,
    lastSeenAt,
    absoluteExpiresAt,
    expiresAt,
    idleTimeout,
    persistent,
    meta,
  };
}

/** True when `decodeRow` gave up on the row. */
export function isFailure(value: SessionRecord | DecodeFailure): value is DecodeFailure {
  return 'reason' in value;
}

/**
 * The integers a write sends to bigint columns. A fraction (a custom `now` returning
 * `performance.now()`-style values, a fractional timeout) would be refused by PostgreSQL with a
 * cryptic message; say what is wrong instead.
 */
export function timeParam(value: number | undefined, field: string): number | null {
  if (value === undefined) return null;
  if (!Number.isSafeInteger(value)) {
    throw new TypeError(
      `postgresStore: ${field} must be a whole number of milliseconds, got ${value}; ` +
        'check the `now` option and the timeouts passed to createSessions',
    );
  }
  return value;
}
