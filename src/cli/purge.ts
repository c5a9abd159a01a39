import type { Store } from '../core/store.js';
import { CliError } from './cli-error.js';
import { progress as defaultProgress, type Progress } from './progress.js';
import type { OpenedStore } from './store-from-env.js';

/** Options of `latchkey purge`. */
export interface PurgeOptions {
  /** Records removed per store call (and per progress step). */
  readonly batch: number;
}

/**
 * Removes every record expired at `now`, `batch` at a time, reporting progress after each batch.
 * Returns how many it removed. Throws a CliError (exit 1) for a store without a sweep.
 */
export async function purgeExpired(
  store: Store,
  options: PurgeOptions,
  now = Date.now(),
  makeProgress: (total: number | undefined) => Progress = (total) =>
    defaultProgress('purging expired sessions', total),
): Promise<number> {
  const sweep = store.deleteExpired?.bind(store);
  if (sweep === undefined) throw new CliError('this store has no sweep (deleteExpired)');
  const total = store.count === undefined ? undefined : (await store.count(now)).expired;
  const bar = makeProgress(total);
  let done = 0;
  for (;;) {
    const removed = await sweep(now, options.batch);
    done += removed;
    bar.update(done);
    if (removed < options.batch) break;
  }
  bar.finish(done);
  return done;
}

/** Runs `latchkey purge`: prints the total removed on stdout. */
export async function runPurge(opened: OpenedStore, options: PurgeOptions): Promise<void> {
  if (opened.nativeExpiry || opened.store.deleteExpired === undefined) {
    process.stdout.write(
      `nothing to purge: ${opened.kind} drops expired sessions itself (native expiry)\n`,
    );
    return;
  }
  const removed = await purgeExpired(opened.store, options);
  process.stdout.write(`purged ${removed} expired session${removed === 1 ? '' : 's'}\n`);
}
