import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { checkTableName, settle } from './sql.js';
import { normalizeLogin, type User, type UserStore } from './users.js';

/** Options of {@link sqliteUsers}. */
export interface SqliteUsersOptions {
  /** Table name (letters, digits, underscore; optionally `schema.table`). Default `"latchkey_users"`. */
  readonly table?: string;
}

interface Row {
  id: string;
  login: string;
  password_hash: string | null;
  disabled: number;
}

function toUser(row: Row | undefined): User | null {
  if (row === undefined) return null;
  return {
    id: row.id,
    login: row.login,
    passwordHash: row.password_hash,
    disabled: row.disabled !== 0,
  };
}

/**
 * Users in a SQLite table, through a better-sqlite3 `Database` you open (and close). Creates the
 * table if it does not exist: `id TEXT PRIMARY KEY, login TEXT UNIQUE, password_hash TEXT,
 * disabled INTEGER`. Logins are stored normalised (`normalizeLogin`).
 */
export function sqliteUsers(db: Database, options: SqliteUsersOptions = {}): Required<UserStore> {
  const table = checkTableName(options.table ?? 'latchkey_users', 'sqliteUsers');
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0
  )`);
  const byLogin = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE login = ?`);
  const byId = db.prepare<[string], Row>(`SELECT * FROM ${table} WHERE id = ?`);
  const setHash = db.prepare(`UPDATE ${table} SET password_hash = ? WHERE id = ?`);
  const setDisabled = db.prepare(`UPDATE ${table} SET disabled = ? WHERE id = ?`);
  const insert = db.prepare(
    `INSERT INTO ${table} (id, login, password_hash, disabled) VALUES (?, ?, ?, 0)`,
  );
  return {
    findByLogin: (login) => settle(() => toUser(byLogin.get(normalizeLogin(login)))),
    findById: (id) => settle(() => toUser(byId.get(id))),
    updatePasswordHash: (id, hash) =>
      settle(() => {
        setHash.run(hash, id);
      }),
    setDisabled: (id, disabled) =>
      settle(() => {
        setDisabled.run(disabled ? 1 : 0, id);
      }),
    create: (login, passwordHash) =>
      settle(() => {
        const user: User = {
          id: randomUUID(),
          login: normalizeLogin(login),
          passwordHash,
          disabled: false,
        };
        insert.run(user.id, user.login, passwordHash);
        return user;
      }),
  };
}
