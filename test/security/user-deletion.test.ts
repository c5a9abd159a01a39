import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { memoryUsers } from '../../src/auth/users-memory.js';
import type { User, UserStore } from '../../src/auth/users.js';
import { addUser, post, startApp, type TestApp } from '../auth/app.js';
import { logIn, signUp, startTestDemo, type TestDemo } from '../e2e/demo.js';
import { Client } from '../helpers/http.js';

// SEC-31: deleting a user ends its sessions. Latchkey has no "delete user" call: the app removes
// the row, possibly behind Latchkey's back (an admin tool, a GDPR job). Every session of that user
// must stop being logged in at its next request, and its record must be removed, not just ignored.

const PASSWORD = 'correct horse battery staple';
const COOKIE = '__Host-sid';
const JSON_ACCEPT = { accept: 'application/json' };

/** memoryUsers plus the deletion an app does in its own user table. */
function deletableUsers(): UserStore & { remove(id: string): void } {
  const inner = memoryUsers();
  const gone = new Set<string>();
  const visible = (user: User | null) => (user !== null && gone.has(user.id) ? null : user);
  return {
    ...inner,
    findByLogin: async (login) => visible(await inner.findByLogin(login)),
    findById: async (id) => visible(await inner.findById(id)),
    remove: (id) => gone.add(id),
  };
}

describe('SEC-31: a deleted user loses its sessions (latchkey/auth, node:http)', () => {
  const users = deletableUsers();
  let app: TestApp;
  before(async () => {
    app = await startApp({ users });
  });
  after(async () => {
    await app.close();
  });

  async function loggedIn(login: string): Promise<Client> {
    const client = new Client(app.url);
    const response = await client.request('/login', post({ login, password: PASSWORD }));
    assert.equal(response.status, 200);
    assert.equal((await client.request('/me', { headers: JSON_ACCEPT })).status, 200);
    return client;
  }

  it('the next request of every device is unauthenticated, and each record is removed', async () => {
    const user = await addUser(users, 'erin@example.com', PASSWORD);
    const other = await addUser(users, 'frank@example.com', PASSWORD);
    const laptop = await loggedIn('erin@example.com');
    const phone = await loggedIn('erin@example.com');
    const stolen = laptop.clone();
    const bystander = await loggedIn('frank@example.com');
    const revoked: { userId: string; reason: string }[] = [];
    app.auth.on('sessions-revoked', (e) => revoked.push({ userId: e.userId, reason: e.reason }));
    assert.equal((await app.sessions.listByUser(user.id)).length, 2);

    users.remove(user.id); // straight in the user table: no Latchkey call

    const me = await laptop.request('/me', { headers: JSON_ACCEPT });
    assert.equal(me.status, 401);
    const cleared = me.headers.getSetCookie().find((l) => l.startsWith(`${COOKIE}=`));
    assert.match(cleared ?? '', /^__Host-sid=;.*Max-Age=0/i, 'the response clears the cookie');
    assert.equal((await phone.request('/me', { headers: JSON_ACCEPT })).status, 401);
    assert.deepEqual(await app.sessions.listByUser(user.id), [], 'both records are gone');
    assert.deepEqual(revoked, [
      { userId: user.id, reason: 'user-gone' },
      { userId: user.id, reason: 'user-gone' },
    ]);
    // A copy of the cookie taken before the deletion is dead too: the record no longer exists.
    assert.equal((await stolen.request('/me', { headers: JSON_ACCEPT })).status, 401);
    // Another user is not affected.
    assert.equal((await bystander.request('/me', { headers: JSON_ACCEPT })).status, 200);
    assert.equal((await app.sessions.listByUser(other.id)).length, 1);
  });
});

describe('SEC-31: the demo, with the user deleted from its SQLite table', () => {
  let demo: TestDemo;
  before(async () => {
    demo = await startTestDemo();
  });
  after(async () => {
    await demo.close();
  });

  it('a logged-in browser is sent to /login and its session record is removed', async () => {
    const browser = new Client(demo.url);
    assert.equal((await signUp(browser, 'deleted-later', PASSWORD)).status, 303);
    const second = new Client(demo.url);
    assert.equal((await logIn(second, 'deleted-later', PASSWORD)).status, 303);
    const me = await browser.request('/api/me');
    assert.deepEqual(await me.json(), { username: 'deleted-later' });
    const userId = idOf(demo, 'deleted-later');
    assert.equal((await demo.app.sessions.listByUser(userId)).length, 2);

    // What an operator would do: remove the row, with another connection to the database.
    const db = new Database(join(demo.config.dataDir, 'latchkey.db'));
    try {
      assert.equal(db.prepare('DELETE FROM latchkey_users WHERE id = ?').run(userId).changes, 1);
    } finally {
      db.close();
    }

    const page = await browser.request('/dashboard', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location') ?? '', /^\/login/);
    assert.equal((await second.request('/api/me')).status, 401);
    assert.deepEqual(await demo.app.sessions.listByUser(userId), []);
  });
});

/** The id of a demo user, read the way the demo's own store reads it. */
function idOf(demo: TestDemo, login: string): string {
  const db = new Database(join(demo.config.dataDir, 'latchkey.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT id FROM latchkey_users WHERE login = ?').get(login) as
      { id: string } | undefined;
    assert.ok(row, `user ${login} exists`);
    return row.id;
  } finally {
    db.close();
  }
}
