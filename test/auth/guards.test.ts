import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../helpers/http.js';
import { safeReturnTo, wantsJson } from '../../src/auth/guards.js';
import { addUser, post, startApp, type TestApp } from './app.js';

const PASSWORD = 'correct horse battery staple';
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('safeReturnTo: no open redirect', () => {
  const accepted = [
    '/',
    '/dashboard',
    '/a/b?c=d&e=%2F#top',
    '/search?q=http://x.com',
    '/%E2%9C%93',
    '/a//b',
  ];
  for (const value of accepted) {
    it(`accepts ${JSON.stringify(value)}`, () => {
      assert.equal(safeReturnTo(value), value);
    });
  }

  const refused = [
    '//evil.com',
    '///evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '/\\/evil.com',
    'https://evil.com',
    'http:evil.com',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.com',
    '',
    ' /dashboard',
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r\n/evil.com',
    '/\u0000/evil.com',
    '/%2F%2Fevil.com',
    '/%2f/evil.com',
    '/%5Cevil.com',
    '/%5C%5Cevil.com',
    '/%252F%252Fevil.com',
    '/%09/evil.com',
    '/%0d%0aSet-Cookie:x=y',
    '/%E0%A4%A',
    `/${'a'.repeat(5000)}`,
  ];
  for (const value of refused) {
    it(`refuses ${JSON.stringify(value).slice(0, 50)}`, () => {
      assert.equal(safeReturnTo(value), null);
    });
  }

  it('refuses non-strings without throwing', () => {
    for (const value of [undefined, null, 42, ['/a'], { toString: () => '/a' }]) {
      assert.equal(safeReturnTo(value), null);
    }
  });

  it('every accepted value resolves to the same origin in a real URL parser', () => {
    for (const value of accepted) {
      assert.equal(new URL(value, 'https://app.example').origin, 'https://app.example');
    }
  });
});

describe('wantsJson', () => {
  it('treats JSON and non-HTML clients as API clients', () => {
    assert.equal(wantsJson('application/json'), true);
    assert.equal(wantsJson('application/problem+json'), true);
    assert.equal(wantsJson('*/*'), true);
    assert.equal(wantsJson(undefined), true);
    assert.equal(wantsJson(BROWSER), false);
  });
});

describe('guards over HTTP', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
    await addUser(app.users, 'sam@example.com', PASSWORD);
  });
  after(() => app.close());

  it('requireUser answers API clients 401 JSON', async () => {
    const res = await new Client(app.url).request('/me', {
      headers: { accept: 'application/json' },
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), { error: 'unauthenticated' });
  });

  it('requireUser sends browsers to the login page with a safe return_to', async () => {
    const res = await new Client(app.url).request('/me?tab=2', { headers: { accept: BROWSER } });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login?return_to=%2Fme%3Ftab%3D2');
  });

  it('does not put a hostile request target into return_to', async () => {
    // A raw request line like "GET //evil.com/me" reaches req.url as "//evil.com/me".
    const res = await new Client(app.url).request('//evil.com/me', {
      headers: { accept: BROWSER },
    });
    assert.equal(res.status, 303);
    assert.equal(res.headers.get('location'), '/login');
  });

  it('a POST is never remembered as a return target', async () => {
    const res = await new Client(app.url).request('/logout-everywhere', {
      method: 'POST',
      headers: { accept: BROWSER },
    });
    assert.equal(res.headers.get('location'), '/login');
  });

  it('requireFreshLogin: fresh right after a normal login, stale after maxAge', async () => {
    const client = new Client(app.url);
    await client.request('/login', post({ login: 'sam@example.com', password: PASSWORD }));
    const headers = { accept: 'application/json' };
    assert.equal((await client.request('/sensitive', { headers })).status, 200);
    app.clock.now += 5 * 60 * 1000 + 1;
    const stale = await client.request('/sensitive', { headers });
    assert.equal(stale.status, 401);
    assert.deepEqual(await stale.json(), { error: 'reauthentication-required' });
    assert.equal((await client.request('/me', { headers })).status, 200, 'still logged in');
    const browser = await client.request('/sensitive', { headers: { accept: BROWSER } });
    assert.equal(browser.headers.get('location'), '/login?return_to=%2Fsensitive&reauth=1');
  });

  it('requireFreshLogin: a remembered session is never fresh, until the password is confirmed', async () => {
    const client = new Client(app.url);
    await client.request(
      '/login',
      post({ login: 'sam@example.com', password: PASSWORD, rememberMe: true }),
    );
    const headers = { accept: 'application/json' };
    assert.equal((await client.request('/sensitive', { headers })).status, 401);
    const before = client.cookieHeader();
    const wrong = await client.request('/confirm', post({ password: 'not the password' }));
    assert.equal(wrong.status, 401);
    assert.equal((await client.request('/sensitive', { headers })).status, 401);
    const ok = await client.request('/confirm', post({ password: PASSWORD }));
    assert.equal(ok.status, 200);
    assert.notEqual(client.cookieHeader(), before, 'confirming rotates the token');
    assert.equal((await client.request('/sensitive', { headers })).status, 200);
    app.clock.now += 5 * 60 * 1000 + 1;
    assert.equal((await client.request('/sensitive', { headers })).status, 401);
  });
});
