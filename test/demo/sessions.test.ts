import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '../helpers/http.js';
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
const NEW_PASSWORD = 'a brand new passphrase';

/** Public ids listed on the sessions page, in order, and which one is current. */
function listed(body: string): { ids: string[]; current: string | undefined } {
  const ids = [...body.matchAll(/<tr(?: class="current")? data-session="([^"]+)"/g)].map(
    (m) => m[1] ?? '',
  );
  const current = /<tr class="current" data-session="([^"]+)"/.exec(body)?.[1];
  return { ids, current };
}

async function loggedIn(client: Client): Promise<boolean> {
  return (await client.request('/api/me')).status === 200;
}

describe('demo app: sessions page, revocation, password change, timeouts', () => {
  let demo: TestDemo;
  before(async () => {
    demo = await startTestDemo({ LATCHKEY_IDLE_TIMEOUT: '5m' });
  });
  after(async () => {
    await demo.close();
  });

  it('GET /account/sessions lists every session with device, IP and times, the current one marked', async () => {
    await signUp(new Client(demo.url), 'lister', PASSWORD);
    const firefox = new Client(demo.url);
    const chrome = new Client(demo.url);
    await logIn(firefox, 'lister', PASSWORD);
    await logIn(chrome, 'lister', PASSWORD);
    const again = await firefox.request('/login', { headers: { accept: 'text/html' } });
    assert.equal(again.status, 303, 'already logged in: /login redirects to the dashboard');
    const { status, body } = await getPage(chrome, '/account/sessions');
    assert.equal(status, 200);
    const { ids, current } = listed(body);
    assert.equal(ids.length, 3, 'sign-up session, firefox, chrome');
    assert.ok(current !== undefined && ids.includes(current));
    assert.match(body, /this device/);
    assert.match(body, /127\.0\.0\.1/);
    assert.match(body, /<time datetime="\d{4}-\d\d-\d\dT/);
    const anon = await new Client(demo.url).request('/account/sessions', {
      headers: { accept: 'text/html' },
    });
    assert.equal(anon.status, 303);
  });

  it('POST /account/sessions/revoke ends that session only; other users\u2019 ids are not found', async () => {
    await signUp(new Client(demo.url), 'revoker', PASSWORD);
    const a = new Client(demo.url);
    const b = new Client(demo.url);
    await logIn(a, 'revoker', PASSWORD);
    await logIn(b, 'revoker', PASSWORD);
    const bId = listed((await getPage(b, '/account/sessions')).body).current ?? '';

    // Another user cannot revoke it, even with a valid form of their own.
    const mallory = new Client(demo.url);
    await signUp(mallory, 'mallory', PASSWORD);
    const mToken = csrfOf((await getPage(mallory, '/account/sessions')).body);
    await postForm(mallory, '/account/sessions/revoke', { session: bId, _csrf: mToken });
    assert.equal(await loggedIn(b), true);

    // Without a token, nothing happens.
    assert.equal((await postForm(a, '/account/sessions/revoke', { session: bId })).status, 403);
    assert.equal(await loggedIn(b), true);

    const { body } = await getPage(a, '/account/sessions');
    const r = await postForm(a, '/account/sessions/revoke', { session: bId, _csrf: csrfOf(body) });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/account/sessions');
    assert.equal(await loggedIn(b), false);
    assert.equal(await loggedIn(a), true);
    const after = await getPage(a, '/account/sessions');
    assert.match(after.body, /Session revoked\./);
    assert.equal(listed(after.body).ids.includes(bId), false);
    const browser = await b.request('/dashboard', { headers: { accept: 'text/html' } });
    assert.equal(browser.status, 303, 'the revoked browser lands on the login page');
  });

  it('POST /account/sessions/revoke-others keeps only the current session', async () => {
    await signUp(new Client(demo.url), 'everywhere', PASSWORD);
    const clients = [new Client(demo.url), new Client(demo.url), new Client(demo.url)];
    for (const c of clients) await logIn(c, 'everywhere', PASSWORD);
    const [keep, ...others] = clients as [Client, ...Client[]];
    const { body } = await getPage(keep, '/account/sessions');
    const r = await postForm(keep, '/account/sessions/revoke-others', { _csrf: csrfOf(body) });
    assert.equal(r.status, 303);
    for (const c of others) assert.equal(await loggedIn(c), false);
    assert.equal(await loggedIn(keep), true);
    const page = await getPage(keep, '/account/sessions');
    assert.equal(listed(page.body).ids.length, 1);
    assert.match(page.body, /3 other sessions logged out\./, 'the sign-up session too');
  });

  it('POST /account/password changes it, keeps this session, ends the other client\u2019s', async () => {
    await signUp(new Client(demo.url), 'changer', PASSWORD);
    const here = new Client(demo.url);
    const there = new Client(demo.url);
    await logIn(here, 'changer', PASSWORD);
    await logIn(there, 'changer', PASSWORD);
    const token = csrfOf((await getPage(here, '/dashboard')).body);

    const wrong = await postForm(here, '/account/password', {
      current_password: 'not it at all',
      new_password: NEW_PASSWORD,
      _csrf: token,
    });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /current password is wrong/);
    const noToken = await postForm(here, '/account/password', {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
    });
    assert.equal(noToken.status, 403);

    const r = await postForm(here, '/account/password', {
      current_password: PASSWORD,
      new_password: NEW_PASSWORD,
      _csrf: token,
    });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/dashboard');
    assert.equal(await loggedIn(here), true);
    assert.equal(await loggedIn(there), false);
    assert.match(
      (await getPage(here, '/dashboard')).body,
      /Password changed\. 2 other sessions were/,
    );
    assert.equal((await logIn(new Client(demo.url), 'changer', PASSWORD)).status, 401);
    assert.equal((await logIn(new Client(demo.url), 'changer', NEW_PASSWORD)).status, 303);
  });

  it('the idle timeout logs the user out; remember-me sessions outlive it', async () => {
    await signUp(new Client(demo.url), 'sleeper', PASSWORD);
    const plain = new Client(demo.url);
    const remembered = new Client(demo.url);
    await logIn(plain, 'sleeper', PASSWORD);
    await logIn(remembered, 'sleeper', PASSWORD, { remember: 'on' });
    demo.advance(4 * 60_000);
    assert.equal(await loggedIn(plain), true, 'activity within the idle timeout keeps it');
    demo.advance(5 * 60_000 + 1);
    assert.equal(await loggedIn(plain), false, 'idle for longer than LATCHKEY_IDLE_TIMEOUT');
    assert.equal(await loggedIn(remembered), true);
  });
});
