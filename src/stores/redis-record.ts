import type { SessionMeta, SessionRecord } from '../core/store.js';

/** Schema version written in field `v`; records of any other version read as unreadable. */
export const SCHEMA_VERSION = '1';

/** Prefix of the hash fields holding session data, one per key. */
export const DATA_FIELD = 'd:';

/**
 * The index bound of a user session: the latest time it may be live without its index entry
 * being extended. `expiresAt <= absoluteExpiresAt` normally holds, so this is the absolute
 * deadline and sliding expiry never needs an index write. An integer, since it also becomes the
 * index key's PEXPIREAT.
 */
export function indexBound(expiresAt: number, absoluteExpiresAt: number): number {
  return Math.ceil(Math.max(expiresAt, absoluteExpiresAt));
}

/** PEXPIREAT takes an integer; never expire natively before the record's own expiry. */
export function pexpireAt(expiresAt: number): string {
  return String(Math.ceil(expiresAt));
}

/** The record as hash field/value pairs, in HSET order. */
export function recordFields(record: SessionRecord): string[] {
  const fields = [
    'v',
    SCHEMA_VERSION,
    'c',
    String(record.createdAt),
    'l',
    String(record.lastSeenAt),
    'a',
    String(record.absoluteExpiresAt),
    'e',
    String(record.expiresAt),
    'i',
    String(record.idleTimeout),
    'p',
    record.persistent ? '1' : '0',
    'm',
    JSON.stringify(record.meta),
  ];
  if (record.userId !== null) {
    fields.push(
      'u',
      record.userId,
      'x',
      String(indexBound(record.expiresAt, record.absoluteExpiresAt)),
    );
  }
  for (const [name, value] of Object.entries(record.data)) fields.push(DATA_FIELD + name, value);
  return fields;
}

/** Why a stored value could not be read as a session. */
export type InvalidReason = 'wrong-type' | 'schema-version' | 'malformed';

/** The outcome of reading a session key: missing, unreadable, or a record (live or not). */
export type ParsedRecord =
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: InvalidReason }
  | { readonly kind: 'record'; readonly record: SessionRecord };

const MISSING: ParsedRecord = { kind: 'missing' };

function invalid(reason: InvalidReason): ParsedRecord {
  return { kind: 'invalid', reason };
}

function number(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

function parseMeta(text: string | undefined): SessionMeta | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  for (const item of Object.values(value)) {
    const type = typeof item;
    if (type !== 'string' && type !== 'number' && type !== 'boolean') return undefined;
  }
  return value as SessionMeta;
}

/** One field of a GET-shaped reply for a hash (undefined when absent or not a hash). */
export function hashField(reply: unknown, field: string): string | undefined {
  if (!Array.isArray(reply) || reply[0] !== 'hash') return undefined;
  for (let i = 1; i + 1 < reply.length; i += 2) {
    const value: unknown = reply[i + 1];
    if (reply[i] === field) return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/**
 * Turns the GET script's reply into a record. Never throws: anything that is not a complete
 * schema-1 hash is `invalid`, with the reason for the operator.
 */
export function parseRecord(id: string, reply: unknown): ParsedRecord {
  if (!Array.isArray(reply) || reply.length === 0) return invalid('malformed');
  const [type, ...flat] = reply as unknown[];
  if (type === 'none') return MISSING;
  if (type !== 'hash') return invalid('wrong-type');
  const fields = new Map<string, string>();
  const data: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    const value = flat[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') return invalid('malformed');
    if (name.startsWith(DATA_FIELD)) data.push([name.slice(DATA_FIELD.length), value]);
    else fields.set(name, value);
  }
  if (fields.get('v') !== SCHEMA_VERSION) return invalid('schema-version');
  const createdAt = number(fields.get('c'));
  const lastSeenAt = number(fields.get('l'));
  const absoluteExpiresAt = number(fields.get('a'));
  const expiresAt = number(fields.get('e'));
  const idleTimeout = number(fields.get('i'));
  const persistent = fields.get('p');
  const meta = parseMeta(fields.get('m'));
  if (
    createdAt === undefined ||
    lastSeenAt === undefined ||
    absoluteExpiresAt === undefined ||
    expiresAt === undefined ||
    idleTimeout === undefined ||
    (persistent !== '1' && persistent !== '0') ||
    meta === undefined
  ) {
    return invalid('malformed');
  }
  return {
    kind: 'record',
    record: {
      id,
      userId: fields.get('u') ?? null,
      // fromEntries defines own properties, so a "__proto__" key stays data.
      data: Object.fromEntries(data),
      createdAt,
      lastSeenAt,
      absoluteExpiresAt,
      expiresAt,
      idleTimeout,
      persistent: persistent === '1',
      meta,
    },
  };
}
