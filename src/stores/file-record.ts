import type { SessionMeta, SessionRecord } from '../core/store.js';

/**
 * The on-disk format of one session file: the record's fields plus `version`, the format of the
 * file. A file of another version (written by an older or newer Latchkey sharing the directory)
 * reads as no session and is reported; it is never reinterpreted.
 */
export const FILE_VERSION = 1;

/** Store ids are SHA-256 hex: the only names ever used as file names. */
export const SESSION_ID = /^[0-9a-f]{64}$/;

/** The file contents for `record`. */
export function encodeRecord(record: SessionRecord): string {
  return JSON.stringify({
    version: FILE_VERSION,
    id: record.id,
    userId: record.userId,
    data: record.data,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    expiresAt: record.expiresAt,
    idleTimeout: record.idleTimeout,
    persistent: record.persistent,
    meta: record.meta,
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

const META_TYPES = new Set(['string', 'number', 'boolean']);

/**
 * Parses the file of session `id`, or returns why it cannot (corrupt JSON, a missing or mistyped
 * field, another format version, a record that names another id). Never throws.
 */
export function decodeRecord(id: string, text: string): SessionRecord | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'file is not valid JSON';
  }
  if (!isObject(doc)) return 'file is not a JSON object';
  if (doc.version !== FILE_VERSION) {
    return `file version ${String(doc.version)} is not the supported ${FILE_VERSION}`;
  }
  const { userId, data, meta, createdAt, lastSeenAt, absoluteExpiresAt, expiresAt, idleTimeout } =
    doc;
  if (doc.id !== id) return 'file holds another session id';
  if (userId !== null && typeof userId !== 'string') return 'userId is not a string or null';
  if (!isObject(data) || !Object.values(data).every((v) => typeof v === 'string')) {
    return 'data is not an object of serialized strings';
  }
  if (!isObject(meta) || !Object.values(meta).every((v) => META_TYPES.has(typeof v))) {
    return 'meta is not an object of strings, numbers and booleans';
  }
  if (
    !isTime(createdAt) ||
    !isTime(lastSeenAt) ||
    !isTime(absoluteExpiresAt) ||
    !isTime(expiresAt) ||
    !isTime(idleTimeout)
  ) {
    return 'a time field is not a number';
  }
  if (typeof doc.persistent !== 'boolean') return 'persistent is not a boolean';
  return {
    id,
    userId,
    data: data as Record<string, string>,
    createdAt,
    lastSeenAt,
    absoluteExpiresAt,
    expiresAt,
    idleTimeout,
    persistent: doc.persistent,
    meta: meta as SessionMeta,
  };
}
