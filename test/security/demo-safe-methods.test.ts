import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { SessionRecord } from '../../src/core/store.js';
import { hashToken, publicIdOf } from '../../src/core/token.js';
import { memoryStore, type MemoryStore } from '../../src/stores/memory.js';
import { csrfOf, getPage, logIn, signUp, startTestDemo, type TestDemo } from '../e2e/demo.js';
import { Client } from '../helpers/http.js';

// SEC-41: GET, HEAD and OPTIONS change nothing. The CSRF layer lets safe methods through
// unchecked, so a GET that changed state would be open to any page that can embed an <img> or
// follow a link. Latchkey cannot enforce this for an app; the demo is the reference app, so every
// one of its routes is requested with safe methods, by a logged-in user, from another site, with
// the fields of the real forms in the query string, and nothing may change: not the session
// records (beyond the last-seen time and the idle deadline it moves), not the database, not the
// token.

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'an entirely different passphrase';
const COOKIE = '__Host-sid';
const MINUTE = 60_000;

const TOUCHED = ['lastSeenAt', 'expiresAt'];
type Kept = Omit<SessionRecord, 'lastSeenAt' | 'expiresAt'>;

/** Everything the demo keeps: every session record (expired ones too) and every SQLite row. */
function snapshot(store: MemoryStore, db: Database.Database) {
  return async () => {
    const sessions: Kept[] = [];
    let cursor: string | undefined;
    do {
      // now = 0: every record counts as live, so an expiry cannot hide a change either.
      const page = await store.list?.(0, { cursor, limit: 100 });
      assert.ok(page, 'the memory store lists');
      for (const record of page.records) {
        // Touching a session moves these two: the bookkeeping a safe request may do.
        const kept = Object.fromEntries(
          Object.entries(record).filter(([key]) => !TOUCHED.includes(key)),
        ) as Kept;
        sessions.push(kept);
      }
      cursor = page.cursor ?? undefined;
    } while (cursor !== undefined);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    const rows = Object.fromEntries(
      tables.map((table) => [table, db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all()]),
    );
    return { sessions, rows };
  };
}

describe('SEC-41: the demo changes nothing on GET, HEAD or OPTIONS', () => {
  let demo: TestDemo;
  let db: Database.Database;
  const store = memoryStore();
  before(async () => {
    demo = await startTestDemo({}, { sessionStore: store });
    db = new Database(join(demo.config.dataDir, 'latchkey.db'), { readonly: true });
  });
  after(async () => {
    db.close();
    await demo.close();
  });

  it('every route, as a logged-in user, even with form fields in the URL and from another site', async () => {
    const alice = new Client(demo.url);
    assert.equal((await signUp(alice, 'alice', PASSWORD)).status, 303);
    // Targets a state-changing GET could hit: alice's other device and another user's session.
    // Both remembered, so their long idle timeout outlasts the clock moves below.
    const phone = new Client(demo.url);
    assert.equal((await logIn(phone, 'alice', PASSWORD, { remember: 'on' })).status, 303);
    assert.equal((await signUp(new Client(demo.url), 'bob', PASSWORD)).status, 303);
    const bob = new Client(demo.url);
    assert.equal((await logIn(bob, 'bob', PASSWORD, { remember: 'on' })).status, 303);
    const phoneId = publicIdOf(hashToken(phone.cookies.get(COOKIE) ?? ''));
    // Warm-up: the first page after login stores the session's CSRF secret (bookkeeping that
    // happens once); its token is also what a forged URL would carry.
    const { body } = await getPage(alice, '/dashboard');
    const csrf = encodeURIComponent(csrfOf(body));
    const token = alice.cookies.get(COOKIE);
    assert.ok(token, 'logged in');

    const paths = [
      '/',
      '/login',
      '/login?return_to=%2Fdashboard',
      `/login?username=bob&password=wrong-password&_csrf=${csrf}`,
      '/signup',
      `/signup?username=mallory&password=${encodeURIComponent(PASSWORD)}&_csrf=${csrf}`,
      '/dashboard',
      '/api/me',
      '/account/sessions',
      '/style.css',
      '/logout',
      `/logout?_csrf=${csrf}`,
      `/account/password?current_password=${encodeURIComponent(PASSWORD)}&new_password=${encodeURIComponent(NEW_PASSWORD)}&_csrf=${csrf}`,
      `/account/sessions/revoke?session=${phoneId}&_csrf=${csrf}`,
      `/account/sessions/revoke-others?_csrf=${csrf}`,
      '/no-such-page',
    ];
    const take = snapshot(store, db);
    const baseline = await take();
    const stored = new Set(baseline.sessions.map((s) => s.id));
    for (const client of [alice, phone, bob]) {
      assert.ok(stored.has(hashToken(client.cookies.get(COOKIE) ?? '')), 'a live session');
    }

    const now = demo.config.now ?? Date.now;
    const seenBefore = (await store.get(hashToken(token), now()))?.lastSeenAt ?? Infinity;

    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        // Past the touch interval, so the last-seen bookkeeping really happens.
        demo.advance(MINUTE + 1);
        const response = await alice.request(path, {
          method,
          headers: {
            accept: 'text/html',
            'sec-fetch-site': 'cross-site',
            'sec-fetch-mode': 'navigate',
            origin: 'https://attacker.example',
          },
        });
        const what = `${method} ${path}`;
        assert.ok(response.status < 500, `${what}: ${String(response.status)}`);
        await response.arrayBuffer();
        assert.deepEqual(response.headers.getSetCookie(), [], `${what}: no cookie set or cleared`);
        assert.deepEqual(await take(), baseline, `${what} changed stored state`);
      }
    }

    // The requests did touch the session: the comparison above tolerated only that.
    const seenAfter = (await store.get(hashToken(token), now()))?.lastSeenAt ?? 0;
    assert.ok(seenAfter - seenBefore > 20 * MINUTE, 'the session was touched along the way');

    // Still the same three sessions, each still working, and the password unchanged.
    assert.equal(alice.cookies.get(COOKIE), token);
    for (const [client, name] of [
      [alice, 'alice'],
      [phone, 'alice'],
      [bob, 'bob'],
    ] as const) {
      assert.deepEqual(await (await client.request('/api/me')).json(), { username: name });
    }
    assert.equal((await logIn(new Client(demo.url), 'alice', PASSWORD)).status, 303);
  });

  it('an anonymous visitor gets at most a new anonymous session holding a CSRF secret', async () => {
    const take = snapshot(store, db);
    const baseline = await take();
    const original = new Set(baseline.sessions.map((s) => s.id));
    const known = new Set(original);
    const paths = [
      '/',
      '/login',
      '/login?username=alice&password=wrong-password',
      '/signup',
      `/signup?username=mallory&password=${encodeURIComponent(PASSWORD)}`,
      '/dashboard',
      '/api/me',
      '/account/sessions',
      '/logout',
      '/account/sessions/revoke-others',
    ];
    for (const path of paths) {
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const what = `${method} ${path}`;
        const response = await new Client(demo.url).request(path, {
          method,
          headers: { accept: 'text/html', 'sec-fetch-site': 'cross-site' },
        });
        assert.ok(response.status < 500, what);
        await response.arrayBuffer();
        const now = await take();
        assert.deepEqual(now.rows, baseline.rows, `${what} changed the database`);
        assert.deepEqual(
          now.sessions.filter((s) => original.has(s.id)),
          baseline.sessions,
          `${what} changed an existing session`,
        );
        for (const added of now.sessions.filter((s) => !known.has(s.id))) {
          assert.equal(added.userId, null, what);
          assert.deepEqual(Object.keys(added.data), ['__csrf'], what);
          known.add(added.id);
        }
      }
    }
  });
});
