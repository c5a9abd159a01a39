import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteStore } from '../../src/stores/sqlite.js';
import { concurrencyScenarios } from './scenarios.js';

const directory = mkdtempSync(join(tmpdir(), 'latchkey-concurrency-sqlite-'));

concurrencyScenarios('sqlite', {
  setup: () => sqliteStore({ database: join(directory, 'sessions.db') }),
  teardown: async (store) => {
    await store.close?.();
    rmSync(directory, { recursive: true, force: true });
  },
});
