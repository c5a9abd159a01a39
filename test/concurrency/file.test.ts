import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore } from '../../src/stores/file.js';
import { concurrencyScenarios } from './scenarios.js';

const directory = mkdtempSync(join(tmpdir(), 'latchkey-concurrency-file-'));

concurrencyScenarios('file', {
  setup: () => fileStore({ directory }),
  teardown: () => {
    rmSync(directory, { recursive: true, force: true });
  },
});
