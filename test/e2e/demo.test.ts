import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { Client, listen, type TestServer } from '../helpers/http.js';
import { browserUnavailable, launchChromium, USER_AGENTS } from './browser.js';
import { logIn, startTestDemo, type TestDemo } from './demo.js';

const PASSWORD = 'correct horse battery staple';
const skip = browserUnavailable();
// Make the skip visible in the runner's summary too, not only in the warning above.
if (skip !== false) it('browser end-to-end tests', { skip }, () => {});

/** The demo's URL as a browser user types it: http://localhost:<port>. */
function localhost(url: string): string {
  return url.replace('://127.0.0.1:', '://localhost:');
}

async function newPage(browser: Browser, userAgent: string = USER_AGENTS.chromeLinux) {
  const context = await browser.newContext({ userAgent });
  return { context, page: await context.newPage() };
}

async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.click(selector)]);
}

async function signUp(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/signup`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  await submit(page, 'main button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/dashboard');
}

async function logInPage(page: Page, base: string, username: string, remember = false) {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', PASSWORD);
  if (remember) await page.check('input[name=remember]');
  await submit(page, 'main button[type=submit]');
  assert.equal(new URL(page.url()).pathname, '/dashboard');
}

async function heading(page: Page): Promise<string> {
  return (await page.textContent('h1')) ?? '';
}

function onLoginPage(page: Page): boolean {
  return new URL(page.url()).pathname === '/login';
}

describe('demo app in Chromium', { skip }, () => {
  let browser: Browser;
  let demo: TestDemo;
  let base: string;
  const contexts: BrowserContext[] = [];
  const track = <T extends { context: BrowserContext }>(x: T): T => {
    contexts.push(x.context);
    return x;
  };

  before(async () => {
    browser = await launchChromium();
    demo = await startTestDemo();
    base = localhost(demo.url);
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser.close();
    await demo.close();
  });

  it('sign up, log out, log in with remember-me; reload and a browser restart stay logged in', async () => {
    const { context, page } = track(await newPage(browser));
    await signUp(page, base, 'remy');
    assert.equal(await heading(page), 'Welcome back, remy');

    const first = (await context.cookies(base)).find((c) => c.name === '__Host-sid');
    assert.ok(first, 'the browser accepted the __Host- Secure cookie over http://localhost');
    assert.equal(first.httpOnly, true);
    assert.equal(first.secure, true);
    assert.equal(first.sameSite, 'Lax');
    assert.equal(first.expires, -1, 'without remember-me the cookie ends with the browser');
    assert.equal(
      await page.evaluate<boolean>("document.cookie.includes('__Host-sid')"),
      false,
      'page scripts cannot read the session cookie',
    );

    await submit(page, 'header form[action="/logout"] button');
    assert.equal(onLoginPage(page), true);
    assert.equal((await context.request.get(`${base}/api/me`)).status(), 401);

    await logInPage(page, base, 'remy', true);
    const remembered = (await context.cookies(base)).find((c) => c.name === '__Host-sid');
    assert.ok(remembered !== undefined && remembered.expires > Date.now() / 1000 + 29 * 86400);
    await page.reload();
    assert.equal(await heading(page), 'Welcome back, remy');
    assert.equal(await page.evaluate<boolean>("document.cookie.includes('__Host-sid')"), false);

    // A browser restart keeps persistent cookies only.
    const state = await context.storageState();
    const restarted = await browser.newContext({
      userAgent: USER_AGENTS.chromeLinux,
      storageState: { ...state, cookies: state.cookies.filter((c) => c.expires > 0) },
    });
    contexts.push(restarted);
    const again = await restarted.newPage();
    await again.goto(`${base}/dashboard`);
    assert.equal(await heading(again), 'Welcome back, remy');
  });

  it('two browsers: revoking one from the sessions page of the other sends it to the login page', async () => {
    const a = track(await newPage(browser, USER_AGENTS.chromeLinux));
    const b = track(await newPage(browser, USER_AGENTS.firefoxMac));
    await signUp(a.page, base, 'rivka');
    await logInPage(b.page, base, 'rivka');

    await a.page.goto(`${base}/account/sessions`);
    assert.equal(await a.page.locator('tbody tr').count(), 2);
    assert.match((await a.page.textContent('tr.current')) ?? '', /this device/);
    assert.match((await a.page.textContent('tbody tr:not(.current)')) ?? '', /Firefox/);
    await submit(a.page, 'tbody tr:not(.current) button');
    assert.match((await a.page.textContent('main')) ?? '', /Session revoked\./);
    assert.equal(await a.page.locator('tbody tr').count(), 1);

    await b.page.reload();
    assert.equal(onLoginPage(b.page), true);
    assert.equal(new URL(b.page.url()).searchParams.get('return_to'), '/dashboard');
    await a.page.goto(`${base}/dashboard`);
    assert.equal(await heading(a.page), 'Welcome back, rivka');
  });

  it('changing the password in one browser logs the other out', async () => {
    const a = track(await newPage(browser));
    const b = track(await newPage(browser, USER_AGENTS.firefoxMac));
    await signUp(a.page, base, 'paula');
    await logInPage(b.page, base, 'paula');

    await a.page.fill('#current_password', PASSWORD);
    await a.page.fill('#new_password', 'a completely new passphrase');
    await submit(a.page, 'form[action="/account/password"] button');
    assert.equal(new URL(a.page.url()).pathname, '/dashboard');
    assert.match(
      (await a.page.textContent('main')) ?? '',
      /Password changed\. 1 other session was/,
    );

    await b.page.reload();
    assert.equal(onLoginPage(b.page), true);
    await a.page.reload();
    assert.equal(await heading(a.page), 'Welcome back, paula');
  });

  it('a page on another localhost port cannot change the password with an auto-submitting form', async () => {
    const victim = track(await newPage(browser));
    await signUp(victim.page, base, 'victor');
    const target = `${base}/account/password`;
    // The attacker even knows the current password: only CSRF protection stands in the way.
    const attacker: TestServer = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><form id="f" method="post" action="${target}">
<input name="current_password" value="${PASSWORD}"><input name="new_password" value="attacker chose this">
</form><script>document.getElementById('f').submit()</script>`);
    });
    try {
      const attackPage = localhost(attacker.url);
      assert.notEqual(new URL(attackPage).port, new URL(base).port);
      const answered = victim.page.waitForResponse((r) => r.url() === target);
      await victim.page.goto(attackPage);
      const response = await answered;
      assert.equal(response.request().method(), 'POST');
      assert.equal(response.status(), 403);
      assert.match(await response.text(), /csrf: cross-site/);
    } finally {
      await attacker.close();
    }
    const probe = new Client(demo.url);
    assert.equal((await logIn(probe, 'victor', 'attacker chose this')).status, 401);
    assert.equal((await logIn(new Client(demo.url), 'victor', PASSWORD)).status, 303);
    await victim.page.goto(`${base}/dashboard`);
    assert.equal(
      await heading(victim.page),
      'Welcome back, victor',
      'the victim is still logged in',
    );
  });
});

describe('demo app in Chromium: idle timeout', { skip }, () => {
  let browser: Browser;
  let demo: TestDemo;
  before(async () => {
    browser = await launchChromium();
    demo = await startTestDemo({ LATCHKEY_IDLE_TIMEOUT: '1m' });
  });
  after(async () => {
    await browser.close();
    await demo.close();
  });

  it('activity keeps the session; a minute without requests logs the user out', async () => {
    const base = localhost(demo.url);
    const { context, page } = await newPage(browser);
    try {
      await signUp(page, base, 'idle');
      for (let i = 0; i < 3; i++) {
        demo.advance(45_000);
        await page.reload();
        assert.equal(
          await heading(page),
          'Welcome back, idle',
          `still in after ${String(i + 1)} × 45 s`,
        );
      }
      demo.advance(61_000);
      await page.reload();
      assert.equal(onLoginPage(page), true);
      assert.equal((await context.request.get(`${base}/api/me`)).status(), 401);
    } finally {
      await context.close();
    }
  });
});
