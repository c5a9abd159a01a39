import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../helpers/http.js';
import { memoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/core/store.js';
import { argon2Hasher } from '../../src/auth/password.js';
import { createAuth } from '../../src/auth/create-auth.js';
import { createSessions } from '../../src/core/manager.js';
import { memoryUsers } from '../../src/auth/users-memory.js';
import { ConfigurationError } from '../../src/core/errors.js';
import type { AuthEvents } from '../../src/auth/events.js';
import { SECRET, addUser, fastHasher, post, startApp, type TestApp } from './app.js';

const PASSWORD = 'correct horse battery staple';

async function login(client: Client, login: string, password: string, extra = {}) {
  return client.request('/login', post({ login, password, ...extra }));
}

describe('login and logout over HTTP', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
    await addUser(app.users, 'alice@example.com', PASSWORD);
    await addUser(app.users, 'bob@example.com', PASSWORD);
  });
  after(() => app.close());

  it('logs in with the right password and the protected route sees the user', async () => {
    const client = new Client(app.url);
    const res = await login(client, 'alice@example.com', PASSWORD);
    assert.equal(res.status, 200);
    const me = await client.request('/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 200);
    const body = (await me.json()) as { user: { login: string; passwordHash?: string } };
    assert.equal(body.user.login, 'alice@example.com');
    assert.equal(body.user.passwordHash, undefined, 'the hash never reaches the app');
  });

  it('normalises the login name (case, width, surrounding spaces)', async () => {
    const client = new Client(app.url);
    const res = await login(client, '  ALICE@Example.COM ', PASSWORD);
    assert.equal(res.status, 200);
  });

  it('fixation: a token planted before login is dead after login (SEC-19)', async () => {
    const victim = new Client(app.url);
    // The attacker obtains an anonymous, stored session and plants its cookie in the victim.
    await victim.request('/cart', post({}));
    const attacker = victim.clone();
    const planted = attacker.cookieHeader();
    assert.ok(planted.length > 0);
    assert.equal((await login(victim, 'alice@example.com', PASSWORD)).status, 200);
    assert.notEqual(victim.cookieHeader(), planted, 'login issued a new token');
    const me = await attacker.request('/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 401, 'the pre-login token does not carry the login');
    const own = await victim.request('/me', { headers: { accept: 'application/json' } });
    const body = (await own.json()) as { cart: string[] };
    assert.deepEqual(body.cart, ['apple'], 'anonymous data survives login');
  });

  it('enumeration: unknown user and wrong password get identical status and body (SEC-52)', async () => {
    const a = await login(new Client(app.url), 'nobody@example.com', PASSWORD);
    const b = await login(new Client(app.url), 'alice@example.com', 'wrong password!');
    assert.equal(a.status, 401);
    assert.equal(a.status, b.status);
    assert.equal(await a.text(), await b.text());
    assert.deepEqual(a.headers.getSetCookie(), b.headers.getSetCookie());
  });

  it('malformed input (numbers, objects, huge strings) fails like a wrong password, never 500', async () => {
    for (const payload of [
      { login: 42, password: PASSWORD },
      { login: 'alice@example.com', password: { $ne: '' } },
      { login: 'alice@example.com', password: 'x'.repeat(100_000) },
      { login: 'a'.repeat(10_000), password: PASSWORD },
      { login: 'alice@example.com', password: '\ud800broken surrogate' },
      {},
    ]) {
      const res = await new Client(app.url).request('/login', post(payload));
      assert.equal(res.status, 401, JSON.stringify(payload).slice(0, 60));
    }
  });

  it('a disabled user cannot log in, and disabling ends its sessions (SEC-31)', async () => {
    const user = await addUser(app.users, 'carol@example.com', PASSWORD);
    const client = new Client(app.url);
    assert.equal((await login(client, 'carol@example.com', PASSWORD)).status, 200);
    const ended = await app.auth.disableUser(user.id);
    assert.equal(ended, 1);
    const me = await client.request('/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 401);
    const again = await login(new Client(app.url), 'carol@example.com', PASSWORD);
    assert.equal(again.status, 401);
    const wrong = await login(new Client(app.url), 'carol@example.com', 'wrong password!');
    assert.equal(await again.text(), await wrong.text(), 'disabled reads like a wrong password');
  });

  it('a session of a user disabled behind our back ends at its next request', async () => {
    const user = await addUser(app.users, 'dave@example.com', PASSWORD);
    const client = new Client(app.url);
    await login(client, 'dave@example.com', PASSWORD);
    await app.users.setDisabled?.(user.id, true); // directly in the store, no revocation
    const me = await client.request('/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 401);
  });

  it('logout destroys the record: a copied cookie replayed afterwards is anonymous (SEC-28)', async () => {
    const client = new Client(app.url);
    await login(client, 'bob@example.com', PASSWORD);
    const copy = client.clone();
    await client.request('/logout', post({}));
    const me = await copy.request('/me', { headers: { accept: 'application/json' } });
    assert.equal(me.status, 401);
  });

  it('remember me gives a persistent cookie; a normal login a session cookie', async () => {
    const remembered = await login(new Client(app.url), 'bob@example.com', PASSWORD, {
      rememberMe: true,
    });
    assert.match(remembered.headers.getSetCookie()[0] ?? '', /Max-Age=\d+/i);
    const normal = await login(new Client(app.url), 'bob@example.com', PASSWORD);
    assert.doesNotMatch(normal.headers.getSetCookie()[0] ?? '', /Max-Age/i);
  });

  it('records auth time, method, IP and user agent on the session', async () => {
    const client = new Client(app.url);
    await client.request(
      '/login',
      post(
        { login: 'bob@example.com', password: PASSWORD },
        { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0' },
      ),
    );
    const list = (await (
      await client.request('/sessions', {
        headers: {
          accept: 'application/json',
          'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0',
        },
      })
    ).json()) as { current: boolean; ip: string; device: string; authTime: number }[];
    const mine = list.find((s) => s.current);
    assert.ok(mine);
    assert.equal(mine.ip, '127.0.0.1');
    assert.equal(mine.device, 'Firefox on Linux');
    assert.equal(mine.authTime, app.clock.now);
  });
});

describe('password changes and "log out everywhere"', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(() => app.close());

  it('changing the password ends the second client’s session but keeps this one (SEC-32)', async () => {
    await addUser(app.users, 'erin@example.com', PASSWORD);
    const laptop = new Client(app.url);
    const phone = new Client(app.url);
    await login(laptop, 'erin@example.com', PASSWORD);
    await login(phone, 'erin@example.com', PASSWORD);
    const before = laptop.cookieHeader();
    const res = await laptop.request(
      '/password',
      post({ current: PASSWORD, next: 'a brand new passphrase' }),
    );
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { sessionsEnded: number }).sessionsEnded, 1);
    assert.notEqual(laptop.cookieHeader(), before, 'the changing session was rotated');
    const headers = { accept: 'application/json' };
    assert.equal((await laptop.request('/me', { headers })).status, 200);
    assert.equal((await phone.request('/me', { headers })).status, 401);
    assert.equal((await login(new Client(app.url), 'erin@example.com', PASSWORD)).status, 401);
    assert.equal(
      (await login(new Client(app.url), 'erin@example.com', 'a brand new passphrase')).status,
      200,
    );
  });

  it('refuses a wrong current password and a too-short new one', async () => {
    await addUser(app.users, 'fred@example.com', PASSWORD);
    const client = new Client(app.url);
    await login(client, 'fred@example.com', PASSWORD);
    const wrong = await client.request(
      '/password',
      post({ current: 'not my password', next: 'another long one' }),
    );
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { reason: string }).reason, 'invalid-credentials');
    const short = await client.request('/password', post({ current: PASSWORD, next: 'short' }));
    assert.equal(((await short.json()) as { problem: string }).problem, 'too-short');
    assert.equal((await login(new Client(app.url), 'fred@example.com', PASSWORD)).status, 200);
  });

  it('logoutEverywhere ends all sessions except the current one (SEC-34)', async () => {
    await addUser(app.users, 'gina@example.com', PASSWORD);
    const clients = [new Client(app.url), new Client(app.url), new Client(app.url)];
    for (const c of clients) await login(c, 'gina@example.com', PASSWORD);
    const [keep, other1, other2] = clients as [Client, Client, Client];
    const res = await keep.request('/logout-everywhere', post({}));
    assert.equal(((await res.json()) as { count: number }).count, 2);
    const headers = { accept: 'application/json' };
    assert.equal((await keep.request('/me', { headers })).status, 200);
    assert.equal((await other1.request('/me', { headers })).status, 401);
    assert.equal((await other2.request('/me', { headers })).status, 401);
  });

  it('listSessions shows each device; revokeSession ends exactly that one (SEC-33)', async () => {
    await addUser(app.users, 'hank@example.com', PASSWORD);
    const me = new Client(app.url);
    const other = new Client(app.url);
    await login(me, 'hank@example.com', PASSWORD);
    await other.request(
      '/login',
      post(
        { login: 'hank@example.com', password: PASSWORD },
        {
          'user-agent':
            'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1',
        },
      ),
    );
    const headers = { accept: 'application/json' };
    const list = (await (await me.request('/sessions', { headers })).json()) as {
      publicId: string;
      current: boolean;
      device: string;
    }[];
    assert.equal(list.length, 2);
    assert.equal(list.filter((s) => s.current).length, 1);
    const phone = list.find((s) => !s.current);
    assert.equal(phone?.device, 'Safari on iOS');
    const revoked = await me.request('/sessions/revoke', post({ publicId: phone?.publicId }));
    assert.deepEqual(await revoked.json(), { revoked: true });
    assert.equal(
      (
        await other.request('/me', {
          headers: {
            ...headers,
            'user-agent':
              'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile/15E148 Safari/604.1',
          },
        })
      ).status,
      401,
    );
    assert.equal((await me.request('/me', { headers })).status, 200);
    // Another user's session id cannot be revoked through this account.
    const stranger = await me.request('/sessions/revoke', post({ publicId: 'not-an-id' }));
    assert.deepEqual(await stranger.json(), { revoked: false });
  });
});

/**
 * A store whose per-user index "forgets" chosen sessions: listByUser and deleteByUser skip them.
 * Stands in for a store bug or a lost index write, which the credential fingerprint must cover.
 */
function leakyIndexStore(inner: Store, hidden: Set<string>): Store {
  return {
    get: (id, now) => inner.get(id, now),
    create: (record, now) => inner.create(record, now),
    update: (id, patch, now) => inner.update(id, patch, now),
    delete: (id) => inner.delete(id),
    listByUser: async (userId, now) =>
      (await inner.listByUser(userId, now)).filter((r) => !hidden.has(r.id)),
    async deleteByUser(userId, exceptId) {
      let count = 0;
      for (const r of await inner.listByUser(userId, Date.now())) {
        if (r.id !== exceptId && !hidden.has(r.id)) {
          await inner.delete(r.id);
          count++;
        }
      }
      return count;
    },
  };
}

describe('createUser and resetPassword', () => {
  it('createUser applies the password rules and NFKC: a full-width password logs in as ASCII', async () => {
    const app = await startApp();
    try {
      assert.deepEqual(await app.auth.createUser('short@example.com', 'seven77'), {
        ok: false,
        problem: 'too-short',
      });
      const created = await app.auth.createUser('wide@example.com', 'ｐａｓｓｗｏｒｄ１２３');
      assert.equal(created.ok, true);
      assert.equal(
        (await login(new Client(app.url), 'wide@example.com', 'password123')).status,
        200,
      );
      // Decomposed and composed accents are one password too.
      await app.auth.createUser('accent@example.com', '\u00e9tudiant-secret');
      const res = await login(new Client(app.url), 'accent@example.com', 'e\u0301tudiant-secret');
      assert.equal(res.status, 200);
    } finally {
      await app.close();
    }
  });

  it('resetPassword ends every session and clears the account throttle', async () => {
    const app = await startApp();
    try {
      const user = await addUser(app.users, 'reset@example.com', PASSWORD);
      const client = new Client(app.url);
      await login(client, 'reset@example.com', PASSWORD);
      for (let i = 0; i < 6; i++)
        await login(new Client(app.url), 'reset@example.com', 'bad guess!');
      const blocked = await login(new Client(app.url), 'reset@example.com', PASSWORD);
      assert.equal(blocked.status, 429);
      const result = await app.auth.resetPassword(user.id, 'a fresh reset password');
      assert.deepEqual(result, { ok: true, sessionsEnded: 1 });
      const me = await client.request('/me', { headers: { accept: 'application/json' } });
      assert.equal(me.status, 401);
      const fresh = await login(new Client(app.url), 'reset@example.com', 'a fresh reset password');
      assert.equal(fresh.status, 200, 'no 429 after the reset');
    } finally {
      await app.close();
    }
  });
});

describe('credential fingerprint', () => {
  it('ends a session the per-user index missed once the password changes', async () => {
    const hidden = new Set<string>();
    const inner = memoryStore();
    const app = await startApp({ store: leakyIndexStore(inner, hidden) });
    try {
      await addUser(app.users, 'ivy@example.com', PASSWORD);
      const laptop = new Client(app.url);
      const forgotten = new Client(app.url);
      await login(laptop, 'ivy@example.com', PASSWORD);
      app.clock.now += 1000;
      await login(forgotten, 'ivy@example.com', PASSWORD);
      // Hide the newer session from the index: revokeUser cannot find it.
      const user = await app.users.findByLogin('ivy@example.com');
      const records = await inner.listByUser(user!.id, app.clock.now);
      assert.equal(records.length, 2);
      const newest = records.reduce((x, y) => (x.createdAt > y.createdAt ? x : y));
      hidden.add(newest.id);
      const res = await laptop.request(
        '/password',
        post({ current: PASSWORD, next: 'another good passphrase' }),
      );
      assert.equal(res.status, 200);
      assert.ok((await inner.get(newest.id, app.clock.now)) !== null, 'revocation missed it');
      const me = await forgotten.request('/me', { headers: { accept: 'application/json' } });
      assert.equal(me.status, 401, 'the stale fingerprint ended it anyway');
      assert.equal(await inner.get(newest.id, app.clock.now), null, 'and destroyed the record');
    } finally {
      await app.close();
    }
  });

  it('a password changed directly in the user store ends existing sessions', async () => {
    const app = await startApp();
    try {
      const user = await addUser(app.users, 'jack@example.com', PASSWORD);
      const client = new Client(app.url);
      await login(client, 'jack@example.com', PASSWORD);
      await app.users.updatePasswordHash?.(user.id, await fastHasher.hash('set by an admin tool'));
      const me = await client.request('/me', { headers: { accept: 'application/json' } });
      assert.equal(me.status, 401);
    } finally {
      await app.close();
    }
  });
});

describe('rehash upgrade (SEC-50)', () => {
  it('a hash made with weaker parameters is replaced at the next successful login', async () => {
    const strong = argon2Hasher({ memoryCost: 128, timeCost: 2 });
    const app = await startApp({ auth: { hasher: strong } });
    const events: AuthEvents['login-succeeded'][] = [];
    app.auth.on('login-succeeded', (e) => events.push(e));
    try {
      const weak = argon2Hasher({ memoryCost: 64, timeCost: 1 });
      const user = await addUser(app.users, 'kim@example.com', PASSWORD, weak);
      assert.match(user.passwordHash ?? '', /m=64,t=1,p=1/);
      const client = new Client(app.url);
      assert.equal((await login(client, 'kim@example.com', PASSWORD)).status, 200);
      const after = await app.users.findById(user.id);
      assert.match(after?.passwordHash ?? '', /^\$argon2id\$v=19\$m=128,t=2,p=1\$/);
      assert.equal(strong.needsRehash(after?.passwordHash ?? ''), false);
      assert.equal(events[0]?.rehashed, true);
      // The session made during the upgrade is still valid (its fingerprint follows the new hash).
      assert.equal(
        (await client.request('/me', { headers: { accept: 'application/json' } })).status,
        200,
      );
      // And the new hash still verifies the same password.
      assert.equal((await login(new Client(app.url), 'kim@example.com', PASSWORD)).status, 200);
      assert.equal(events[1]?.rehashed, false);
    } finally {
      await app.close();
    }
  });

  it('a failed login does not touch the stored hash', async () => {
    const app = await startApp({
      auth: { hasher: argon2Hasher({ memoryCost: 128, timeCost: 2 }) },
    });
    try {
      const user = await addUser(app.users, 'lee@example.com', PASSWORD);
      await login(new Client(app.url), 'lee@example.com', 'wrong password!');
      assert.equal((await app.users.findById(user.id))?.passwordHash, user.passwordHash);
    } finally {
      await app.close();
    }
  });
});

describe('max sessions per user (SEC-35)', () => {
  it('evict-oldest ends the least recently used session to make room', async () => {
    const app = await startApp({ auth: { maxSessionsPerUser: { limit: 2 } } });
    try {
      await addUser(app.users, 'max@example.com', PASSWORD);
      const [a, b, c] = [new Client(app.url), new Client(app.url), new Client(app.url)];
      await login(a, 'max@example.com', PASSWORD);
      app.clock.now += 1000;
      await login(b, 'max@example.com', PASSWORD);
      app.clock.now += 1000;
      assert.equal((await login(c, 'max@example.com', PASSWORD)).status, 200);
      const headers = { accept: 'application/json' };
      assert.equal((await a.request('/me', { headers })).status, 401, 'oldest evicted');
      assert.equal((await b.request('/me', { headers })).status, 200);
      assert.equal((await c.request('/me', { headers })).status, 200);
    } finally {
      await app.close();
    }
  });

  it('refuse fails the new login and keeps the existing sessions', async () => {
    const app = await startApp({ auth: { maxSessionsPerUser: { limit: 1, onLimit: 'refuse' } } });
    try {
      await addUser(app.users, 'ned@example.com', PASSWORD);
      const [a, b] = [new Client(app.url), new Client(app.url)];
      await login(a, 'ned@example.com', PASSWORD);
      const res = await login(b, 'ned@example.com', PASSWORD);
      assert.equal(res.status, 409);
      assert.equal(
        (await a.request('/me', { headers: { accept: 'application/json' } })).status,
        200,
      );
      // Logging in again on the same session is not a new session.
      assert.equal((await login(a, 'ned@example.com', PASSWORD)).status, 200);
    } finally {
      await app.close();
    }
  });
});

describe('createAuth configuration', () => {
  const sessions = createSessions({ store: memoryStore() });
  const users = memoryUsers();

  it('refuses a missing or short secret', () => {
    assert.throws(
      () => createAuth({ sessions, users, secret: 'short', hasher: fastHasher }),
      (e: unknown) => e instanceof ConfigurationError && /at least 32 bytes/.test(e.message),
    );
    assert.throws(
      () => createAuth({ sessions, users, secret: undefined as unknown as string }),
      ConfigurationError,
    );
  });

  it('refuses a sessions object that cannot list or revoke, and a users object without finders', () => {
    assert.throws(
      () => createAuth({ sessions: {} as never, users, secret: SECRET }),
      /createSessions/,
    );
    assert.throws(
      () => createAuth({ sessions, users: {} as never, secret: SECRET }),
      /findByLogin/,
    );
  });

  it('refuses contradictory throttle and limit options', () => {
    assert.throws(
      () => createAuth({ sessions, users, secret: SECRET, maxSessionsPerUser: 0 }),
      ConfigurationError,
    );
    assert.throws(
      () =>
        createAuth({
          sessions,
          users,
          secret: SECRET,
          throttle: { store: {} as never },
        }),
      /ThrottleStore/,
    );
  });

  it('events carry no password, token or raw login name', async () => {
    const app = await startApp();
    const seen: string[] = [];
    for (const name of ['login-failed', 'login-succeeded', 'logout'] as const) {
      app.auth.on(name, (e) => seen.push(JSON.stringify(e)));
    }
    try {
      await addUser(app.users, 'olga@example.com', PASSWORD);
      const client = new Client(app.url);
      await login(client, 'olga@example.com', 'wrong password!');
      await login(client, 'olga@example.com', PASSWORD);
      await client.request('/logout', post({}));
      assert.equal(seen.length, 3);
      const all = seen.join('\n');
      assert.doesNotMatch(all, /olga|correct horse|wrong password/);
      assert.match(seen[0] ?? '', /"reason":"bad-password"/);
    } finally {
      await app.close();
    }
  });
});
