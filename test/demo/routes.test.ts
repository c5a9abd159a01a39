import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, parseSetCookie } from '../helpers/http.js';
import {
  csrfOf,
  getPage,
  logIn,
  postForm,
  signUp,
  startTestDemo,
  type TestDemo,
} from '../e2e/demo.js';

const PASSWORD = 'correct horse battery staple';

function location(response: Response): string | null {
  return response.headers.get('location');
}

describe('demo app routes', () => {
  let demo: TestDemo;
  before(async () => {
    demo = await startTestDemo();
    const c = new Client(demo.url);
    assert.equal((await signUp(c, 'alice', PASSWORD)).status, 303);
  });
  after(async () => {
    await demo.close();
  });

  it('GET / sends anonymous visitors to /login and logged-in users to /dashboard (303)', async () => {
    const anon = new Client(demo.url);
    const r1 = await anon.request('/');
    assert.equal(r1.status, 303);
    assert.equal(location(r1), '/login');
    const user = new Client(demo.url);
    await logIn(user, 'alice', PASSWORD);
    const r2 = await user.request('/');
    assert.equal(r2.status, 303);
    assert.equal(location(r2), '/dashboard');
  });

  it('GET /login shows the form with username, password, remember and a hidden _csrf', async () => {
    const { status, body, response } = await getPage(new Client(demo.url), '/login');
    assert.equal(status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.match(body, /<input type="text" id="username" name="username"/);
    assert.match(body, /<input type="password" id="password" name="password"/);
    assert.match(body, /<input type="checkbox" name="remember"/);
    assert.match(body, /<input type="hidden" name="_csrf" value="[A-Za-z0-9_-]{40,}"/);
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
  });

  it('POST /login: 303 to /dashboard with a fresh session cookie; the pre-login token is dead', async () => {
    const c = new Client(demo.url);
    const { body } = await getPage(c, '/login');
    const before = c.cookies.get('__Host-sid');
    assert.ok(before, 'the login form gives an anonymous session for its CSRF token');
    const r = await postForm(c, '/login', {
      username: 'alice',
      password: PASSWORD,
      _csrf: csrfOf(body),
    });
    assert.equal(r.status, 303);
    assert.equal(location(r), '/dashboard');
    const line = r.headers.getSetCookie().find((l) => l.startsWith('__Host-sid='));
    assert.ok(line);
    const cookie = parseSetCookie(line);
    assert.notEqual(cookie.value, before);
    assert.ok(cookie.attributes.has('httponly') && cookie.attributes.has('secure'));
    assert.equal(
      cookie.attributes.has('max-age'),
      false,
      'no remember-me: a browser-session cookie',
    );
    const replay = await fetch(`${demo.url}/api/me`, {
      headers: { cookie: `__Host-sid=${before}` },
    });
    assert.equal(replay.status, 401);
    const me = await c.request('/api/me');
    assert.deepEqual(await me.json(), { username: 'alice' });
  });

  it('POST /login with remember=on sets a persistent cookie', async () => {
    const c = new Client(demo.url);
    const r = await logIn(c, 'alice', PASSWORD, { remember: 'on' });
    assert.equal(r.status, 303);
    const line = r.headers.getSetCookie().find((l) => l.startsWith('__Host-sid='));
    const maxAge = Number(parseSetCookie(line ?? '').attributes.get('max-age'));
    assert.ok(maxAge > 29 * 24 * 3600, `Max-Age ${String(maxAge)} should be about 30 days`);
  });

  it('POST /login failures: 401, the form again, one generic message for unknown user and wrong password', async () => {
    const wrong = await logIn(new Client(demo.url), 'alice', 'not the password');
    const unknown = await logIn(new Client(demo.url), 'nobody-here', 'not the password');
    for (const r of [wrong, unknown]) {
      assert.equal(r.status, 401);
      const body = await r.text();
      assert.match(body, /Wrong username or password\./);
      assert.match(body, /name="_csrf"/, 'the form is shown again');
      assert.equal(
        r.headers.getSetCookie().some((l) => /__Host-sid=[^;]+;.*Max-Age=[1-9]/.test(l)),
        false,
      );
    }
  });

  it('POST /login is throttled: 429 with Retry-After after 5 failures, even with the right password', async () => {
    const c = new Client(demo.url);
    await signUp(new Client(demo.url), 'bob', PASSWORD);
    for (let i = 0; i < 5; i++)
      assert.equal((await logIn(c, 'bob', 'wrong password!')).status, 401);
    const r = await logIn(c, 'bob', PASSWORD);
    assert.equal(r.status, 429);
    assert.match(r.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.match(await r.text(), /Too many attempts/);
    demo.advance(Number(r.headers.get('retry-after')) * 1000 + 1);
    assert.equal((await logIn(c, 'bob', PASSWORD)).status, 303, 'no lockout after the wait');
  });

  it('POST /login honours a safe return_to and ignores an unsafe one', async () => {
    const safe = await logIn(
      new Client(demo.url),
      'alice',
      PASSWORD,
      {},
      '/login?return_to=%2Faccount%2Fsessions',
    );
    assert.equal(location(safe), '/account/sessions');
    for (const evil of [
      '//evil.example',
      '/\\evil.example',
      'https://evil.example/',
      '/%2F%2Fevil.example',
    ]) {
      const r = await logIn(
        new Client(demo.url),
        'alice',
        PASSWORD,
        {},
        `/login?${new URLSearchParams({ return_to: evil }).toString()}`,
      );
      assert.equal(r.status, 303);
      assert.equal(location(r), '/dashboard', `return_to ${evil}`);
    }
  });

  it('POST /login without a CSRF token, with a foreign token or from another site is refused (403)', async () => {
    const c = new Client(demo.url);
    await getPage(c, '/login');
    const none = await postForm(c, '/login', { username: 'alice', password: PASSWORD });
    assert.equal(none.status, 403);
    const other = new Client(demo.url);
    const foreign = csrfOf((await getPage(other, '/login')).body);
    const wrong = await postForm(c, '/login', {
      username: 'alice',
      password: PASSWORD,
      _csrf: foreign,
    });
    assert.equal(wrong.status, 403);
    const own = csrfOf((await getPage(c, '/login')).body);
    const cross = await postForm(
      c,
      '/login',
      { username: 'alice', password: PASSWORD, _csrf: own },
      { origin: 'http://localhost:1', 'sec-fetch-site': 'same-site' },
    );
    assert.equal(cross.status, 403);
    assert.equal((await c.request('/api/me')).status, 401, 'none of them logged in');
  });

  it('the login form escapes what the user typed (no HTML injection)', async () => {
    const r = await logIn(new Client(demo.url), '"><script>alert(1)</script>', 'whatever1');
    const body = await r.text();
    assert.equal(body.includes('<script>alert(1)</script>'), false);
    assert.match(body, /value="&quot;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;"/);
  });

  it('POST /signup creates the user and logs in; a taken name and a short password are refused', async () => {
    const c = new Client(demo.url);
    const r = await signUp(c, 'Carol', PASSWORD);
    assert.equal(r.status, 303);
    assert.equal(location(r), '/dashboard');
    assert.deepEqual(await (await c.request('/api/me')).json(), { username: 'carol' });
    const taken = await signUp(new Client(demo.url), 'carol', 'another password');
    assert.equal(taken.status, 409);
    assert.match(await taken.text(), /taken/);
    const short = await signUp(new Client(demo.url), 'dave', 'short');
    assert.equal(short.status, 400);
    assert.match(await short.text(), /at least 8 characters/);
    assert.equal(
      (await logIn(new Client(demo.url), 'dave', 'short')).status,
      401,
      'dave was not created',
    );
    const bad = await signUp(new Client(demo.url), '<b>x</b>', PASSWORD);
    assert.equal(bad.status, 400);
  });

  it('POST /signup needs the CSRF token', async () => {
    const c = new Client(demo.url);
    await getPage(c, '/signup');
    const r = await postForm(c, '/signup', { username: 'eve', password: PASSWORD });
    assert.equal(r.status, 403);
    assert.equal((await logIn(new Client(demo.url), 'eve', PASSWORD)).status, 401);
  });

  it('GET /dashboard: welcome, session times, change-password form; anonymous 303 or 401 JSON', async () => {
    const c = new Client(demo.url);
    await logIn(c, 'alice', PASSWORD);
    const { status, body, response } = await getPage(c, '/dashboard');
    assert.equal(status, 200);
    assert.match(body, /Welcome back, alice/);
    assert.match(body, /Created<\/dt><dd><time datetime="\d{4}-/);
    assert.match(body, /Last seen<\/dt><dd><time/);
    assert.match(body, /Expires if idle<\/dt><dd><time/);
    assert.match(body, /action="\/account\/password"/);
    assert.match(response.headers.get('cache-control') ?? '', /no-store/);

    const browser = await new Client(demo.url).request('/dashboard', {
      headers: { accept: 'text/html' },
    });
    assert.equal(browser.status, 303);
    const target = new URL(location(browser) ?? '', demo.url);
    assert.equal(target.pathname, '/login');
    assert.equal(target.searchParams.get('return_to'), '/dashboard');

    const api = await new Client(demo.url).request('/dashboard', {
      headers: { accept: 'application/json' },
    });
    assert.equal(api.status, 401);
    assert.deepEqual(await api.json(), { error: 'unauthenticated' });
  });

  it('GET /api/me: the username as JSON, or 401 JSON', async () => {
    const anon = await new Client(demo.url).request('/api/me', {
      headers: { accept: 'text/html' },
    });
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await anon.json(), { error: 'unauthenticated' });
    const forged = await fetch(`${demo.url}/api/me`, {
      headers: { cookie: '__Host-sid=<script>' },
    });
    assert.equal(forged.status, 401);
  });

  it('POST /logout: 303 to /login, cookie cleared, a copied cookie is dead; without a token 403', async () => {
    const c = new Client(demo.url);
    await logIn(c, 'alice', PASSWORD);
    const copy = c.clone();
    const token = csrfOf((await getPage(c, '/dashboard')).body);
    const refused = await postForm(c, '/logout', {});
    assert.equal(refused.status, 403);
    assert.equal((await c.request('/api/me')).status, 200, 'still logged in');
    const r = await postForm(c, '/logout', { _csrf: token });
    assert.equal(r.status, 303);
    assert.equal(location(r), '/login');
    const cleared = r.headers.getSetCookie().find((l) => l.startsWith('__Host-sid='));
    assert.match(cleared ?? '', /^__Host-sid=;.*Max-Age=0/i);
    assert.equal((await copy.request('/api/me')).status, 401);
  });

  it('refuses non-form bodies (415) and oversized forms (413), and answers 404 elsewhere', async () => {
    const c = new Client(demo.url);
    await getPage(c, '/login');
    const jsonBody = await c.request('/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":"alice"}',
    });
    assert.equal(jsonBody.status, 415);
    const big = await postForm(c, '/login', { username: 'x'.repeat(20_000), password: 'y' });
    assert.equal(big.status, 413);
    // The unread rest of the body would break the next request on this connection: it closes.
    assert.equal(big.headers.get('connection'), 'close');
    const huge = await postForm(c, '/login', { username: 'x'.repeat(1_000_000), password: 'y' });
    assert.equal(huge.status, 413);
    assert.equal((await c.request('/nope')).status, 404);
    const css = await c.request('/style.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /text\/css/);
  });
});
