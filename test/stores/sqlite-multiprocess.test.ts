import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sqliteStore } from '../../src/stores/sqlite.js';
import { assertConcurrentPatchesKept } from './fixtures-file-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-sqlite-mp-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite store shared by several processes', () => {
  it('two processes patching different keys of one session 100 times each lose nothing', async () => {
    const path = join(dir, 'shared.db');
    const store = sqliteStore({ database: path });
    await assertConcurrentPatchesKept(store, 'sqlite', path);
    await store.close();
  });
});
