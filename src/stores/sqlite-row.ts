import type { SessionMeta, SessionRecord } from '../core/store.js';
import { ROW_VERSION } from './sqlite-schema.js';

/** A row as better-sqlite3 returns it. Every column is `unknown` until checked. */
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
  readonly version: unknown;
}

/** The columns of one row in the order the INSERT statement names them. */
export function toRow(record: SessionRecord): Record<string, string | number | null> {
  return {
    id: record.id,
    user_id: record.userId,
    data: JSON.stringify(record.data),
    created_at: record.createdAt,
    last_seen_at: record.lastSeenAt,
    absolute_expires_at: record.absoluteExpiresAt,
    expires_at: record.expiresAt,
    idle_timeout: record.idleTimeout,
    persistent: record.persistent ? 1 : 0,
    meta: JSON.stringify(record.meta),
    version: ROW_VERSION,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseObject(text: unknown): Record<string, unknown> | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/**
 * Turns a row into a record, or returns the reason it cannot (corrupt JSON, wrong column types,
 * a row written with another encoding version). Never throws: rows are data, not code.
 */
export function fromRow(row: SessionRow): SessionRecord | string {
  if (row.version !== ROW_VERSION) {
    return `row version ${String(row.version)} is not the supported ${ROW_VERSION}`;
  }
  if (typeof row.id !== 'string') return 'id is not text';
  if (row.user_id !== null && typeof row.user_id !== 'string') return 'user_id is not text';
  const data = parseObject(row.data);
  if (data === undefined) return 'data is not a JSON object';
  if (!Object.values(data).every((v) => typeof v === 'string')) {
    return 'data holds a value that is not a serialized string';
  }
  const meta = parseObject(row.meta);
  if (meta === undefined) return 'meta is not a JSON object';
  const metaTypes = ['string', 'number', 'boolean'];
  if (!Object.values(meta).every((v) => metaTypes.includes(typeof v))) {
    return 'meta holds a value of an unsupported type';
  }
  const times = [
    row.created_at,
    row.last_seen_at,
    row.absolute_expires_at,
    row.expires_at,
    row.idle_timeout,
  ];
  if (!times.every(isTime)) return 'a time column is not a number';
  if (row.persistent !== 0 && row.persistent !== 1) return 'persistent is not 0 or 1';
  return {
    id: row.id,
    userId: row.user_id,
    data: data as Record<string, string>,
    createdAt: row.created_at as number,
    lastSeenAt: row.last_seen_at as number,
    absoluteExpiresAt: row.absolute_expires_at as number,
    expiresAt: row.expires_at as number,
    idleTimeout: row.idle_timeout as number,
    persistent: row.persistent === 1,
    meta: meta as SessionMeta,
  };
}
