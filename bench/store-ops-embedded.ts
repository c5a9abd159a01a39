/**
 * Embedded stores micro-benchmark: operations per second of get, update (touch and one-key patch)
 * and create for the SQLite store (file in WAL mode, and in-memory) and the file store, plus the
 * disk space a typical session takes in each.
 *
 *   node --conditions=latchkey-source --import tsx bench/store-ops-embedded.ts [seconds-per-op]
 *
 * Works in a temporary directory it removes at the end. Each operation runs with 32 requests in
 * flight for the given time (default 2 s). SQLite calls are synchronous, so "in flight" only
 * matters for the file store.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Store } from '../src/core/store.js';
import { fileStore } from '../src/stores/file.js';
import { sqliteStore } from '../src/stores/sqlite.js';
import { measureOps, typicalRecord } from './store-ops-lib.js';

const SECONDS = Number(process.argv[2] ?? 2);
const SESSIONS = 1000;

async function bench(label: string, store: Store): Promise<void> {
  console.log(label);
  const records = Array.from({ length: SESSIONS }, (_, i) => typicalRecord(`user-${i % 100}`));
  for (const r of records) await store.create(r, Date.now());
  const pick = (i: number): string => records[i % records.length]?.id ?? '';
  await measureOps('get', SECONDS, (i) => store.get(pick(i), Date.now()));
  await measureOps('update (touch)', SECONDS, (i) => {
    const now = Date.now();
    return store.update(pick(i), { lastSeenAt: now, expiresAt: now + 1_800_000 }, now);
  });
  await measureOps('update (set one key)', SECONDS, (i) => {
    const now = Date.now();
    return store.update(
      pick(i),
      { set: { views: String(i) }, lastSeenAt: now, expiresAt: now + 1_800_000 },
      now,
    );
  });
  await measureOps('create (user session)', SECONDS, () =>
    store.create(typicalRecord(), Date.now()),
  );
}

function du(path: string): number {
  const info = statSync(path);
  if (!info.isDirectory()) return info.blocks * 512;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), info.blocks * 512);
}

const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
try {
  const sqliteFile = sqliteStore({ database: join(dir, 'bench.db') });
  await bench('sqlite (file, WAL)', sqliteFile);
  await sqliteFile.close();

  const memory = new Database(':memory:');
  await bench('sqlite (in-memory)', sqliteStore({ database: memory }));
  memory.close();

  await bench('file store', fileStore({ directory: join(dir, 'files') }));

  // Space: 10 000 typical sessions, 10 per user, freshly written.
  console.log('disk space per session (10 000 typical sessions, 10 per user)');
  const sized = sqliteStore({ database: join(dir, 'size.db') });
  const files = fileStore({ directory: join(dir, 'size-files') });
  for (let i = 0; i < 10_000; i++) {
    const record = typicalRecord(`user-${i % 1000}`);
    await sized.create(record, Date.now());
    await files.create(record, Date.now());
  }
  await sized.close(); // checkpoints the WAL into the main file
  const sample = typicalRecord();
  console.log(`  record as JSON               ${JSON.stringify(sample).length} bytes`);
  console.log(
    `  sqlite file                  ${Math.round(du(join(dir, 'size.db')) / 10_000)} bytes`,
  );
  console.log(
    `  file store (blocks used)     ${Math.round(du(join(dir, 'size-files')) / 10_000)} bytes`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
