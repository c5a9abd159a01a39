import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real file system that can be filled: a tmpfs of a few megabytes mounted on a temporary
 * directory. Mounting needs root (or CAP_SYS_ADMIN) and a sandbox that allows it; elsewhere the
 * tests that use it are skipped, loudly, with the reason.
 */
export interface SmallDisk {
  readonly dir: string;
  /** Fills every free page with a filler file, so the next allocation fails with ENOSPC. */
  fill(): Promise<number>;
  /** Deletes the filler: the space is back. */
  free(): Promise<void>;
  /** Unmounts and removes the directory (close files on it first). */
  destroy(): Promise<void>;
}

function code(error: unknown): unknown {
  return (error as NodeJS.ErrnoException | null)?.code;
}

async function mount(bytes: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-faults-disk-'));
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir]);
    return dir;
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function unmount(dir: string): Promise<void> {
  await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
  await rm(dir, { recursive: true, force: true });
}

/**
 * For a suite's `skip`: false when this machine lets us mount a tmpfs, else the reason (also
 * printed). Mounts and unmounts at once, so a suite filtered out of the run (whose hooks never
 * run) leaves nothing mounted; the suite mounts its own disk in `before`.
 */
export async function smallDiskUnavailable(): Promise<string | false> {
  try {
    await unmount(await mount(1 << 20));
    return false;
  } catch (error) {
    const reason = (error as { stderr?: string }).stderr?.trim() || String(error);
    const message = `cannot mount a small tmpfs (${reason}): the real disk-full tests are SKIPPED`;
    console.warn(`\n!!!! ${message} !!!!\n`);
    return message;
  }
}

/** Mounts a tmpfs of `bytes`. */
export async function mountSmallDisk(bytes: number): Promise<SmallDisk> {
  const dir = await mount(bytes);
  const filler = join(dir, 'filler');
  return {
    dir,
    async fill() {
      const handle = await open(filler, 'a');
      let written = 0;
      try {
        // tmpfs allocates whole pages: once a page-sized write fails, no new file gets a byte.
        for (const size of [1 << 20, 4096]) {
          const chunk = Buffer.alloc(size, 0x66);
          for (;;) {
            try {
              written += (await handle.write(chunk)).bytesWritten;
            } catch (error) {
              if (code(error) !== 'ENOSPC') throw error;
              break;
            }
          }
        }
      } finally {
        await handle.close();
      }
      return written;
    },
    async free() {
      await unlink(filler).catch((error: unknown) => {
        if (code(error) !== 'ENOENT') throw error;
      });
    },
    destroy: () => unmount(dir),
  };
}
