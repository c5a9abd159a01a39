import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { withSession, type SessionRequest } from '../../src/adapters/node.js';
import { createSessions } from '../../src/core/manager.js';
import {
  createCsrf,
  csrfNode,
  type CsrfOptions,
  type CsrfRejectedEvent,
  type CsrfWrapperOptions,
} from '../../src/csrf/index.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client, listen, type TestServer } from '../helpers/http.js';

/**
 * A small app on node:http: pages that render tokens, a state-changing form endpoint, a login form
 * and a JSON endpoint. Every state change is recorded in the session, so tests can tell whether a
 * refused request changed anything.
 */
async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(body));
}

interface App {
  readonly server: TestServer;
  readonly events: CsrfRejectedEvent[];
}

async function startApp(options: CsrfOptions = {}, wrapper: CsrfWrapperOptions = {}): Promise<App> {
  const sessions = createSessions({ store: memoryStore() });
  const csrf = createCsrf(options);
  const events: CsrfRejectedEvent[] = [];
  csrf.on('rejected', (event) => events.push(event));
  const protect = csrfNode(csrf);
  const protectJson = csrfNode(csrf, { json: true, ...wrapper });
  const handler = async (req: SessionRequest, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    const { session } = req;
    if (path === '/form' || path === '/login') {
      if (req.method === 'GET') {
        // A rendered page: the token goes into a hidden field.
        const token = await csrf.token(session);
        res.setHeader('Content-Type', 'text/html');
        res.end(`<form method="post"><input type="hidden" name="_csrf" value="${token}"></form>`);
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      if (!(await protect(req, res, form.get('_csrf') ?? undefined))) return;
      if (path === '/login') await session.bindUser(form.get('user') ?? 'alice');
      else
        await session.set(
          'transfers',
          (((await session.get('transfers')) as number | undefined) ?? 0) + 1,
        );
      send(res, 200, { ok: true, user: await session.userId() });
      return;
    }
    if (path === '/plain') {
      // Protected like any route, but renders no token: safe requests must not create sessions.
      if (!(await protect(req, res))) return;
      send(res, 200, { ok: true });
      return;
    }
    if (path === '/state') {
      send(res, 200, {
        transfers: (await session.get('transfers')) ?? 0,
        user: await session.userId(),
      });
      return;
    }
    if (path === '/api/token') {
      send(res, 200, { token: await csrf.token(session) });
      return;
    }
    if (path === '/api/items') {
      if (!(await protectJson(req, res))) return;
      const body = await readBody(req);
      await session.set(
        'transfers',
        (((await session.get('transfers')) as number | undefined) ?? 0) + 1,
      );
      send(res, 200, { ok: true, received: body.length });
      return;
    }
    send(res, 404, { error: 'not found' });
  };
  const server = await listen(withSession(sessions, handler));
  return { server, events };
}

/** The token in a rendered form. */
async function formToken(client: Client, path = '/form'): Promise<string> {
  const response = await client.request(path);
  assert.equal(response.status, 200);
  const match = /name="_csrf" value="([^"]+)"/.exec(await response.text());
  assert.ok(match?.[1], 'the page renders a token');
  return match[1];
}

/** What a browser adds to a same-origin form submission. */
function sameOrigin(app: App): Record<string, string> {
  return { 'sec-fetch-site': 'same-origin', origin: app.server.url };
}

function formPost(
  token: string | undefined,
  headers: Record<string, string>,
  extra = '',
): RequestInit {
  const body = (token === undefined ? '' : `_csrf=${encodeURIComponent(token)}`) + extra;
  return {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  };
}

async function reasonOf(response: Response): Promise<unknown> {
  assert.equal(response.status, 403);
  const body = (await response.json()) as { error?: unknown; reason?: unknown };
  assert.equal(body.error, 'csrf');
  return body.reason;
}

async function transfers(client: Client): Promise<number> {
  const response = await client.request('/state');
  return ((await response.json()) as { transfers: number }).transfers;
}

describe('csrf on node:http, default options (origin derived from Host)', () => {
  let app: App;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.server.close();
  });

  it('accepts a same-origin form with its token, and a fetch with the x-csrf-token header', async () => {
    const client = new Client(app.server.url);
    const token = await formToken(client);
    const ok = await client.request('/form', formPost(token, sameOrigin(app)));
    assert.equal(ok.status, 200);
    const viaHeader = await client.request('/form', {
      method: 'POST',
      headers: { ...sameOrigin(app), 'x-csrf-token': token },
    });
    assert.equal(viaHeader.status, 200);
    assert.equal(await transfers(client), 2);
  });

  it('refuses a cross-site form POST even with a valid token (Sec-Fetch-Site: cross-site)', async () => {
    const victim = new Client(app.server.url);
    const token = await formToken(victim);
    const response = await victim.request(
      '/form',
      formPost(token, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' }),
    );
    assert.equal(await reasonOf(response), 'cross-site');
    assert.equal(await transfers(victim), 0);
  });

  it('refuses same-site requests (a sibling subdomain) by default', async () => {
    const victim = new Client(app.server.url);
    const token = await formToken(victim);
    const response = await victim.request(
      '/form',
      formPost(token, {
        'sec-fetch-site': 'same-site',
        origin: 'https://user-content.example.com',
      }),
    );
    assert.equal(await reasonOf(response), 'cross-site');
  });

  it('without Fetch Metadata, refuses a foreign Origin, Origin: null and a foreign Referer', async () => {
    const victim = new Client(app.server.url);
    const token = await formToken(victim);
    const foreign = await victim.request('/form', formPost(token, { origin: 'https://evil.test' }));
    assert.equal(await reasonOf(foreign), 'origin-mismatch');
    const opaque = await victim.request('/form', formPost(token, { origin: 'null' }));
    assert.equal(await reasonOf(opaque), 'cross-site');
    const referer = await victim.request(
      '/form',
      formPost(token, { referer: 'https://evil.test/attack.html' }),
    );
    assert.equal(await reasonOf(referer), 'origin-mismatch');
    // Another port on the same host is another origin.
    const otherPort = app.server.url.replace(/:\d+$/, ':1');
    const port = await victim.request('/form', formPost(token, { origin: otherPort }));
    assert.equal(await reasonOf(port), 'origin-mismatch');
    // The https twin of the app's http origin is another origin too.
    const scheme = await victim.request(
      '/form',
      formPost(token, { origin: app.server.url.replace('http:', 'https:') }),
    );
    assert.equal(await reasonOf(scheme), 'origin-mismatch');
    assert.equal(await transfers(victim), 0);
    // The same request from the app's own origin (Origin or Referer) goes through.
    const own = await victim.request('/form', formPost(token, { origin: app.server.url }));
    assert.equal(own.status, 200);
    const ownReferer = await victim.request(
      '/form',
      formPost(token, { referer: `${app.server.url}/form?x=1` }),
    );
    assert.equal(ownReferer.status, 200);
  });

  it('refuses a request without a token (missing-token), changing nothing', async () => {
    const client = new Client(app.server.url);
    await formToken(client);
    const noField = await client.request('/form', formPost(undefined, sameOrigin(app)));
    assert.equal(await reasonOf(noField), 'missing-token');
    const emptyHeader = await client.request('/form', {
      method: 'POST',
      headers: { ...sameOrigin(app), 'x-csrf-token': '' },
    });
    assert.equal(await reasonOf(emptyHeader), 'missing-token');
    assert.equal(await transfers(client), 0);
  });

  it("refuses another session's token (bad-token)", async () => {
    const attacker = new Client(app.server.url);
    const victim = new Client(app.server.url);
    const attackerToken = await formToken(attacker);
    await formToken(victim);
    // No Fetch Metadata, no Origin: an old browser, so only the token layer stands in the way.
    const response = await victim.request('/form', formPost(attackerToken, {}));
    assert.equal(await reasonOf(response), 'bad-token');
    assert.equal(await transfers(victim), 0);
    // The attacker's token still works in the attacker's own session.
    assert.equal((await attacker.request('/form', formPost(attackerToken, {}))).status, 200);
  });

  it('refuses a token when the session has none (a fresh visitor sent a token)', async () => {
    const attacker = new Client(app.server.url);
    const token = await formToken(attacker);
    const stranger = new Client(app.server.url);
    const response = await stranger.request('/form', formPost(token, {}));
    assert.equal(await reasonOf(response), 'bad-token');
  });

  it('refuses tampered and malformed tokens without throwing', async () => {
    const client = new Client(app.server.url);
    const token = await formToken(client);
    const flipped = token.slice(0, 50) + (token[50] === 'A' ? 'B' : 'A') + token.slice(51);
    const cases = [
      flipped,
      token.slice(1),
      `${token}A`,
      'x'.repeat(86),
      '%%%',
      'é'.repeat(86),
      token.replace(/.$/, '='),
    ];
    for (const bad of cases) {
      const response = await client.request('/form', formPost(bad, sameOrigin(app)));
      assert.equal(await reasonOf(response), 'bad-token', `token ${JSON.stringify(bad)}`);
    }
    // Two _csrf fields, one of them valid: the first is used, the request is never a 500.
    const twice = await client.request(
      '/form',
      formPost('nope', sameOrigin(app), `&_csrf=${token}`),
    );
    assert.equal(await reasonOf(twice), 'bad-token');
    assert.equal(await transfers(client), 0);
  });

  it('hands out a different token on every render, and every one validates (BREACH)', async () => {
    const client = new Client(app.server.url);
    const first = await formToken(client);
    const second = await formToken(client);
    const third = (await (await client.request('/api/token')).json()) as { token: string };
    assert.notEqual(first, second);
    assert.notEqual(second, third.token);
    assert.match(first, /^[A-Za-z0-9_-]{86}$/);
    for (const token of [first, second, third.token]) {
      const response = await client.request('/form', formPost(token, sameOrigin(app)));
      assert.equal(response.status, 200);
    }
  });

  it('protects the login form of an anonymous visitor (login CSRF, SEC-45)', async () => {
    const victim = new Client(app.server.url);
    await formToken(victim, '/login');
    // Forcing the victim into the attacker's account: no token, or the attacker's own token.
    const attacker = new Client(app.server.url);
    const attackerToken = await formToken(attacker, '/login');
    const missing = await victim.request('/login', formPost(undefined, {}, 'user=mallory'));
    assert.equal(await reasonOf(missing), 'missing-token');
    const foreign = await victim.request('/login', formPost(attackerToken, {}, '&user=mallory'));
    assert.equal(await reasonOf(foreign), 'bad-token');
    const crossSite = await victim.request(
      '/login',
      formPost(attackerToken, { 'sec-fetch-site': 'cross-site' }, '&user=mallory'),
    );
    assert.equal(await reasonOf(crossSite), 'cross-site');
    assert.equal(((await (await victim.request('/state')).json()) as { user: unknown }).user, null);
    // The victim's own login form works.
    const token = await formToken(victim, '/login');
    const login = await victim.request('/login', formPost(token, sameOrigin(app), '&user=victim'));
    assert.equal(login.status, 200);
    assert.equal(((await login.json()) as { user: unknown }).user, 'victim');
  });

  it('rotates at login: a token from before login is refused afterwards', async () => {
    const client = new Client(app.server.url);
    const beforeLogin = await formToken(client, '/login');
    const login = await client.request(
      '/login',
      formPost(beforeLogin, sameOrigin(app), '&user=alice'),
    );
    assert.equal(login.status, 200);
    const replay = await client.request('/form', formPost(beforeLogin, sameOrigin(app)));
    assert.equal(await reasonOf(replay), 'bad-token');
    assert.equal(await transfers(client), 0);
    // A page rendered after login gets a working token; logging in again rotates it again.
    const afterLogin = await formToken(client);
    assert.equal(
      (await client.request('/form', formPost(afterLogin, sameOrigin(app)))).status,
      200,
    );
    const relogin = await client.request(
      '/login',
      formPost(afterLogin, sameOrigin(app), '&user=alice'),
    );
    assert.equal(relogin.status, 200);
    const stale = await client.request('/form', formPost(afterLogin, sameOrigin(app)));
    assert.equal(await reasonOf(stale), 'bad-token');
  });

  it('lets GET, HEAD and OPTIONS through, even cross-site, without creating a session', async () => {
    const client = new Client(app.server.url);
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      const response = await client.request('/plain', {
        method,
        headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' },
      });
      assert.equal(response.status, 200, method);
      assert.equal(response.headers.getSetCookie().length, 0, `${method} sets no cookie`);
    }
    assert.equal(client.cookies.size, 0);
  });

  it('refuses unsafe methods other than POST the same way', async () => {
    const client = new Client(app.server.url);
    const token = await formToken(client);
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const crossSite = await client.request('/plain', {
        method,
        headers: { 'sec-fetch-site': 'cross-site', 'x-csrf-token': token },
      });
      assert.equal(await reasonOf(crossSite), 'cross-site', method);
      const missing = await client.request('/plain', { method, headers: sameOrigin(app) });
      assert.equal(await reasonOf(missing), 'missing-token', method);
      const ok = await client.request('/plain', {
        method,
        headers: { ...sameOrigin(app), 'x-csrf-token': token },
      });
      assert.equal(ok.status, 200, method);
    }
  });

  it('JSON endpoint: refuses text/plain and form bodies, accepts application/json with a token', async () => {
    const client = new Client(app.server.url);
    const { token } = (await (await client.request('/api/token')).json()) as { token: string };
    const crossOrigin = await client.request('/api/items', {
      method: 'POST',
      headers: { origin: 'https://evil.test', 'content-type': 'text/plain' },
      body: '{"name":"x"}',
    });
    assert.equal(crossOrigin.status, 403);
    for (const type of [
      'text/plain',
      'text/plain;charset=UTF-8',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'text/plain, application/json',
    ]) {
      const response = await client.request('/api/items', {
        method: 'POST',
        headers: { 'content-type': type, 'x-csrf-token': token },
        body: '{"name":"x"}',
      });
      assert.equal(await reasonOf(response), 'simple-content-type', type);
    }
    assert.equal(await transfers(client), 0);
    const ok = await client.request('/api/items', {
      method: 'POST',
      headers: { ...sameOrigin(app), 'content-type': 'application/json', 'x-csrf-token': token },
      body: '{"name":"x"}',
    });
    assert.equal(ok.status, 200);
    // A body-less DELETE needs no Content-Type: cross-origin it always needs a CORS preflight.
    const del = await client.request('/api/items', {
      method: 'DELETE',
      headers: { ...sameOrigin(app), 'x-csrf-token': token },
    });
    assert.equal(del.status, 200);
  });

  it('answers 403 with a reason and never echoes the submitted token', async () => {
    const attacker = new Client(app.server.url);
    const victim = new Client(app.server.url);
    const attackerToken = await formToken(attacker);
    await formToken(victim);
    const json = await victim.request('/form', formPost(attackerToken, {}));
    assert.equal(json.status, 403);
    assert.match(json.headers.get('content-type') ?? '', /^application\/json/);
    const text = await json.text();
    assert.deepEqual(JSON.parse(text), { error: 'csrf', reason: 'bad-token' });
    assert.ok(!text.includes(attackerToken));
    const html = await victim.request(
      '/form',
      formPost(attackerToken, { accept: 'text/html,application/xhtml+xml' }),
    );
    assert.equal(html.status, 403);
    assert.match(html.headers.get('content-type') ?? '', /^text\/plain/);
    const page = await html.text();
    assert.match(page, /bad-token/);
    assert.ok(!page.includes(attackerToken));
  });

  it('emits a rejected event with reason, method and path, without the token', async () => {
    app.events.length = 0;
    const client = new Client(app.server.url);
    const token = await formToken(client);
    await client.request('/form?secret=query', formPost(token, { 'sec-fetch-site': 'cross-site' }));
    assert.deepEqual(app.events, [{ reason: 'cross-site', method: 'POST', path: '/form' }]);
    assert.ok(!JSON.stringify(app.events).includes(token));
  });
});

describe('csrf on node:http with a configured origin', () => {
  let app: App;
  const origin = 'https://app.example.com';
  before(async () => {
    app = await startApp({ origin, trustedOrigins: ['https://admin.example.org'] });
  });
  after(async () => {
    await app.server.close();
  });

  it('accepts the configured origin exactly, and refuses look-alikes', async () => {
    const client = new Client(app.server.url);
    const token = await formToken(client);
    assert.equal((await client.request('/form', formPost(token, { origin }))).status, 200);
    const spoofs = [
      'https://app.example.com.evil.test',
      'https://evil.test',
      'http://app.example.com',
      'https://app.example.com:8443',
      'https://evilapp.example.com',
      'https://sub.app.example.com',
      'HTTPS://APP.EXAMPLE.COM',
      'https://app.example.com/',
      // The derived origin no longer counts once `origin` is configured.
      app.server.url,
    ];
    for (const spoof of spoofs) {
      const response = await client.request('/form', formPost(token, { origin: spoof }));
      assert.equal(await reasonOf(response), 'origin-mismatch', spoof);
    }
    const referers = [
      'https://evil.test/https://app.example.com',
      'https://app.example.com.evil.test/form',
      'not a url',
    ];
    for (const referer of referers) {
      const response = await client.request('/form', formPost(token, { referer }));
      assert.equal(await reasonOf(response), 'origin-mismatch', referer);
    }
    assert.equal(
      (await client.request('/form', formPost(token, { referer: `${origin}/form` }))).status,
      200,
    );
    assert.equal(await transfers(client), 2);
  });

  it('accepts a trusted origin even when the browser calls it cross-site', async () => {
    const client = new Client(app.server.url);
    const token = await formToken(client);
    const trusted = await client.request(
      '/form',
      formPost(token, { 'sec-fetch-site': 'cross-site', origin: 'https://admin.example.org' }),
    );
    assert.equal(trusted.status, 200);
    const untrusted = await client.request(
      '/form',
      formPost(token, {
        'sec-fetch-site': 'cross-site',
        origin: 'https://admin.example.org.evil.test',
      }),
    );
    assert.equal(await reasonOf(untrusted), 'cross-site');
  });
});

describe('csrf on node:http, Fetch Metadata layer alone (requireToken: false)', () => {
  let app: App;
  before(async () => {
    app = await startApp({ requireToken: false });
  });
  after(async () => {
    await app.server.close();
  });

  it('still refuses cross-site and foreign-origin POSTs without any token', async () => {
    const victim = new Client(app.server.url);
    await formToken(victim);
    const crossSite = await victim.request(
      '/form',
      formPost(undefined, { 'sec-fetch-site': 'cross-site' }),
    );
    assert.equal(await reasonOf(crossSite), 'cross-site');
    const foreign = await victim.request(
      '/form',
      formPost(undefined, { origin: 'https://evil.test' }),
    );
    assert.equal(await reasonOf(foreign), 'origin-mismatch');
    assert.equal(await transfers(victim), 0);
    assert.equal((await victim.request('/form', formPost(undefined, sameOrigin(app)))).status, 200);
  });

  it('JSON endpoint: a text/plain POST with no Origin at all is refused as simple-content-type', async () => {
    const client = new Client(app.server.url);
    const plain = await client.request('/api/items', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"name":"x"}',
    });
    assert.equal(await reasonOf(plain), 'simple-content-type');
    const untyped = await client.request('/api/items', {
      method: 'POST',
      body: new Blob(['{"name":"x"}']),
    });
    assert.equal(await reasonOf(untyped), 'simple-content-type');
    const json = await client.request('/api/items', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    assert.equal(json.status, 200);
  });
});

describe('createCsrf options', () => {
  it('throws at start-up for origins that are not bare http(s) origins', () => {
    for (const origin of [
      'app.example.com',
      'https://app.example.com/path',
      'https://*.example.com',
      'ftp://app.example.com',
      'https://user@app.example.com',
      'https://app.example.com?x',
    ]) {
      assert.throws(() => createCsrf({ origin }), { name: 'ConfigurationError' }, origin);
      assert.throws(
        () => createCsrf({ trustedOrigins: [origin] }),
        { name: 'ConfigurationError' },
        origin,
      );
    }
    assert.throws(() => createCsrf({ origin: [] }), { name: 'ConfigurationError' });
    assert.throws(() => createCsrf({ header: 'x csrf' }), { name: 'ConfigurationError' });
    assert.throws(() => createCsrf({ field: '' }), { name: 'ConfigurationError' });
  });

  it('normalises configured origins and freezes the options', () => {
    const csrf = createCsrf({ origin: ['https://App.Example.com:443/', 'http://localhost:3000'] });
    assert.deepEqual(csrf.options.origins, ['https://app.example.com', 'http://localhost:3000']);
    assert.ok(Object.isFrozen(csrf.options));
    assert.equal(csrf.options.field, '_csrf');
    assert.equal(csrf.options.header, 'x-csrf-token');
    assert.equal(csrf.options.requireToken, true);
    assert.equal(csrf.options.allowSameSite, false);
  });
});
