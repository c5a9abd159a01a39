import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorCode } from './file-layout.js';

/**
 * Per-session lock files for the file store: a lock is a file created with O_CREAT|O_EXCL
 * (`'wx'`), which the kernel creates for exactly one process at a time, on local disks and on
 * NFSv3+ alike. The holder writes `pid host nonce` into it and deletes it when done.
 *
 * A lock whose holder died (crash, kill -9) would block its session forever, so a waiter breaks a
 * lock when its holder is a process on this host that no longer exists, or when the lock is older
 * than `stale` ms whoever holds it. Hazard: if a live holder stalls for longer than `stale` (a
 * debugger, a frozen VM) its lock is broken while it still works, and one of two overlapping
 * patches of that session can be lost. Keep `stale` far above the few milliseconds a holder needs.
 */
export interface LockTimings {
  /** Give up (reject) after waiting this long for a lock, in ms. */
  readonly timeout: number;
  /** Break a lock older than this, in ms. */
  readonly stale: number;
}

const HOST = hostname();

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return errorCode(error) === 'ESRCH'; // EPERM: it exists, it is just not ours
  }
}

/** Breaks the lock at `path` if its holder is gone or it is too old. True when it did. */
async function breakIfStale(path: string, stale: number): Promise<boolean> {
  let holder: string;
  let age: number;
  try {
    [holder, age] = await Promise.all([
      readFile(path, 'utf8'),
      stat(path).then((s) => Date.now() - s.mtimeMs),
    ]);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return true; // released meanwhile: try again at once
    throw error;
  }
  const [pid, host] = holder.split(' ');
  const dead =
    host === HOST && pid !== undefined && /^\d+$/.test(pid) && Number(pid) !== process.pid
      ? processIsGone(Number(pid))
      : false;
  if (!dead && age <= stale) return false;
  // Rename first, so that of several waiters breaking the same lock only one succeeds.
  const grave = `${path}.${randomUUID()}.broken`;
  try {
    await rename(path, grave);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return true;
    throw error;
  }
  await unlink(grave).catch(() => undefined);
  return true;
}

async function acquire(path: string, timings: LockTimings, deadline: number): Promise<string> {
  const nonce = `${process.pid} ${HOST} ${randomUUID()}`;
  let delay = 1;
  for (;;) {
    let retryAtOnce = false;
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(nonce);
      } catch (error) {
        // Disk full, say: do not leave an empty lock behind for others to wait on.
        await handle.close();
        await unlink(path).catch(() => undefined);
        throw error;
      }
      await handle.close();
      return nonce;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') {
        // The lock directory was removed under us (someone cleaned the store): recreate it.
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        retryAtOnce = true;
      } else if (code === 'EEXIST') {
        retryAtOnce = await breakIfStale(path, timings.stale);
      } else {
        throw error;
      }
    }
    if (Date.now() >= deadline) {
      throw new Error(`file store: could not lock ${path} within ${timings.timeout} ms`);
    }
    if (!retryAtOnce) {
      // Exponential backoff with jitter, capped: holders keep a lock for a few milliseconds.
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, 25);
    }
  }
}

async function release(path: string, nonce: string): Promise<void> {
  try {
    // Only delete the lock if it is still ours (it may have been broken as stale).
    if ((await readFile(path, 'utf8')) === nonce) await unlink(path);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}

// Callers in this process queue here first, so they take turns without polling the file system;
// the lock file then serializes them with other processes. Keyed by the lock's absolute path.
const queues = new Map<string, Promise<void>>();

/**
 * Runs `fn` while holding the lock file at `path`. Rejects, without running `fn`, when the lock
 * cannot be had within `timings.timeout` ms (time spent queued behind this process's own callers
 * included).
 */
export async function withLock<T>(
  path: string,
  timings: LockTimings,
  fn: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + timings.timeout;
  const key = resolve(path);
  const previous = queues.get(key) ?? Promise.resolve();
  let done = (): void => undefined;
  const turn = new Promise<void>((settle) => {
    done = settle;
  });
  const tail = previous.then(() => turn);
  queues.set(key, tail);
  try {
    await previous;
    const nonce = await acquire(path, timings, deadline);
    try {
      return await fn();
    } finally {
      await release(path, nonce);
    }
  } finally {
    done();
    if (queues.get(key) === tail) queues.delete(key);
  }
}
