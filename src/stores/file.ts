import { readdir, readFile, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { applyPatch, type SessionPatch, type SessionRecord, type Store } from '../core/store.js';
import { errorCode, fileLayout, ignoreMissing } from './file-layout.js';
import { withLock, type LockTimings } from './file-lock.js';
import { decodeRecord, SESSION_ID } from './file-record.js';
import { invalidRecordReporter, type InvalidRecordEvent } from './invalid-record.js';

export { FILE_VERSION } from './file-record.js';
export type { InvalidRecordEvent } from './invalid-record.js';

/** Options of {@link fileStore}. */
export interface FileStoreOptions {
  /**
   * Directory holding the sessions; created (mode 0700) on first use. Give it to this store alone:
   * it holds `sessions/` (one `<id>.json` per session, mode 0600), `users/` (the per-user index)
   * and `locks/`. Files hold session data in clear: keep the directory off web roots and backups
   * you would not trust with it.
   */
  readonly directory: string;
  /**
   * fsync each session file before renaming it into place. Default false: a crash of the process
   * never loses or corrupts a write either way (writes are atomic renames), but without fsync a
   * power loss or kernel crash can lose the last writes, or leave a file that reads as no session.
   */
  readonly fsync?: boolean;
  /** How long (ms) a write waits for another process's lock on the same session. Default 2000. */
  readonly lockTimeout?: number;
  /**
   * A lock older than this (ms) is broken as abandoned, as is at once a lock whose holder process
   * on this host has died. Default 10 000. A holder stalled longer than this can lose a patch.
   */
  readonly staleLockTimeout?: number;
  /**
   * Called with the session's public id and a reason when a session file cannot be read (corrupt
   * JSON, a missing field, another format version). It reads as no session either way. Default:
   * one process warning for the first such file, then silence. A hook that throws is turned into
   * a warning.
   */
  readonly onInvalidRecord?: (event: InvalidRecordEvent) => void;
}

/** The file store: a {@link Store} with a sweep. */
export interface FileStore extends Store {
  /**
   * Removes expired session files and their index entries, index entries of sessions that are
   * gone, and temporary files abandoned by crashed writers. Reads every session file: run it from
   * a periodic job (`sessions.purgeExpired()`), not per request. With `limit`, stops after
   * removing `limit` files (the next call lists the directory again); the index is swept by the
   * call that finds fewer than `limit` to remove.
   */
  deleteExpired(now: number, limit?: number): Promise<number>;
  /**
   * Pages through live sessions in id order (the cursor is the last id seen). Lists the directory
   * on every page and reads each file of the page. Administration only.
   */
  list(
    now: number,
    options: { readonly cursor?: string | undefined; readonly limit: number },
  ): Promise<{ records: SessionRecord[]; cursor: string | null }>;
  /** Counts live and expired session files and distinct live users; reads every file. */
  count(now: number): Promise<{ live: number; expired: number; users: number }>;
}

/** Temporary files older than this are leftovers of a crashed writer. */
const ABANDONED_TEMP_MS = 3_600_000;

function checkMs(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`fileStore: "${name}" must be a non-negative integer of ms, got ${value}`);
  }
  return value;
}

/**
 * Sessions as files, one JSON file per session in a directory (like Flask-Session's filesystem
 * type): no server to run, sessions survive restarts, and several processes on one machine (or
 * sharing a local or NFS directory) can use the same directory.
 *
 * - Writes are atomic: a temporary file in the same directory renamed over the old one, so a
 *   reader sees the old or the new session, never half of one.
 * - A patch is a read-modify-write under a per-session lock file (see file-lock.ts), so patches
 *   to different keys from concurrent processes never erase each other.
 * - The per-user index is a directory of empty files per user (`users/<sha256(userId)>/<id>`),
 *   written before the session file and removed after it: it may list sessions that are gone,
 *   never miss a live one.
 * - Names that are not 64 hex characters are never used as paths: they read as no session.
 *
 * Nothing starts at construction: no timer, no I/O. Expired files stay on disk (invisible) until
 * `deleteExpired` sweeps them. A disk error (full, read-only, permissions) rejects, which the core
 * turns into a 503, and leaves the previous version of the session in place.
 *
 * @example
 * const sessions = createSessions({ store: fileStore({ directory: './data/sessions' }) });
 */
export function fileStore(options: FileStoreOptions): FileStore {
  const { directory, fsync = false } = options;
  if (typeof directory !== 'string' || directory === '') {
    throw new TypeError('fileStore: "directory" must be a non-empty path');
  }
  const timings: LockTimings = {
    timeout: checkMs(options.lockTimeout ?? 2000, 'lockTimeout'),
    stale: checkMs(options.staleLockTimeout ?? 10_000, 'staleLockTimeout'),
  };
  const layout = fileLayout(directory, fsync);

  const report = invalidRecordReporter('the file store', options.onInvalidRecord);

  /** The record in the file, live or not; null when missing or unreadable (reported). */
  async function read(id: string): Promise<SessionRecord | null> {
    const text = await readFile(layout.sessionPath(id), 'utf8').catch(ignoreMissing);
    if (text === undefined) return null;
    const record = decodeRecord(id, text);
    if (typeof record === 'string') {
      report(id, record);
      return null;
    }
    return record;
  }

  async function readLive(id: string, now: number): Promise<SessionRecord | null> {
    const record = await read(id);
    return record !== null && now < record.expiresAt ? record : null;
  }

  /**
   * Deletes session `id` under its lock. Returns whether a file was removed, and the record it
   * held (read under the same lock, so no update lands between the read and the removal; null
   * when missing or unreadable).
   */
  function remove(
    id: string,
    onlyUser?: string,
  ): Promise<{ removed: boolean; record: SessionRecord | null }> {
    return withLock(layout.lockPath(id), timings, async () => {
      const record = await read(id);
      if (onlyUser !== undefined && record !== null && record.userId !== onlyUser) {
        await layout.removeFromIndex(onlyUser, id); // a stale entry: the id now belongs to someone else
        return { removed: false, record: null };
      }
      let removed = true;
      await unlink(layout.sessionPath(id)).catch((error: unknown) => {
        if (errorCode(error) !== 'ENOENT') throw error;
        removed = false;
      });
      const userId = record?.userId ?? onlyUser;
      if (userId != null) await layout.removeFromIndex(userId, id);
      return { removed, record: removed ? record : null };
    });
  }

  return {
    async get(id: string, now: number) {
      if (!SESSION_ID.test(id)) return null;
      return readLive(id, now);
    },

    async create(record: SessionRecord, now: number) {
      if (!SESSION_ID.test(record.id)) {
        throw new TypeError('fileStore: a session id must be 64 lowercase hex characters');
      }
      await layout.prepare();
      return withLock(layout.lockPath(record.id), timings, async () => {
        if ((await readLive(record.id, now)) !== null) return false;
        // Index first: a crash in between leaves a stale entry, never a session the index misses.
        if (record.userId !== null) await layout.addToIndex(record.userId, record.id);
        await layout.write(record);
        return true;
      });
    },

    async update(id: string, patch: SessionPatch, now: number) {
      if (!SESSION_ID.test(id)) return false;
      await layout.prepare();
      return withLock(layout.lockPath(id), timings, async () => {
        const record = await readLive(id, now);
        if (record === null) return false; // never upsert: a deleted session stays deleted
        await layout.write(applyPatch(record, patch));
        return true;
      });
    },

    async delete(id: string) {
      if (!SESSION_ID.test(id)) return null;
      await layout.prepare();
      return (await remove(id)).record;
    },

    async listByUser(userId: string, now: number) {
      const records = await Promise.all(
        (await layout.indexed(userId)).map((id) => readLive(id, now)),
      );
      return records.filter((r): r is SessionRecord => r !== null && r.userId === userId);
    },

    async deleteByUser(userId: string, exceptId?: string) {
      await layout.prepare();
      let count = 0;
      for (const id of await layout.indexed(userId)) {
        if (id !== exceptId && (await remove(id, userId)).removed) count++;
      }
      return count;
    },

    async deleteExpired(now: number, limit = Infinity) {
      await layout.prepare();
      let count = 0;
      for (const name of await readdir(layout.sessionsDir)) {
        if (count >= limit) return count;
        if (name.endsWith('.tmp')) {
          const info = await stat(join(layout.sessionsDir, name)).catch(ignoreMissing);
          if (info !== undefined && Date.now() - info.mtimeMs > ABANDONED_TEMP_MS) {
            await unlink(join(layout.sessionsDir, name)).catch(ignoreMissing);
          }
          continue;
        }
        const id = name.slice(0, -'.json'.length);
        if (!name.endsWith('.json') || !SESSION_ID.test(id)) continue;
        const seen = await read(id);
        if (seen === null || seen.expiresAt > now) continue; // unreadable files are left for a human
        const removed = await withLock(layout.lockPath(id), timings, async () => {
          const record = await read(id); // it may have been updated since
          if (record === null || record.expiresAt > now) return false;
          await unlink(layout.sessionPath(id)).catch(ignoreMissing);
          if (record.userId !== null) await layout.removeFromIndex(record.userId, id);
          return true;
        });
        if (removed) count++;
      }
      await sweepIndex();
      return count;
    },

    async list(now: number, { cursor, limit }: { cursor?: string | undefined; limit: number }) {
      const after = cursor ?? '';
      const ids = (await sessionIds()).filter((id) => id > after).sort();
      const page = ids.slice(0, limit);
      const records = (await Promise.all(page.map((id) => readLive(id, now)))).filter(
        (r): r is SessionRecord => r !== null,
      );
      return { records, cursor: ids.length > limit ? (page.at(-1) ?? null) : null };
    },

    async count(now: number) {
      let live = 0;
      let expired = 0;
      const users = new Set<string>();
      for (const id of await sessionIds()) {
        const record = await read(id);
        if (record === null) continue;
        if (record.expiresAt <= now) {
          expired++;
        } else {
          live++;
          if (record.userId !== null) users.add(record.userId);
        }
      }
      return { live, expired, users: users.size };
    },
  };

  /** Ids of the session files present (temporary files and foreign names left out). */
  async function sessionIds(): Promise<string[]> {
    const names = (await readdir(layout.sessionsDir).catch(ignoreMissing)) ?? [];
    return names
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .filter((id) => SESSION_ID.test(id));
  }

  /** Drops index entries whose session file is gone, and empty user directories. */
  async function sweepIndex(): Promise<void> {
    for (const user of await readdir(layout.usersDir)) {
      const dir = join(layout.usersDir, user);
      for (const id of (await readdir(dir).catch(ignoreMissing)) ?? []) {
        if (!SESSION_ID.test(id)) continue;
        if ((await stat(layout.sessionPath(id)).catch(ignoreMissing)) !== undefined) continue;
        // Under the session's lock, a create in progress has written both files or neither.
        await withLock(layout.lockPath(id), timings, async () => {
          if ((await stat(layout.sessionPath(id)).catch(ignoreMissing)) === undefined) {
            await unlink(join(dir, id)).catch(ignoreMissing);
          }
        });
      }
      await rmdir(dir).catch((error: unknown) => {
        if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes(errorCode(error) as string)) throw error;
      });
    }
  }
}
