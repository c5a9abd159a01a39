import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSessions } from '../../src/core/manager.js';
import { withSession } from '../../src/adapters/node.js';
import { memoryStore } from '../../src/stores/memory.js';
import { listen, type TestServer } from '../helpers/http.js';
import { logIn, signUp, startTestDemo, type TestDemo } from '../e2e/demo.js';
import { Client } from '../helpers/http.js';

// SEC-06: the session token is read from the Cookie header and from nowhere else. A token that
// travels in a URL leaks through logs, Referer and browser history, and a link carrying one is a
// fixation vector; so a valid token anywhere but the cookie must leave the request anonymous.

const COOKIE = '__Host-sid';

/** Every place a token might be smuggled in, other than the Cookie header. */
function smuggled(
  token: string,
): { readonly path: string; readonly headers?: Record<string, string> }[] {
  const t = encodeURIComponent(token);
  return [
    { path: `/whoami?sid=${t}` },
    { path: `/whoami?${COOKIE}=${t}` },
    { path: `/whoami?${encodeURIComponent(COOKIE)}=${t}` },
    { path: `/whoami?cookie=${encodeURIComponent(`${COOKIE}=${token}`)}` },
    { path: `/whoami?session=${t}&token=${t}&id=${t}` },
    { path: `/whoami/${t}` },
    { path: `/${t}/whoami` },
    { path: `/whoami;${COOKIE}=${t}` },
    { path: `/whoami;jsessionid=${t}` },
    { path: '/whoami', headers: { authorization: `Bearer ${token}` } },
    { path: '/whoami', headers: { 'x-session-id': token, 'x-csrf-token': token } },
    // Not a Cookie header, only one whose name merely resembles it.
    {
      path: '/whoami',
      headers: { 'set-cookie': `${COOKIE}=${token}`, cookie2: `${COOKIE}=${token}` },
    },
  ];
}

describe('SEC-06: a token outside the Cookie header is ignored (node:http, memory store)', () => {
  let server: TestServer;
  let token: string;
  const sessions = createSessions({ store: memoryStore() });

  before(async () => {
    // Every path answers who the session belongs to, and writes to it, so an adopted token would
    // show both as the user and as a write landing in the victim's session.
    server = await listen(
      withSession(sessions, async (req, res) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.pathname === '/login') {
          await req.session.bindUser('alice');
          await req.session.set('secret', 'alice-only');
        } else {
          await req.session.set('visited', url.pathname);
        }
        res.setHeader('Content-Type', 'application/json');
        res.end(
          JSON.stringify({
            user: await req.session.userId(),
            secret: (await req.session.get('secret')) ?? null,
          }),
        );
      }),
    );
    const client = new Client(server.url);
    assert.equal((await client.request('/login', { method: 'POST' })).status, 200);
    token = client.cookies.get(COOKIE) ?? '';
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  });
  after(async () => {
    await server.close();
  });

  it('the same token in the Cookie header is alice (the token used below is valid)', async () => {
    const response = await fetch(`${server.url}/whoami`, {
      headers: { cookie: `${COOKIE}=${token}` },
    });
    assert.deepEqual(await response.json(), { user: 'alice', secret: 'alice-only' });
  });

  it('in the query string, the path, path parameters or other headers: anonymous, never alice', async () => {
    const before = (await sessions.listByUser('alice')).map((s) => [s.publicId, s.lastSeenAt]);
    for (const { path, headers } of smuggled(token)) {
      const response = await fetch(server.url + path, { headers: headers ?? {} });
      assert.equal(response.status, 200, path);
      assert.deepEqual(await response.json(), { user: null, secret: null }, path);
      // The request wrote, so it got a session: a fresh one, never the smuggled token.
      const issued = response.headers.getSetCookie().map((line) => line.split(';')[0]);
      assert.equal(issued.length, 1, path);
      assert.notEqual(issued[0], `${COOKIE}=${token}`, path);
      assert.doesNotMatch(issued[0] ?? '', new RegExp(token), path);
    }
    // alice's session saw none of those writes.
    const again = await fetch(`${server.url}/whoami`, {
      headers: { cookie: `${COOKIE}=${token}` },
    });
    assert.deepEqual(await again.json(), { user: 'alice', secret: 'alice-only' });
    const after = (await sessions.listByUser('alice')).map((s) => s.publicId);
    assert.deepEqual(
      after,
      before.map(([id]) => id),
      'still exactly one session for alice',
    );
  });
});

describe('SEC-06: the demo ignores a token in its URLs', () => {
  let demo: TestDemo;
  let token: string;
  before(async () => {
    demo = await startTestDemo({ LATCHKEY_STORE: 'memory' });
    const client = new Client(demo.url);
    assert.equal((await signUp(client, 'urlsmuggle', 'correct horse battery staple')).status, 303);
    const user = new Client(demo.url);
    assert.equal((await logIn(user, 'urlsmuggle', 'correct horse battery staple')).status, 303);
    token = user.cookies.get(COOKIE) ?? '';
    assert.ok(token, 'logged in');
  });
  after(async () => {
    await demo.close();
  });

  it('GET /api/me and /dashboard with the token in the URL are not logged in', async () => {
    const withCookie = await fetch(`${demo.url}/api/me`, {
      headers: { cookie: `${COOKIE}=${token}` },
    });
    assert.deepEqual(await withCookie.json(), { username: 'urlsmuggle' });
    const t = encodeURIComponent(token);
    for (const path of [`/api/me?sid=${t}`, `/api/me?${COOKIE}=${t}`, `/api/me/${t}`]) {
      const response = await fetch(demo.url + path, { headers: { accept: 'application/json' } });
      assert.notEqual(response.status, 200, path);
      assert.doesNotMatch(await response.text(), /urlsmuggle/, path);
    }
    const dashboard = await fetch(`${demo.url}/dashboard?sid=${t}&${COOKIE}=${t}`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    assert.equal(dashboard.status, 303);
    assert.match(dashboard.headers.get('location') ?? '', /^\/login/);
  });
});
