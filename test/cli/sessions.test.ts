import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createSessions } from '../../src/core/manager.js';
import type { Store } from '../../src/core/store.js';
import { sqliteStore } from '../../src/stores/sqlite.js';
import { redisStore } from '../../src/stores/redis.js';
import { postgresStore } from '../../src/stores/postgres.js';
import type { ListedSession } from '../../src/cli/session-format.js';
import type { Stats } from '../../src/cli/stats.js';
import { DATABASE_URL, freePort, REDIS_URL, requireService } from '../helpers/services.js';
import { deleteByPrefix, ioredisOptions, redisReachable } from '../stores/redis-helpers.js';
import { dropTables, sharedDatabase, uniqueTable } from '../stores/postgres-env.js';

// `latchkey sessions|purge|stats` run as a real process against real stores, chosen by the same
// environment variables as the demo. Sessions are created through createSessions on the same
// store, the way an app would.

const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const DAY = 86_400_000;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function cli(args: readonly string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=latchkey-source', '--import', 'tsx', main, ...args],
      { env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function noStackTrace(run: Run): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
}

/** The parts of a backend the shared scenario needs. */
interface Backend {
  /** Environment selecting this store in the CLI. */
  readonly env: Record<string, string>;
  /** The same store, opened by the test. */
  readonly store: Store;
  /** False for Redis: it drops expired sessions itself, so none can be left to purge. */
  readonly sweeps: boolean;
  /** Environment pointing the CLI at a store that is not there. */
  readonly unreachable: () => Promise<Record<string, string>>;
  /** What the one-line error says when it is not there. */
  readonly unreachableMessage: RegExp;
}

/** Creates a session the way an app does; returns its public id. */
async function login(
  store: Store,
  user: string | null,
  options: { ip?: string; userAgent?: string; now?: () => number } = {},
): Promise<string> {
  const sessions = createSessions({ store, ...(options.now ? { now: options.now } : {}) });
  const session = sessions.fromRequest({
    cookie: undefined,
    ip: options.ip ?? '198.51.100.7',
    userAgent: options.userAgent ?? 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
  });
  if (user === null) await session.set('cart', ['book']);
  else await session.bindUser(user);
  await sessions.commit(session);
  const { publicId } = await session.info();
  assert.ok(publicId);
  return publicId;
}

function scenario(name: string, skip: string | false, setup: () => Promise<Backend>): void {
  describe(`latchkey sessions/purge/stats on ${name}`, { skip }, () => {
    let backend: Backend;
    let run: (...args: string[]) => Promise<Run>;
    const alice = `alice-${randomBytes(3).toString('hex')}`;
    const bob = `bob-${randomBytes(3).toString('hex')}`;
    const ids: Record<string, string> = {};

    before(async () => {
      backend = await setup();
      run = (...args) => cli(args, backend.env);
      ids.alice1 = await login(backend.store, alice, {
        ip: '203.0.113.1',
        userAgent: 'Alice phone',
      });
      ids.alice2 = await login(backend.store, alice, {
        ip: '203.0.113.2',
        userAgent: 'Alice laptop',
      });
      ids.bob = await login(backend.store, bob);
      ids.anonymous = await login(backend.store, null);
      // A hostile User-Agent: terminal escapes that would retitle, clear and recolour the
      // administrator's terminal if printed raw.
      ids.hostile = await login(backend.store, `mallory-${alice}`, {
        userAgent: '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred',
      });
    });

    it('lists every live session, as a table and as JSON', async () => {
      const json = await run('sessions', 'list', '--json');
      assert.equal(json.code, 0, json.stderr);
      const listed = JSON.parse(json.stdout) as ListedSession[];
      assert.deepEqual(
        listed.map((s) => s.publicId).sort(),
        Object.values(ids).sort(),
        'exactly the sessions created',
      );
      const a1 = listed.find((s) => s.publicId === ids.alice1);
      assert.equal(a1?.userId, alice);
      assert.equal(a1?.ip, '203.0.113.1');
      assert.equal(a1?.userAgent, 'Alice phone');
      assert.equal(listed.find((s) => s.publicId === ids.anonymous)?.userId, null);
      assert.doesNotMatch(json.stdout, /[0-9a-f]{64}/, 'store ids (token hashes) are never shown');

      const table = await run('sessions', 'list');
      assert.equal(table.code, 0, table.stderr);
      for (const id of Object.values(ids)) assert.match(table.stdout, new RegExp(id));
      assert.match(table.stdout, /Alice laptop/);
      assert.match(table.stdout, /\(anonymous\)/);
      assert.match(table.stdout, /5 sessions/);
    });

    it('never prints control characters from a session to the terminal', async () => {
      const table = await run('sessions', 'list');
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(table.stdout, /[\u0000-\u0008\u000b-\u001f\u007f]/);
      assert.match(table.stdout, /\?\]0;pwned\?\?\[2J\?\[31mred/);
      // JSON escapes them, so a program reading it still gets the original value.
      const json = await run('sessions', 'list', '--json', '--user', `mallory-${alice}`);
      const [hostile] = JSON.parse(json.stdout) as ListedSession[];
      assert.equal(hostile?.userAgent, '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred');
    });

    it('lists one user with --user, and says when --limit hides some', async () => {
      const json = await run('sessions', 'list', '--user', alice, '--json');
      assert.equal(json.code, 0, json.stderr);
      const listed = JSON.parse(json.stdout) as ListedSession[];
      assert.deepEqual(listed.map((s) => s.publicId).sort(), [ids.alice1, ids.alice2].sort());
      const limited = await run('sessions', 'list', '--limit', '2', '--json');
      assert.equal((JSON.parse(limited.stdout) as unknown[]).length, 2);
      assert.match(limited.stderr, /more than 2 sessions/);
      const nobody = await run('sessions', 'list', '--user', 'nobody-at-all');
      assert.equal(nobody.code, 0);
      assert.match(nobody.stdout, /no live sessions for user nobody-at-all/);
    });

    it('counts live sessions and users (stats)', async () => {
      const stats = await run('stats', '--json');
      assert.equal(stats.code, 0, stats.stderr);
      const parsed = JSON.parse(stats.stdout) as Stats;
      assert.deepEqual(
        { live: parsed.live, expired: parsed.expired, users: parsed.users },
        { live: 5, expired: 0, users: 3 },
        'alice (2), bob, mallory and one anonymous session',
      );
      const text = await run('stats');
      assert.match(text.stdout, /live sessions\s+5/);
    });

    it('revokes one session by public id, and fails for an unknown one', async () => {
      const revoked = await run('sessions', 'revoke', ids.alice1 ?? '');
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /ended 1 session/);
      const left = await backend.store.listByUser(alice, Date.now());
      assert.equal(left.length, 1, 'only the other session of alice remains');
      assert.notEqual(left[0]?.id.slice(0, 16), ids.alice1);

      const again = await run('sessions', 'revoke', ids.alice1 ?? '');
      assert.equal(again.code, 1);
      assert.match(again.stderr, /no live session has the public id/);
      noStackTrace(again);
      const malformed = await run('sessions', 'revoke', 'not-a-public-id');
      assert.equal(malformed.code, 1);
      assert.match(malformed.stderr, /is not a public id/);
    });

    it('revokes every session of a user', async () => {
      const revoked = await run('sessions', 'revoke', '--user', bob);
      assert.equal(revoked.code, 0, revoked.stderr);
      assert.match(revoked.stdout, /ended 1 session of user bob-/);
      assert.deepEqual(await backend.store.listByUser(bob, Date.now()), []);
      assert.equal(
        (await backend.store.listByUser(alice, Date.now())).length,
        1,
        'alice untouched',
      );
    });

    it('refuses bad revoke usage with the help text', async () => {
      const none = await run('sessions', 'revoke');
      assert.equal(none.code, 1);
      assert.match(none.stderr, /exactly one of <public-id>, --user <id> or --all/);
      assert.match(none.stderr, /Usage: latchkey sessions revoke/);
      const two = await run('sessions', 'revoke', '--user', alice, '--all', '--yes');
      assert.equal(two.code, 1);
      assert.equal((await backend.store.listByUser(alice, Date.now())).length, 1, 'nothing ended');
    });

    it('purges exactly the expired sessions', async () => {
      const twoDaysAgo = (): number => Date.now() - 2 * DAY;
      if (!backend.sweeps) {
        const purge = await run('purge');
        assert.equal(purge.code, 0, purge.stderr);
        assert.match(purge.stdout, /nothing to purge: redis drops expired sessions itself/);
        return;
      }
      for (let i = 0; i < 5; i++) await login(backend.store, null, { now: twoDaysAgo });
      const before = JSON.parse((await run('stats', '--json')).stdout) as Stats;
      assert.equal(before.expired, 5);
      const purge = await run('purge', '--batch', '2');
      assert.equal(purge.code, 0, purge.stderr);
      assert.match(purge.stdout, /purged 5 expired sessions/);
      const afterwards = JSON.parse((await run('stats', '--json')).stdout) as Stats;
      assert.deepEqual(
        [afterwards.live, afterwards.expired],
        [before.live, 0],
        'every live session stays',
      );
      assert.match((await run('purge')).stdout, /purged 0 expired sessions/);
    });

    it('revokes every session only with --all --yes', async () => {
      const refused = await run('sessions', 'revoke', '--all');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /add --yes/);
      const live = (JSON.parse((await run('stats', '--json')).stdout) as Stats).live;
      assert.equal(live, 3, 'alice, mallory and the anonymous session are still there');
      const all = await run('sessions', 'revoke', '--all', '--yes');
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /ended 3 sessions/);
      const stats = JSON.parse((await run('stats', '--json')).stdout) as Stats;
      assert.equal(stats.live, 0);
      assert.match((await run('sessions', 'list')).stdout, /no live sessions/);
    });

    it('exits 2 with one clear line when the store is not there', async () => {
      const down = await cli(['stats'], await backend.unreachable());
      assert.equal(down.code, 2);
      assert.match(down.stderr, backend.unreachableMessage);
      assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
      noStackTrace(down);
    });
  });
}

// SQLite (the default store): a data directory of our own, as the demo lays it out.
const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-cli-'));
let sqlite: ReturnType<typeof sqliteStore> | undefined;
scenario('sqlite', false, async () => {
  sqlite = sqliteStore({ database: join(dataDir, 'latchkey.db') });
  await sqlite.ready();
  return {
    env: { LATCHKEY_STORE: '', LATCHKEY_DATA_DIR: dataDir },
    store: sqlite,
    sweeps: true,
    unreachable: () =>
      Promise.resolve({ LATCHKEY_STORE: '', LATCHKEY_DATA_DIR: join(dataDir, 'missing') }),
    unreachableMessage: /^latchkey: no SQLite database at .*missing.*set LATCHKEY_DATA_DIR/,
  };
});
after(async () => {
  await sqlite?.close();
  await rm(dataDir, { recursive: true, force: true });
});

// Redis: a key prefix of our own.
const redisSkip = await requireService('Redis', redisReachable);
const prefix = `latchkey-cli-test:${randomBytes(4).toString('hex')}:`;
const redis = new Redis(REDIS_URL, { ...ioredisOptions, lazyConnect: true });
scenario('redis', redisSkip, async () => {
  await redis.connect();
  return {
    env: { LATCHKEY_STORE: 'redis', REDIS_URL, LATCHKEY_REDIS_PREFIX: prefix },
    store: redisStore({ client: redis, prefix }),
    sweeps: false,
    unreachable: async () => ({
      LATCHKEY_STORE: 'redis',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    }),
    unreachableMessage:
      /^latchkey: cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+.*check REDIS_URL/,
  };
});
after(async () => {
  if (redis.status === 'ready') await deleteByPrefix(redis, prefix);
  redis.disconnect();
});

// PostgreSQL: a table of our own.
const { pool, skip: pgSkip } = await sharedDatabase();
const table = uniqueTable('cli');
scenario('postgres', pgSkip, async () => {
  const store = postgresStore({ pool, table });
  await store.migrate();
  return {
    env: { LATCHKEY_STORE: 'postgres', DATABASE_URL, LATCHKEY_PG_TABLE: table },
    store,
    sweeps: true,
    unreachable: async () => ({
      LATCHKEY_STORE: 'postgres',
      DATABASE_URL: `postgres://postgres:secret-password@127.0.0.1:${await freePort()}/test`,
    }),
    unreachableMessage:
      /^latchkey: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/test .*check DATABASE_URL/,
  };
});
after(async () => {
  if (!pgSkip) await dropTables(pool, [table]);
  await pool.end();
});

describe('latchkey CLI usage', () => {
  it('explains every new command with --help, naming the store variables', async () => {
    for (const args of [
      ['sessions', '--help'],
      ['sessions', 'list', '--help'],
      ['sessions', 'revoke', '--help'],
      ['purge', '--help'],
      ['stats', '--help'],
    ]) {
      const help = await cli(args, {});
      assert.equal(help.code, 0, `${args.join(' ')}: ${help.stderr}`);
      assert.match(help.stdout, /Usage: latchkey/);
      assert.match(help.stdout, /LATCHKEY_STORE/);
    }
  });

  it('rejects bad options and bad variables with a message, exit code 1', async () => {
    const limit = await cli(['sessions', 'list', '--limit', 'lots'], {});
    assert.equal(limit.code, 1);
    assert.match(limit.stderr, /--limit <n>.*expected a whole number/);
    assert.match(limit.stderr, /Usage: latchkey sessions list/);
    const kind = await cli(['stats'], { LATCHKEY_STORE: 'mongodb' });
    assert.equal(kind.code, 1);
    assert.match(
      kind.stderr,
      /LATCHKEY_STORE must be one of sqlite, memory, redis, postgres, file/,
    );
    noStackTrace(kind);
    const pg = await cli(['stats'], { LATCHKEY_STORE: 'postgres', DATABASE_URL: '' });
    assert.equal(pg.code, 1);
    assert.match(pg.stderr, /needs DATABASE_URL/);
  });

  it('warns that a memory store in the command sees no app sessions', async () => {
    const stats = await cli(['stats', '--json'], { LATCHKEY_STORE: 'memory' });
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stderr, /sees no app sessions/);
    assert.equal((JSON.parse(stats.stdout) as Stats).live, 0);
  });
});
