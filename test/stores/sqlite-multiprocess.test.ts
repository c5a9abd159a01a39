import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sqliteStore } from '../../src/stores/sqlite.js';
import { sampleRecord } from '../../src/testing/conformance.js';
import { runWorkers } from './fixtures-file-worker.js';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-sqlite-mp-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sqlite store shared by several processes', () => {
  it('two processes patching different keys of one session 100 times each lose nothing', async () => {
    const path = join(dir, 'shared.db');
    const store = sqliteStore({ database: path });
    const record = sampleRecord({ data: { before: '"kept"' } });
    await store.create(record, Date.now());
    const count = 100;
    const results = await runWorkers(
      ['a', 'b'].map((prefix) => ({
        store: 'sqlite',
        location: path,
        id: record.id,
        prefix,
        count,
      })),
    );
    for (const result of results)
      assert.deepEqual(result, { applied: count, refused: 0, errors: [] });
    const data = (await store.get(record.id, Date.now()))?.data ?? {};
    assert.equal(Object.keys(data).length, 2 * count + 1);
    assert.equal(data.before, '"kept"');
    for (let i = 0; i < count; i++) {
      assert.equal(data[`a-${i}`], String(i));
      assert.equal(data[`b-${i}`], String(i));
    }
    await store.close();
  });
});
