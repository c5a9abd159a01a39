import { CliError } from './cli-error.js';
import type { OpenedStore } from './store-from-env.js';

/** What `latchkey stats --json` prints. */
export interface Stats {
  readonly store: string;
  readonly location: string;
  /** Sessions a request would find. */
  readonly live: number;
  /** Expired sessions still taking space (what `latchkey purge` removes). */
  readonly expired: number;
  /** Distinct users with at least one live session. */
  readonly users: number;
}

/** Counts the store's sessions; throws a CliError (exit 1) when the store cannot count. */
export async function collectStats(opened: OpenedStore, now = Date.now()): Promise<Stats> {
  if (opened.store.count === undefined) {
    throw new CliError('this store cannot count its sessions (a Redis Cluster client)');
  }
  const counts = await opened.store.count(now);
  return { store: opened.kind, location: opened.location, ...counts };
}

/** Runs `latchkey stats`: a short report, or JSON. */
export async function runStats(opened: OpenedStore, options: { json?: boolean }): Promise<void> {
  const stats = await collectStats(opened);
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify(stats, null, 2)}\n`);
    return;
  }
  const expiredNote = opened.nativeExpiry
    ? ' (the store drops expired sessions itself)'
    : stats.expired > 0
      ? ' (latchkey purge removes them)'
      : '';
  process.stdout.write(
    [
      `store          ${stats.store} (${stats.location})`,
      `live sessions  ${stats.live}`,
      `expired        ${stats.expired}${expiredNote}`,
      `users          ${stats.users} with at least one live session`,
    ].join('\n') + '\n',
  );
}
