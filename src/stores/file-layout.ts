import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionRecord } from '../core/store.js';
import { encodeRecord, SESSION_ID } from './file-record.js';

/** The error code of a failed fs call. */
export function errorCode(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** `.catch(ignoreMissing)`: a file that is not there is undefined; any other error rethrows. */
export function ignoreMissing(error: unknown): undefined {
  if (errorCode(error) === 'ENOENT') return undefined;
  throw error;
}

/**
 * Where the file store keeps things, and the writes that must be done one way only:
 *
 * ```
 * <directory>/sessions/<id>.json           one session (mode 0600), replaced by atomic rename
 * <directory>/sessions/.<id>.<rand>.tmp    a write in progress (or abandoned by a crash)
 * <directory>/users/<sha256(userId)>/<id>  empty file: "session <id> belongs to this user"
 * <directory>/locks/<id>.lock              held while a process changes session <id>
 * ```
 *
 * User ids are hashed so that any string is a safe, fixed-length directory name.
 */
export function fileLayout(directory: string, fsync: boolean) {
  const sessionsDir = join(directory, 'sessions');
  const usersDir = join(directory, 'users');
  const locksDir = join(directory, 'locks');
  const userDir = (userId: string): string =>
    join(usersDir, createHash('sha256').update(userId).digest('hex'));

  let ready: Promise<void> | undefined;

  return {
    sessionsDir,
    usersDir,
    sessionPath: (id: string): string => join(sessionsDir, `${id}.json`),
    lockPath: (id: string): string => join(locksDir, `${id}.lock`),
    userDir,

    /** Creates the directories (mode 0700) once; a failure is forgotten so the next call retries. */
    prepare(): Promise<void> {
      ready ??= Promise.all(
        [sessionsDir, usersDir, locksDir].map((d) => mkdir(d, { recursive: true, mode: 0o700 })),
      ).then(
        () => undefined,
        (error: unknown) => {
          ready = undefined;
          throw error;
        },
      );
      return ready;
    },

    /**
     * Writes the session file atomically: a temporary file in the same directory (so the rename
     * never crosses file systems), renamed over the old one. With `fsync`, the file is synced
     * before the rename and the directory after it. On failure the
     * temporary file is removed and the old session file is untouched.
     */
    async write(record: SessionRecord): Promise<void> {
      const temp = join(sessionsDir, `.${record.id}.${randomBytes(6).toString('hex')}.tmp`);
      try {
        const handle = await open(temp, 'wx', 0o600);
        try {
          await handle.writeFile(encodeRecord(record));
          if (fsync) await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, join(sessionsDir, `${record.id}.json`));
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
      // The rename itself is durable once the directory is synced (not possible on Windows).
      if (fsync && process.platform !== 'win32') {
        const dir = await open(sessionsDir, 'r');
        try {
          await dir.sync();
        } finally {
          await dir.close();
        }
      }
    },

    /** Records that session `id` belongs to `userId`. */
    async addToIndex(userId: string, id: string): Promise<void> {
      const dir = userDir(userId);
      // A sweep may remove the user's empty directory between mkdir and the write: try again.
      for (let attempt = 0; ; attempt++) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        try {
          await (await open(join(dir, id), 'w', 0o600)).close();
          return;
        } catch (error) {
          if (errorCode(error) !== 'ENOENT' || attempt >= 3) throw error;
        }
      }
    },

    async removeFromIndex(userId: string, id: string): Promise<void> {
      await unlink(join(userDir(userId), id)).catch(ignoreMissing);
    },

    /** Ids the index lists for `userId`: a superset of the user's live sessions. */
    async indexed(userId: string): Promise<string[]> {
      const names = await readdir(userDir(userId)).catch(ignoreMissing);
      return (names ?? []).filter((name) => SESSION_ID.test(name));
    },
  };
}
