import { ConfigurationError } from '../core/errors.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * @internal Checks a SQL table name once, at start-up (it is interpolated into statements).
 * Accepts `table` or `schema.table`, each part letters, digits and underscores.
 * @throws ConfigurationError naming the owner and the bad value.
 */
export function checkTableName(table: string, owner: string): string {
  if (typeof table !== 'string' || !table.split('.').every((part) => IDENTIFIER.test(part))) {
    throw new ConfigurationError(
      `${owner}: table ${JSON.stringify(table)} must be letters, digits and underscores (optionally "schema.table")`,
    );
  }
  return table;
}

/**
 * @internal Runs a synchronous driver call (better-sqlite3) as a promise, so a throw becomes a
 * rejection as the async contracts require.
 */
export function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
