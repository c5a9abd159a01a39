import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Client } from '../helpers/http.js';
import { DATABASE_URL, REDIS_URL, requireService } from '../helpers/services.js';
import { csrfOf, getPage, logIn, postForm, signUp, startTestDemo } from '../e2e/demo.js';

const PASSWORD = 'correct horse battery staple';
const suffix = randomBytes(4).toString('hex');

/** Sign up, see the dashboard, revoke the other session, log out: the whole flow on one store. */
async function flow(env: NodeJS.ProcessEnv, overrides = {}): Promise<void> {
  const demo = await startTestDemo(env, overrides);
  try {
    const a = new Client(demo.url);
    assert.equal((await signUp(a, 'stored', PASSWORD)).status, 303);
    const b = new Client(demo.url);
    assert.equal((await logIn(b, 'stored', PASSWORD)).status, 303);
    assert.match((await getPage(a, '/dashboard')).body, /Welcome back, stored/);
    const sessions = await getPage(a, '/account/sessions');
    assert.equal([...sessions.body.matchAll(/data-session=/g)].length, 2);
    const r = await postForm(a, '/account/sessions/revoke-others', {
      _csrf: csrfOf(sessions.body),
    });
    assert.equal(r.status, 303);
    assert.equal((await b.request('/api/me')).status, 401);
    const out = await postForm(a, '/logout', {
      _csrf: csrfOf((await getPage(a, '/dashboard')).body),
    });
    assert.equal(out.status, 303);
    assert.equal((await a.request('/api/me')).status, 401);
  } finally {
    await demo.close();
  }
}

describe('demo app on every LATCHKEY_STORE', () => {
  it('memory', () => flow({ LATCHKEY_STORE: 'memory' }));
  it('file', () => flow({ LATCHKEY_STORE: 'file' }));

  it('redis (REDIS_URL)', async (t) => {
    const skip = await requireService('Redis', async () => {
      const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await probe.connect();
        await probe.ping();
      } finally {
        probe.disconnect();
      }
    });
    if (skip) {
      t.skip(skip);
      return;
    }
    const prefix = `latchkey-demo-test-${suffix}:`;
    await flow({ LATCHKEY_STORE: 'redis', REDIS_URL }, { redisPrefix: prefix });
    const client = new Redis(REDIS_URL);
    try {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
    } finally {
      client.disconnect();
    }
  });

  it('postgres (DATABASE_URL)', async (t) => {
    const skip = await requireService('PostgreSQL', async () => {
      const client = new pg.Client({
        connectionString: DATABASE_URL,
        connectionTimeoutMillis: 2000,
      });
      await client.connect();
      await client.end();
    });
    if (skip) {
      t.skip(skip);
      return;
    }
    const table = `latchkey_demo_${suffix}`;
    try {
      await flow({ LATCHKEY_STORE: 'postgres', DATABASE_URL }, { postgresTable: table });
    } finally {
      const client = new pg.Client({ connectionString: DATABASE_URL });
      await client.connect();
      await client.query(`DROP TABLE IF EXISTS ${table}`);
      await client.query('DELETE FROM latchkey_schema_migrations WHERE table_name = $1', [table]);
      await client.end();
    }
  });

  it('an unreachable Redis fails the start with a message naming REDIS_URL', async () => {
    await assert.rejects(
      startTestDemo({ LATCHKEY_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:1' }),
      /cannot reach Redis at redis:\/\/127\.0\.0\.1:1.*check REDIS_URL/,
    );
  });

  it('LATCHKEY_STORE=postgres without DATABASE_URL is refused', async () => {
    await assert.rejects(
      startTestDemo({ LATCHKEY_STORE: 'postgres', DATABASE_URL: '' }),
      /needs DATABASE_URL/,
    );
  });
});
