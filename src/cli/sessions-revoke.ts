import type { SessionRecord, Store } from '../core/store.js';
import { publicIdOf } from '../core/token.js';
import { CliError } from './cli-error.js';
import { printable } from './session-format.js';
import type { OpenedStore } from './store-from-env.js';

/** Options of `latchkey sessions revoke`: exactly one of a public id, `user` or `all`. */
export interface RevokeOptions {
  readonly publicId?: string | undefined;
  readonly user?: string | undefined;
  readonly all?: boolean | undefined;
  /** Required with `all`. */
  readonly yes?: boolean | undefined;
}

/** A public id as `latchkey sessions list` shows it: 16 lower-case hex characters. */
const PUBLIC_ID = /^[0-9a-f]{16}$/;

/** Page size of the walks through `store.list`. */
const PAGE = 500;

function needList(store: Store): NonNullable<Store['list']> {
  if (store.list === undefined) {
    throw new CliError(
      'this store cannot list every session (a Redis Cluster client); revoke with --user <id>',
    );
  }
  return store.list.bind(store);
}

/** Calls `visit` with every live session the store lists (each once). */
async function eachSession(
  store: Store,
  now: number,
  visit: (records: SessionRecord[]) => Promise<void>,
): Promise<void> {
  const list = needList(store);
  const seen = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await list(now, { cursor, limit: PAGE });
    const fresh = page.records.filter((r) => !seen.has(r.id));
    for (const r of fresh) seen.add(r.id);
    await visit(fresh);
    cursor = page.cursor ?? undefined;
  } while (cursor !== undefined);
}

/** Checks that exactly one target was given; throws a CliError (exit 1) saying what to pass. */
export function checkRevokeOptions(options: RevokeOptions): void {
  const given = [options.publicId !== undefined, options.user !== undefined, options.all === true];
  if (given.filter(Boolean).length !== 1) {
    throw new CliError(
      'give exactly one of <public-id>, --user <id> or --all (see latchkey sessions revoke --help)',
    );
  }
  if (options.publicId !== undefined && !PUBLIC_ID.test(options.publicId)) {
    throw new CliError(
      `"${printable(options.publicId, 40)}" is not a public id (16 hex characters, as sessions list shows)`,
    );
  }
  if (options.all === true && options.yes !== true) {
    throw new CliError('--all ends every session of every user; add --yes to confirm');
  }
}

/**
 * Ends sessions: one by its public id (found by walking the store; exit 1 when no live session
 * has it), every session of a user, or every session. Returns how many ended.
 */
export async function revokeSessions(
  store: Store,
  options: RevokeOptions,
  now = Date.now(),
): Promise<number> {
  checkRevokeOptions(options);
  if (options.user !== undefined) return store.deleteByUser(options.user);
  const { publicId } = options;
  let ended = 0;
  await eachSession(store, now, async (records) => {
    const targets =
      publicId === undefined ? records : records.filter((r) => publicIdOf(r.id) === publicId);
    await Promise.all(targets.map(async (r) => store.delete(r.id)));
    ended += targets.length;
  });
  if (publicId !== undefined && ended === 0) {
    throw new CliError(`no live session has the public id ${publicId}`);
  }
  return ended;
}

/** Runs `latchkey sessions revoke`: prints how many sessions ended. */
export async function runRevoke(opened: OpenedStore, options: RevokeOptions): Promise<void> {
  const ended = await revokeSessions(opened.store, options);
  const what =
    options.user !== undefined
      ? ` of user ${printable(options.user)}`
      : options.publicId !== undefined
        ? ` (${options.publicId})`
        : '';
  process.stdout.write(`ended ${ended} session${ended === 1 ? '' : 's'}${what}\n`);
}
