import { randomUUID } from 'node:crypto';
import type { Pool } from 'pg';
import { checkTableName } from './sql.js';
import { normalizeLogin, type User, type UserStore } from './users.js';

/** Options of {@link postgresUsers}. */
export interface PostgresUsersOptions {
  /** Table name (letters, digits, underscore; optionally `schema.table`). Default `"latchkey_users"`. */
  readonly table?: string;
}

interface Row {
  id: string;
  login: string;
  password_hash: string | null;
  disabled: boolean;
}

function toUser(row: Row | undefined): User | null {
  if (row === undefined) return null;
  return { id: row.id, login: row.login, passwordHash: row.password_hash, disabled: row.disabled };
}

/**
 * Users in a PostgreSQL table, through a `pg` Pool you create (and end). The table
 * (`id text PRIMARY KEY, login text UNIQUE, password_hash text, disabled boolean`) is created with
 * `CREATE TABLE IF NOT EXISTS` before the first query of this process. Logins are stored normalised
 * (`normalizeLogin`).
 */
export function postgresUsers(pool: Pool, options: PostgresUsersOptions = {}): Required<UserStore> {
  const table = checkTableName(options.table ?? 'latchkey_users', 'postgresUsers');
  let ready: Promise<unknown> | null = null;

  async function query(text: string, values: unknown[]): Promise<Row[]> {
    ready ??= pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${table} (
          id text PRIMARY KEY,
          login text NOT NULL UNIQUE,
          password_hash text,
          disabled boolean NOT NULL DEFAULT false
        )`,
      )
      .catch((error: unknown) => {
        ready = null; // try again on the next call: the database may be back
        throw error;
      });
    await ready;
    return (await pool.query<Row>(text, values)).rows;
  }

  return {
    findByLogin: async (login) =>
      toUser((await query(`SELECT * FROM ${table} WHERE login = $1`, [normalizeLogin(login)]))[0]),
    findById: async (id) => toUser((await query(`SELECT * FROM ${table} WHERE id = $1`, [id]))[0]),
    async updatePasswordHash(id, hash) {
      await query(`UPDATE ${table} SET password_hash = $2 WHERE id = $1`, [id, hash]);
    },
    async setDisabled(id, disabled) {
      await query(`UPDATE ${table} SET disabled = $2 WHERE id = $1`, [id, disabled]);
    },
    async create(login, passwordHash) {
      const rows = await query(
        `INSERT INTO ${table} (id, login, password_hash) VALUES ($1, $2, $3) RETURNING *`,
        [randomUUID(), normalizeLogin(login), passwordHash],
      );
      return toUser(rows[0]) as User;
    },
  };
}
