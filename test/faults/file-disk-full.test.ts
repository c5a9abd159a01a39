import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileStore, type FileStore } from '../../src/stores/file.js';
import { runFullScenario } from './disk-full.js';
import { startFaultApp, type FaultApp } from './load.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from './small-disk.js';

/**
 * The file store on a real full file system under load (see disk-full.ts for the scenario): a
 * small tmpfs filled to the last byte while users and new visitors keep writing, then emptied.
 * Needs permission to mount; skipped loudly otherwise.
 */

const noDisk = await smallDiskUnavailable();

describe('file store on a full file system under load', { skip: noDisk }, () => {
  let disk: SmallDisk | undefined;
  let store: FileStore;
  let app: FaultApp;
  let directory: string;
  const unreadable: unknown[] = [];

  before(async () => {
    disk = await mountSmallDisk(16 << 20);
    directory = join(disk.dir, 'sessions');
    store = fileStore({ directory, onInvalidRecord: (event) => unreadable.push(event) });
    app = await startFaultApp(store, { storeTimeout: '2s' });
  });

  after(async () => {
    await app.close();
    await disk?.destroy();
  });

  it('answers 503 ENOSPC, loses no write it acknowledged, and leaves nothing behind', async (t) => {
    const full = disk!;
    await runFullScenario(t, {
      app,
      store,
      async fill() {
        t.diagnostic(`filled the file system with ${await full.fill()} bytes`);
      },
      free: () => full.free(),
      code: 'ENOSPC',
      message: /no space left/i,
    });
    // No lock left to stall a session until it goes stale, no half-written temporary file, and
    // every session file on disk reads back whole.
    assert.deepEqual(await readdir(join(directory, 'locks')), []);
    const files = await readdir(join(directory, 'sessions'));
    assert.deepEqual(
      files.filter((name) => !name.endsWith('.json')),
      [],
    );
    const { live } = await store.count(Date.now());
    assert.equal(live, files.length);
    assert.deepEqual(unreadable, []);
  });
});
