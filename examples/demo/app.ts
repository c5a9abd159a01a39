import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createSessions, type Sessions } from 'latchkey';
import { withSession } from 'latchkey/node';
import { createAuth, sqliteThrottleStore, sqliteUsers, type Auth } from 'latchkey/auth';
import { createCsrf } from 'latchkey/csrf';
import type { DemoConfig } from './config.js';
import { demoRoutes, type DemoData } from './routes.js';
import { openSessionStore } from './stores.js';

/** A built demo app: not listening until `listen()`. */
export interface DemoApp {
  readonly server: Server;
  readonly sessions: Sessions<DemoData>;
  readonly auth: Auth;
  /** Which session store is in use, for the banner. */
  readonly storeDescription: string;
  /** "created" / "exists" when LATCHKEY_DEMO_USER was given, else null. */
  readonly seeded: 'created' | 'exists' | null;
  /** Starts listening on `config.host:config.port`; resolves to the base URL. */
  listen(): Promise<string>;
  /** Stops listening and releases the store and the database. */
  close(): Promise<void>;
}

/** How often expired sessions and throttle counters are swept (correctness never depends on it). */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Builds the demo: SQLite users and login throttle in `<dataDir>/latchkey.db`, sessions in the
 * configured store, CSRF protection on every form, and the routes of docs/demo.md.
 * Throws (rejects) with a message naming the setting to change when the configuration is wrong.
 */
export async function createDemoApp(config: DemoConfig): Promise<DemoApp> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(config.dataDir, 'latchkey.db'), { timeout: 1000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  let opened;
  try {
    opened = await openSessionStore(config, db);
  } catch (error) {
    db.close();
    throw error;
  }
  const sessions = createSessions<DemoData>({
    store: opened.store,
    ...(config.idleTimeout === undefined ? {} : { idleTimeout: config.idleTimeout }),
    ...(config.absoluteTimeout === undefined ? {} : { absoluteTimeout: config.absoluteTimeout }),
    ...(config.now === undefined ? {} : { now: config.now }),
  });
  const users = sqliteUsers(db);
  const throttle = sqliteThrottleStore(db);
  const auth = createAuth({
    sessions,
    users,
    secret: config.secret,
    throttle: { store: throttle },
    ...(config.hasher === undefined ? {} : { hasher: config.hasher }),
  });
  // The origin is derived from Host and the socket's scheme; set `origin` behind a proxy.
  const csrf = createCsrf();

  let seeded: DemoApp['seeded'] = null;
  if (config.demoUser !== undefined) {
    const { username, password } = config.demoUser;
    if ((await users.findByLogin(username)) === null) {
      const created = await auth.createUser(username, password);
      if (!created.ok) {
        await opened.close();
        db.close();
        throw new Error(`LATCHKEY_DEMO_PASSWORD is not acceptable (${created.problem})`);
      }
      seeded = 'created';
    } else {
      seeded = 'exists';
    }
  }

  const server = createServer(withSession(sessions, demoRoutes({ sessions, auth, users, csrf })));
  const sweep = setInterval(() => {
    const now = sessions.options.now();
    void sessions.purgeExpired().catch(() => {});
    void throttle.deleteExpired(now).catch(() => {});
  }, SWEEP_INTERVAL_MS);
  sweep.unref();

  return {
    server,
    sessions,
    auth,
    storeDescription: opened.description,
    seeded,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          resolve(`http://${displayHost(config.host)}:${String(port)}`);
        });
      }),
    async close() {
      clearInterval(sweep);
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      });
      await opened.close();
      db.close();
    },
  };
}

/** The host to print in URLs: wildcard addresses become localhost, IPv6 gets brackets. */
function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
