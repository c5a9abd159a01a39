import type { SessionMeta } from '../core/store.js';

/**
 * What a sealed cookie carries: the whole session. Field names are one letter because every byte
 * counts against the 4096-byte cookie limit.
 */
export interface SealedState {
  /** Random per-session id (base64url of 16 bytes); new at creation, regenerate and login. */
  readonly sid: string;
  readonly userId: string | null;
  /** Session data, one JSON text per key (as the core keeps it). */
  readonly data: Readonly<Record<string, string>>;
  /** Start of the session's lifetime: creation, or login for a bound session. */
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly absoluteExpiresAt: number;
  readonly idleTimeout: number;
  readonly persistent: boolean;
  /** authTime, authMethod and extension fields given to bindUser. */
  readonly meta: SessionMeta;
}

interface Wire {
  n: string;
  u: string | null;
  d: Record<string, unknown>;
  c: number;
  s: number;
  a: number;
  i: number;
  p?: 1;
  x?: Record<string, unknown>;
}

const SID = /^[A-Za-z0-9_-]{22}$/;

/** JSON for a state; the data texts are spliced in as they are, not parsed and re-encoded. */
export function encodeState(state: SealedState): string {
  const data = Object.entries(state.data)
    .map(([key, text]) => `${JSON.stringify(key)}:${text}`)
    .join(',');
  const rest: Omit<Wire, 'd'> = {
    n: state.sid,
    u: state.userId,
    c: state.createdAt,
    s: state.lastSeenAt,
    a: state.absoluteExpiresAt,
    i: state.idleTimeout,
    ...(state.persistent ? { p: 1 as const } : {}),
    ...(Object.keys(state.meta).length > 0 ? { x: state.meta } : {}),
  };
  return `{"d":{${data}},${JSON.stringify(rest).slice(1)}`;
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function readMeta(value: unknown): SessionMeta | null {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const meta: Record<string, string | number | boolean> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (typeof field !== 'string' && typeof field !== 'number' && typeof field !== 'boolean') {
      return null;
    }
    meta[key] = field;
  }
  return meta;
}

/**
 * Reads a decrypted payload. The text is authenticated, so a failure here means a bug or a payload
 * of another version, never an attack; it still reads as "no session" rather than throwing.
 */
export function decodeState(text: string): SealedState | null {
  let wire: Partial<Wire>;
  try {
    wire = JSON.parse(text) as Partial<Wire>;
  } catch {
    return null;
  }
  if (typeof wire !== 'object' || wire === null) return null;
  const { n, u, d, c, s, a, i, p } = wire;
  if (typeof n !== 'string' || !SID.test(n)) return null;
  if (u !== null && (typeof u !== 'string' || u.length === 0)) return null;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) return null;
  if (!isTime(c) || !isTime(s) || !isTime(a) || !isTime(i)) return null;
  if (p !== undefined && p !== 1) return null;
  const meta = readMeta(wire.x);
  if (meta === null) return null;
  const data = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(d)) data[key] = JSON.stringify(value);
  return {
    sid: n,
    userId: u ?? null,
    data,
    createdAt: c,
    lastSeenAt: s,
    absoluteExpiresAt: a,
    idleTimeout: i,
    persistent: p === 1,
    meta,
  };
}
