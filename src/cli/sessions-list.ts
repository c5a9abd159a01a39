import type { SessionRecord, Store } from '../core/store.js';
import { CliError } from './cli-error.js';
import { listedSession, printable, renderSessions } from './session-format.js';
import type { OpenedStore } from './store-from-env.js';

/** Options of `latchkey sessions list`. */
export interface ListOptions {
  /** Only this user's sessions (through the store's per-user index). */
  readonly user?: string | undefined;
  /** At most this many sessions are shown. */
  readonly limit: number;
  readonly json?: boolean | undefined;
}

/** What the command found: the sessions to show, and whether there were more. */
export interface ListResult {
  readonly records: SessionRecord[];
  readonly more: boolean;
}

/** Largest page asked of the store at once. */
const PAGE = 500;

/**
 * Up to `limit` live sessions: a user's (every one, through `listByUser`), or the store's first
 * ones in its own order (through the optional `list`). Either way shown most recently used first.
 * Throws a CliError (exit 1) when the store cannot list every session.
 */
export async function listSessions(
  store: Store,
  options: ListOptions,
  now = Date.now(),
): Promise<ListResult> {
  let found: SessionRecord[];
  let more = false;
  if (options.user !== undefined) {
    const user = options.user;
    found = (await store.listByUser(user, now)).filter(
      (r) => r.userId === user && r.expiresAt > now,
    );
  } else {
    if (store.list === undefined) {
      throw new CliError(
        'this store cannot list every session (a Redis Cluster client); use --user <id>',
      );
    }
    const seen = new Map<string, SessionRecord>();
    let cursor: string | undefined;
    for (;;) {
      const page = await store.list(now, { cursor, limit: Math.min(PAGE, options.limit + 1) });
      // Redis SCAN may return a session twice: keep each once.
      for (const record of page.records) seen.set(record.id, record);
      if (page.cursor === null) break;
      cursor = page.cursor;
      if (seen.size > options.limit) {
        more = true;
        break;
      }
    }
    found = [...seen.values()];
  }
  if (found.length > options.limit) more = true;
  found.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  return { records: found.slice(0, options.limit), more };
}

/** Runs `latchkey sessions list`: prints a table (or JSON) on stdout, notes on stderr. */
export async function runList(opened: OpenedStore, options: ListOptions): Promise<void> {
  const { records, more } = await listSessions(opened.store, options);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(records.map(listedSession), null, 2)}\n`);
  } else if (records.length === 0) {
    process.stdout.write(
      options.user === undefined
        ? 'no live sessions\n'
        : `no live sessions for user ${printable(options.user)}\n`,
    );
  } else {
    process.stdout.write(`${renderSessions(records)}\n`);
    const persistent = records.some((r) => r.persistent) ? ' (* remember me)' : '';
    process.stdout.write(
      `\n${records.length} session${records.length === 1 ? '' : 's'}${persistent}\n`,
    );
  }
  if (more) {
    process.stderr.write(
      `latchkey: more than ${options.limit} sessions; showing ${options.limit} (raise --limit to see more)\n`,
    );
  }
}
