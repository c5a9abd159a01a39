import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Duration, Store } from 'latchkey';
import type { PasswordHasher } from 'latchkey/auth';

/** Where sessions live. Users and login throttling always live in SQLite in the data directory. */
export type StoreKind = 'sqlite' | 'memory' | 'redis' | 'postgres' | 'file';

const STORE_KINDS: readonly StoreKind[] = ['sqlite', 'memory', 'redis', 'postgres', 'file'];

/** Everything the demo app needs to start; `loadConfig(process.env)` builds it from the environment. */
export interface DemoConfig {
  /** Listening port. `PORT`, default 3000; 0 picks a free one (tests). */
  readonly port: number;
  /** Listening address. `HOST`, default 127.0.0.1 (loopback only). */
  readonly host: string;
  /** `LATCHKEY_DATA_DIR`, default ./data: SQLite database, generated secret, file store. */
  readonly dataDir: string;
  /** `LATCHKEY_STORE`, default sqlite. */
  readonly store: StoreKind;
  /** `REDIS_URL` (store redis), default redis://127.0.0.1:6379. */
  readonly redisUrl: string;
  /** `DATABASE_URL` (store postgres), required for it. */
  readonly databaseUrl: string | undefined;
  /** `LATCHKEY_SECRET`, or the one kept in `<dataDir>/secret` (generated on first start). */
  readonly secret: string;
  /** True when the secret was generated during this start (the console says so). */
  readonly secretGenerated: boolean;
  /** `LATCHKEY_IDLE_TIMEOUT` / `LATCHKEY_ABSOLUTE_TIMEOUT`, e.g. "30m", "12h". Latchkey's defaults otherwise. */
  readonly idleTimeout: Duration | undefined;
  readonly absoluteTimeout: Duration | undefined;
  /** `LATCHKEY_DEMO_USER` / `LATCHKEY_DEMO_PASSWORD`: a user created at start if missing. */
  readonly demoUser: { readonly username: string; readonly password: string } | undefined;
  /** Redis key prefix and PostgreSQL table of the session store (tests isolate themselves). */
  readonly redisPrefix: string;
  readonly postgresTable: string;
  /** Test hooks, not read from the environment: a clock, a fast hasher, a ready-made store. */
  readonly now?: () => number;
  readonly hasher?: PasswordHasher;
  readonly sessionStore?: Store;
}

/** A configuration problem, reported at start-up with what to change. */
export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
}

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new DemoConfigError(`PORT must be a port number (0-65535), got ${JSON.stringify(value)}`);
  }
  return n;
}

function storeKind(value: string | undefined): StoreKind {
  const kind = (value ?? 'sqlite').trim().toLowerCase();
  const found = STORE_KINDS.find((k) => k === kind);
  if (found === undefined) {
    throw new DemoConfigError(
      `LATCHKEY_STORE must be one of ${STORE_KINDS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return found;
}

function duration(value: string | undefined): Duration | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  // Plain digits are milliseconds; anything else ("90s", "1h30m") is checked by createSessions.
  return /^\d+$/.test(value.trim()) ? Number(value) : value.trim();
}

/**
 * The secret keys the credential fingerprints and throttle counters (latchkey/auth). Taken from
 * LATCHKEY_SECRET, else from `<dataDir>/secret`, else generated (32 random bytes) and written there
 * with mode 0600 so restarts keep sessions valid.
 */
function secret(env: NodeJS.ProcessEnv, dataDir: string): { secret: string; generated: boolean } {
  const given = env.LATCHKEY_SECRET;
  if (given !== undefined && given !== '') {
    if (Buffer.byteLength(given) < 32) {
      throw new DemoConfigError(
        'LATCHKEY_SECRET must be at least 32 bytes; generate one with `npx latchkey keygen`',
      );
    }
    return { secret: given, generated: false };
  }
  const file = join(dataDir, 'secret');
  try {
    const kept = readFileSync(file, 'utf8').trim();
    if (kept.length >= 32) return { secret: kept, generated: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const fresh = randomBytes(32).toString('base64url');
  writeFileSync(file, `${fresh}\n`, { mode: 0o600 });
  return { secret: fresh, generated: true };
}

/** Builds the configuration from environment variables; throws DemoConfigError on bad values. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const dataDir = resolve(env.LATCHKEY_DATA_DIR ?? './data');
  const store = storeKind(env.LATCHKEY_STORE);
  const databaseUrl = env.DATABASE_URL === '' ? undefined : env.DATABASE_URL;
  if (store === 'postgres' && databaseUrl === undefined) {
    throw new DemoConfigError(
      'LATCHKEY_STORE=postgres needs DATABASE_URL, e.g. postgres://user@127.0.0.1:5432/app',
    );
  }
  const user = env.LATCHKEY_DEMO_USER;
  const password = env.LATCHKEY_DEMO_PASSWORD;
  if ((user === undefined) !== (password === undefined)) {
    throw new DemoConfigError('set both LATCHKEY_DEMO_USER and LATCHKEY_DEMO_PASSWORD, or neither');
  }
  const kept = secret(env, dataDir);
  return {
    port: port(env.PORT),
    host: env.HOST ?? '127.0.0.1',
    dataDir,
    store,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl,
    secret: kept.secret,
    secretGenerated: kept.generated,
    idleTimeout: duration(env.LATCHKEY_IDLE_TIMEOUT),
    absoluteTimeout: duration(env.LATCHKEY_ABSOLUTE_TIMEOUT),
    demoUser:
      user !== undefined && password !== undefined ? { username: user, password } : undefined,
    redisPrefix: 'latchkey-demo:',
    postgresTable: 'latchkey_demo_sessions',
  };
}
