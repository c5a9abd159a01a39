import type { SessionRecord } from '../core/store.js';
import { publicIdOf } from '../core/token.js';

/**
 * How `latchkey sessions list` shows sessions. Everything in a record that came from a client (user
 * agent, IP) or an app (user id) is untrusted: control characters are replaced before it reaches
 * the terminal, so a crafted User-Agent cannot move the cursor, recolour or rewrite the admin's
 * screen. The store id is never shown, only the public id.
 */

/** One session as `--json` prints it. Times are ISO 8601 (UTC). */
export interface ListedSession {
  readonly publicId: string;
  readonly userId: string | null;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly persistent: boolean;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly authTime: string | null;
  readonly authMethod: string | null;
}

function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/** The JSON shape of a record (no data, no store id). */
export function listedSession(record: SessionRecord): ListedSession {
  const { ip, userAgent, authTime, authMethod } = record.meta;
  return {
    publicId: publicIdOf(record.id),
    userId: record.userId,
    createdAt: iso(record.createdAt),
    lastSeenAt: iso(record.lastSeenAt),
    expiresAt: iso(record.expiresAt),
    persistent: record.persistent,
    ip: ip ?? null,
    userAgent: userAgent ?? null,
    authTime: typeof authTime === 'number' ? iso(authTime) : null,
    authMethod: authMethod ?? null,
  };
}

/** `text` safe for a terminal: C0/C1 controls and DEL become `?`, then cut to `max` characters. */
export function printable(text: string, max = Infinity): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** A time as `YYYY-MM-DD HH:MM` in UTC, short enough for a table. */
function short(ms: number): string {
  return iso(ms).slice(0, 16).replace('T', ' ');
}

/** The records as an aligned text table, in the order given. `*` marks remember-me sessions. */
export function renderSessions(records: readonly SessionRecord[]): string {
  const rows = [
    ['PUBLIC ID', 'USER', 'CREATED (UTC)', 'LAST SEEN', 'EXPIRES', 'IP', 'USER AGENT'],
    ...records.map((r) => [
      publicIdOf(r.id),
      r.userId === null ? '(anonymous)' : printable(r.userId, 32),
      short(r.createdAt),
      short(r.lastSeenAt),
      short(r.expiresAt) + (r.persistent ? ' *' : ''),
      printable(r.meta.ip ?? '-', 39),
      printable(r.meta.userAgent ?? '-', 40),
    ]),
  ];
  const last = rows[0]?.length ?? 0;
  const widths = Array.from({ length: last }, (_, i) =>
    Math.max(...rows.map((row) => (row[i] ?? '').length)),
  );
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i < last - 1 ? cell.padEnd(widths[i] ?? 0) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
