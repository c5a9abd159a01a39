import { after } from 'node:test';
import { postgresStore } from '../../src/stores/postgres.js';
import { dropTables, sharedDatabase, uniqueTable } from '../stores/postgres-env.js';
import { concurrencyScenarios } from './scenarios.js';

const { pool, skip } = await sharedDatabase();
const table = uniqueTable('concurrency');

after(async () => {
  if (!skip) await dropTables(pool, [table]);
  await pool.end();
});

concurrencyScenarios('postgres', { skip, setup: () => postgresStore({ pool, table }) });
