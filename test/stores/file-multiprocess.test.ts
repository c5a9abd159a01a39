import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileStore } from '../../src/stores/file.js';
import { sampleRecord } from '../../src/testing/conformance.js';
import { assertConcurrentPatchesKept, runWorkers } from './fixtures-file-worker.js';

const root = mkdtempSync(join(tmpdir(), 'latchkey-file-mp-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('file store shared by several processes', () => {
  it('two processes patching different keys of one session 100 times each lose nothing', async () => {
    const directory = join(root, 'shared');
    const store = fileStore({ directory });
    const id = await assertConcurrentPatchesKept(store, 'file', directory);
    assert.deepEqual(readdirSync(join(directory, 'locks')), []);
    assert.deepEqual(readdirSync(join(directory, 'sessions')), [`${id}.json`]);
  });

  // Root ignores file permissions, so when the tests run as root the writer runs as `nobody`.
  const asRoot = process.getuid?.() === 0;
  const writer = asRoot ? { uid: 65534, gid: 65534 } : undefined;

  for (const readOnly of ['sessions', 'locks'] as const) {
    it(`a write into a read-only ${readOnly}/ directory rejects and leaves the session intact`, async () => {
      const directory = join(root, `read-only-${readOnly}`);
      const store = fileStore({ directory });
      const record = sampleRecord({ data: { a: '"original"' } });
      await store.create(record, Date.now());
      const file = join(directory, 'sessions', `${record.id}.json`);
      const before = readFileSync(file, 'utf8');
      chmodSync(root, 0o755);
      chmodSync(directory, 0o755);
      chmodSync(file, 0o644);
      chmodSync(join(directory, 'sessions'), readOnly === 'sessions' ? 0o555 : 0o755);
      chmodSync(join(directory, 'locks'), readOnly === 'locks' ? 0o555 : 0o777);
      try {
        const [result] = await runWorkers(
          [{ store: 'file', location: directory, id: record.id, prefix: 'x', count: 1 }],
          writer,
        );
        assert.deepEqual(result, { applied: 0, refused: 0, errors: ['EACCES'] });
      } finally {
        chmodSync(join(directory, 'sessions'), 0o700);
        chmodSync(join(directory, 'locks'), 0o700);
      }
      assert.equal(readFileSync(file, 'utf8'), before);
      assert.deepEqual(
        readdirSync(join(directory, 'sessions')),
        [`${record.id}.json`],
        'no temp file left',
      );
      assert.deepEqual(readdirSync(join(directory, 'locks')), [], 'no lock left');
      assert.deepEqual(await store.get(record.id, Date.now()), record);
    });
  }
});
