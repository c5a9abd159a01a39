import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import { sessionMiddleware, type SessionEnv } from '../../src/adapters/hono.js';
import { ConfigurationError, StoreUnavailableError } from '../../src/core/errors.js';
import { createSessions } from '../../src/core/manager.js';
import type { SessionProvider } from '../../src/core/session.js';
import { memoryStore } from '../../src/stores/memory.js';
import { parseSetCookie } from '../helpers/http.js';
import { flakyStore } from './scenarios.js';

// The shared scenarios on a real server are in hono-node-server.test.ts: @hono/node-server replaces
// the global Response with a lightweight one, which these in-process tests must not depend on.

// A type alias, not an interface: interfaces have no index signature, so they do not satisfy
// SessionData (Record<string, unknown>).
type AppData = { visits: number };

/** The session cookie pair (`name=value`) a response sets, or undefined. */
function cookiePair(response: Response): string | undefined {
  const line = response.headers.getSetCookie().find((l) => l.startsWith('__Host-sid='));
  if (line === undefined) return undefined;
  const { name, value } = parseSetCookie(line);
  return `${name}=${value}`;
}

describe('Hono adapter: in-process with app.request()', () => {
  function app(options: Parameters<typeof sessionMiddleware>[1] = {}, trustProxy = false) {
    const sessions = createSessions<AppData>({ store: memoryStore(), trustProxy });
    const hono = new Hono<SessionEnv<AppData>>();
    hono.use(sessionMiddleware(sessions, options));
    hono.post('/login', async (c) => {
      await c.get('session').bindUser('alice');
      return c.redirect('/me', 303);
    });
    hono.post('/login-native', async (c) => {
      await c.get('session').bindUser('alice');
      return Response.redirect('http://localhost/me', 303); // immutable headers
    });
    hono.get('/me', async (c) => {
      const session = c.get('session');
      const user = await session.userId();
      if (user === null) return c.text('login required', 401);
      return c.json({ user, ip: (await session.info()).meta.ip ?? null });
    });
    return hono;
  }

  it('logs in and reads the session back without a server', async () => {
    const hono = app();
    const login = await hono.request('/login', { method: 'POST' });
    assert.equal(login.status, 303);
    const cookie = cookiePair(login);
    assert.ok(cookie !== undefined);
    const me = await hono.request('/me', { headers: { Cookie: cookie } });
    assert.deepEqual(await me.json(), { user: 'alice', ip: null });
    assert.equal(me.headers.get('cache-control'), 'no-store');
    assert.equal((await hono.request('/me')).status, 401);
  });

  it('sets the cookie on a Response.redirect(), whose headers are immutable', async () => {
    const hono = app();
    const login = await hono.request('/login-native', { method: 'POST' });
    assert.equal(login.status, 303);
    assert.equal(login.headers.get('location'), 'http://localhost/me');
    const cookie = cookiePair(login);
    assert.ok(cookie !== undefined);
    const me = await hono.request('/me', { headers: { Cookie: cookie } });
    assert.equal(me.status, 200);
  });

  it('records the address from getClientIp; X-Forwarded-For only with trustProxy', async () => {
    const forged = { 'X-Forwarded-For': '203.0.113.7' };
    async function ipSeen(hono: Hono<SessionEnv<AppData>>): Promise<unknown> {
      const login = await hono.request('/login', { method: 'POST', headers: forged });
      const me = await hono.request('/me', { headers: { Cookie: cookiePair(login) ?? '' } });
      return ((await me.json()) as { ip: unknown }).ip;
    }
    assert.equal(await ipSeen(app({ getClientIp: () => '192.0.2.1' })), '192.0.2.1');
    assert.equal(await ipSeen(app({ getClientIp: () => '192.0.2.1' }, true)), '203.0.113.7');
  });

  it('trusts X-Forwarded-Proto only with trustProxy (insecure-transport warning)', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error & { code?: string }): void => {
      if (warning.code === 'LATCHKEY_INSECURE_TRANSPORT') warnings.push(warning.message);
    };
    process.on('warning', onWarning);
    try {
      const init = { method: 'POST', headers: { 'X-Forwarded-Proto': 'https' } };
      await app({}, true).request('http://shop.example/login', init);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, [], 'behind a trusted TLS proxy the cookie is fine');
      await app({}, false).request('http://shop.example/login', init);
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1, 'a forged X-Forwarded-Proto is not trusted by default');
      assert.match(warnings[0]!, /shop\.example/);
      await app({}, false).request('https://shop.example/login', { method: 'POST' });
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(warnings.length, 1, 'an https URL is secure');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('renders a store outage with onStoreUnavailable, dropping the app’s response', async () => {
    const store = flakyStore();
    const sessions = createSessions({ store });
    const hono = new Hono<SessionEnv>();
    hono.use(
      sessionMiddleware(sessions, {
        onStoreUnavailable: (error) =>
          Response.json(
            { retry: true, operation: error.operation },
            { status: 503, headers: { 'Retry-After': '5' } },
          ),
      }),
    );
    hono.get('/visit', async (c) => {
      await c.get('session').set('visits', 1);
      c.header('X-Route', 'yes');
      return c.text('saved');
    });
    store.mode = 'down';
    const response = await hono.request('/visit');
    assert.equal(response.status, 503);
    assert.deepEqual(await response.json(), { retry: true, operation: 'create' });
    assert.equal(response.headers.get('retry-after'), '5');
    assert.equal(response.headers.get('x-route'), null);
    assert.deepEqual(response.headers.getSetCookie(), []);
  });

  it('leaves a 503 the app rendered itself from app.onError', async () => {
    const store = flakyStore();
    const sessions = createSessions({ store });
    const hono = new Hono<SessionEnv>();
    hono.onError((error, c) =>
      error instanceof StoreUnavailableError ? c.text('custom outage page', 503) : c.text('', 500),
    );
    hono.use(sessionMiddleware(sessions));
    hono.get('/me', async (c) => c.text(String(await c.get('session').userId())));
    store.mode = 'down';
    const response = await hono.request('/me', {
      headers: { Cookie: `__Host-sid=${'A'.repeat(43)}` },
    });
    assert.equal(response.status, 503);
    assert.equal(await response.text(), 'custom outage page');
  });

  it('throws a ConfigurationError naming the fix when not given a session manager', () => {
    assert.throws(
      () => sessionMiddleware(null as unknown as SessionProvider),
      (error: unknown) =>
        error instanceof ConfigurationError && /createSessions\(\)/.test(error.message),
    );
  });
});
