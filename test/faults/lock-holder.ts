import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';

/**
 * Another process holding SQLite's write lock, as a migration, a backup or `latchkey purge` would:
 * it opens the file with better-sqlite3, runs BEGIN EXCLUSIVE, does some work of its own, and
 * commits `ms` later by its own clock, so how long the lock lasts does not depend on this
 * process's event loop (which better-sqlite3 blocks while it waits for the lock).
 */
export interface LockHolder {
  /** When the lock was taken and released, on this process's performance.now() clock. */
  readonly locked: number;
  readonly released: Promise<number>;
}

const SCRIPT = `
const [driver, path, ms] = process.argv.slice(1);
const Database = require(driver);
const db = new Database(path, { timeout: 5000 });
const at = () => performance.timeOrigin + performance.now();
db.exec('BEGIN EXCLUSIVE');
console.log('locked ' + at());
db.exec('CREATE TABLE IF NOT EXISTS other_work (n INTEGER); INSERT INTO other_work VALUES (42)');
setTimeout(() => {
  db.exec('COMMIT');
  console.log('released ' + at());
  db.close();
}, Number(ms));
`;

/** Epoch milliseconds (from another process) on this process's performance.now() clock. */
const local = (epoch: number): number => epoch - performance.timeOrigin;

export async function holdLock(path: string, ms: number): Promise<LockHolder> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(process.execPath, ['-e', SCRIPT, driver, path, String(ms)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = once(child, 'exit');
  const next = async (word: string): Promise<number> => {
    const line: IteratorResult<string, unknown> = await lines.next();
    const [seen, at] = line.done === true ? [] : line.value.split(' ');
    if (seen !== word) {
      const [code] = (await exited) as [number | null];
      const got = line.done === true ? 'end of output' : line.value;
      throw new Error(`lock holder: expected "${word}", got ${got} (exit ${String(code)})`);
    }
    return local(Number(at));
  };
  const locked = await next('locked');
  const released = next('released').then(async (at) => {
    await exited;
    return at;
  });
  released.catch(() => undefined);
  return { locked, released };
}
