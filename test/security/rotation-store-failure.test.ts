import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import { withSession } from '../../src/adapters/node.js';
import type { Store } from '../../src/core/store.js';
import { hashToken } from '../../src/core/token.js';
import { memoryStore, type MemoryStore } from '../../src/stores/memory.js';
import { Client, listen, type TestServer } from '../helpers/http.js';

// SEC-21: a rotation (regenerate, login) creates the new record before it deletes the old one, so a
// store failing part-way through never leaves the user without a session. The request itself fails
// closed (503): the client keeps its old cookie and the old session, with its data, goes on working.
// The rotation then tries to remove the new record, whose token was never sent to anyone; with the
// store still failing that fails too, and the orphan expires on its own (test/core/rotation.test.ts
// covers a store that recovers in between).

const COOKIE = '__Host-sid';
type Operation = 'create' | 'delete';
type Mode = 'throws' | 'rejects';

/**
 * The memory store (which answers synchronously) with one operation switched to fail the way a
 * synchronous driver fails (a throw) or an asynchronous one does (a rejection).
 */
function breakableStore(inner: MemoryStore) {
  const failing = { operation: null as Operation | null, mode: 'rejects' as Mode };
  const fail = <T>(operation: Operation, run: () => T): T | Promise<never> => {
    if (failing.operation !== operation) return run();
    const error = new Error(`${operation}: connection reset (simulated)`);
    if (failing.mode === 'throws') throw error;
    return Promise.reject(error);
  };
  const store: Store = {
    get: (id, now) => inner.get(id, now),
    create: (record, now) => fail('create', () => inner.create(record, now)),
    update: (id, patch, now) => inner.update(id, patch, now),
    delete: (id) => fail('delete', () => inner.delete(id)),
    listByUser: (userId, now) => inner.listByUser(userId, now),
    deleteByUser: (userId, exceptId) => inner.deleteByUser(userId, exceptId),
  };
  return { store, failing };
}

interface App {
  readonly server: TestServer;
  readonly sessions: Sessions;
  readonly inner: MemoryStore;
  readonly failing: { operation: Operation | null; mode: Mode };
}

async function startApp(): Promise<App> {
  const inner = memoryStore();
  const { store, failing } = breakableStore(inner);
  const sessions = createSessions({ store });
  const server = await listen(
    withSession(sessions, async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const session = req.session;
      switch (url.pathname) {
        case '/set':
          await session.set(url.searchParams.get('key') ?? 'k', url.searchParams.get('value'));
          break;
        case '/regenerate':
          await session.regenerate();
          break;
        case '/login':
          await session.bindUser(url.searchParams.get('user') ?? 'alice');
          break;
      }
      res.setHeader('Content-Type', 'application/json');
      res.end(
        JSON.stringify({
          user: await session.userId(),
          data: Object.fromEntries(await session.entries()),
        }),
      );
    }),
  );
  return { server, sessions, inner, failing };
}

async function state(client: Client): Promise<{ user: string | null; data: object }> {
  const response = await client.request('/state');
  assert.equal(response.status, 200);
  return (await response.json()) as { user: string | null; data: object };
}

describe('SEC-21: a store failing in the middle of a rotation', () => {
  let app: App;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.server.close();
  });

  for (const mode of ['throws', 'rejects'] as const) {
    for (const via of ['regenerate', 'login'] as const) {
      const path = via === 'login' ? '/login?user=alice' : '/regenerate';

      it(`${via}: delete ${mode} after the create: 503, the old session and its data live on`, async () => {
        const client = new Client(app.server.url);
        await client.request('/set?key=cart&value=book', { method: 'POST' });
        const oldToken = client.cookies.get(COOKIE);
        assert.ok(oldToken, 'a stored session');
        const recordsBefore = app.inner.size;

        app.failing.operation = 'delete';
        app.failing.mode = mode;
        let response: Response;
        try {
          response = await client.request(path, { method: 'POST' });
        } finally {
          app.failing.operation = null;
        }
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('retry-after'), '1');
        assert.deepEqual(response.headers.getSetCookie(), [], 'no new token handed out');
        assert.equal(client.cookies.get(COOKIE), oldToken);

        // The old session is intact and still works, as it was before the failed request.
        assert.deepEqual(await state(client), { user: null, data: { cart: 'book' } });
        assert.ok(await app.inner.get(hashToken(oldToken), Date.now()), 'old record kept');
        await client.request('/set?key=after&value=outage', { method: 'POST' });
        assert.deepEqual(await state(client), {
          user: null,
          data: { cart: 'book', after: 'outage' },
        });
        // The created record is the only trace: one orphan, whose token nobody holds.
        assert.equal(app.inner.size, recordsBefore + 1);

        // Once the store answers again, the same rotation goes through and kills the old token.
        const retried = await client.request(path, { method: 'POST' });
        assert.equal(retried.status, 200);
        const newToken = client.cookies.get(COOKIE);
        assert.ok(newToken && newToken !== oldToken, 'a new token');
        assert.equal(await app.inner.get(hashToken(oldToken), Date.now()), null);
        assert.deepEqual(await state(client), {
          user: via === 'login' ? 'alice' : null,
          data: { cart: 'book', after: 'outage' },
        });
      });
    }
  }

  it('create failing: 503, and the old session is untouched (it is never deleted first)', async () => {
    const client = new Client(app.server.url);
    await client.request('/set?key=cart&value=book', { method: 'POST' });
    const oldToken = client.cookies.get(COOKIE);
    assert.ok(oldToken, 'a stored session');
    const recordsBefore = app.inner.size;
    for (const path of ['/regenerate', '/login?user=bob']) {
      app.failing.operation = 'create';
      let response: Response;
      try {
        response = await client.request(path, { method: 'POST' });
      } finally {
        app.failing.operation = null;
      }
      assert.equal(response.status, 503, path);
      assert.deepEqual(response.headers.getSetCookie(), [], path);
      assert.deepEqual(await state(client), { user: null, data: { cart: 'book' } }, path);
    }
    assert.equal(app.inner.size, recordsBefore, 'nothing created, nothing deleted');
    assert.deepEqual(await app.sessions.listByUser('bob'), []);
  });
});
