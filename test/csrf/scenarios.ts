/**
 * CSRF behaviour every framework wrapper must show, written once and run against Express 4 and 5,
 * Fastify and Hono (node:http has its own, fuller file). Each framework supplies an app answering
 * the routes below with its session adapter and its CSRF wrapper.
 *
 * Routes:
 * - GET  /form       renders `<input name="_csrf" value="...">` (a fresh token)
 * - POST /form       protected; the body is parsed by the framework; counts a transfer
 * - POST /login      protected; logs in as the `user` field
 * - GET  /state      `{ transfers, user }`
 * - *    /plain      protected, renders no token (safe requests must not create sessions)
 * - POST /api/items  protected with `json: true`; counts a transfer
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import { createCsrf, type Csrf } from '../../src/csrf/index.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client } from '../helpers/http.js';

export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

export type AppFactory = (sessions: Sessions, csrf: Csrf) => Promise<RunningApp>;

async function formToken(client: Client, path = '/form'): Promise<string> {
  const response = await client.request(path);
  assert.equal(response.status, 200);
  const match = /name="_csrf" value="([^"]+)"/.exec(await response.text());
  assert.ok(match?.[1], 'the page renders a token');
  return match[1];
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
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as { error?: unknown; reason?: unknown };
  assert.equal(body.error, 'csrf');
  return body.reason;
}

async function state(client: Client): Promise<{ transfers: number; user: string | null }> {
  return (await (await client.request('/state')).json()) as {
    transfers: number;
    user: string | null;
  };
}

/** Runs the scenarios against the app `start` builds. */
export function csrfScenarios(name: string, start: AppFactory): void {
  describe(`csrf wrapper: ${name}`, () => {
    let app: RunningApp;
    const sameOrigin = (): Record<string, string> => ({
      'sec-fetch-site': 'same-origin',
      origin: app.url,
    });
    before(async () => {
      app = await start(createSessions({ store: memoryStore() }), createCsrf());
    });
    after(async () => {
      await app.close();
    });

    it('accepts a same-origin form with its _csrf field, and fetch with x-csrf-token', async () => {
      const client = new Client(app.url);
      const token = await formToken(client);
      assert.equal((await client.request('/form', formPost(token, sameOrigin()))).status, 200);
      const viaHeader = await client.request('/form', {
        method: 'POST',
        headers: { ...sameOrigin(), 'x-csrf-token': token },
      });
      assert.equal(viaHeader.status, 200);
      assert.equal((await state(client)).transfers, 2);
    });

    it('lets GET, HEAD and OPTIONS through even cross-site, creating no session', async () => {
      const client = new Client(app.url);
      for (const method of ['GET', 'HEAD', 'OPTIONS']) {
        const response = await client.request('/plain', {
          method,
          headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' },
        });
        assert.equal(response.status, 200, method);
        assert.equal(response.headers.getSetCookie().length, 0, method);
      }
    });

    it('refuses a cross-site form POST carrying a valid token', async () => {
      const victim = new Client(app.url);
      const token = await formToken(victim);
      const response = await victim.request(
        '/form',
        formPost(token, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.test' }),
      );
      assert.equal(await reasonOf(response), 'cross-site');
      assert.equal((await state(victim)).transfers, 0);
    });

    it('refuses a spoofed Origin when the browser sends no Fetch Metadata', async () => {
      const victim = new Client(app.url);
      const token = await formToken(victim);
      const host = new URL(app.url).host;
      const response = await victim.request(
        '/form',
        formPost(token, { origin: `http://${host}.evil.test` }),
      );
      assert.equal(await reasonOf(response), 'origin-mismatch');
      assert.equal((await state(victim)).transfers, 0);
    });

    it('refuses a missing token and a foreign session token, never echoing it', async () => {
      const attacker = new Client(app.url);
      const victim = new Client(app.url);
      const attackerToken = await formToken(attacker);
      await formToken(victim);
      const missing = await victim.request('/form', formPost(undefined, sameOrigin()));
      assert.equal(await reasonOf(missing), 'missing-token');
      const foreign = await victim.request('/form', formPost(attackerToken, {}));
      assert.equal(foreign.status, 403);
      const text = await foreign.text();
      assert.deepEqual(JSON.parse(text), { error: 'csrf', reason: 'bad-token' });
      assert.ok(!text.includes(attackerToken));
      assert.equal((await state(victim)).transfers, 0);
    });

    it('protects the login form, and a token from before login dies at login', async () => {
      const client = new Client(app.url);
      const missing = await client.request('/login', formPost(undefined, {}, 'user=mallory'));
      assert.equal(await reasonOf(missing), 'missing-token');
      assert.equal((await state(client)).user, null);
      const beforeLogin = await formToken(client, '/login');
      const login = await client.request(
        '/login',
        formPost(beforeLogin, sameOrigin(), '&user=alice'),
      );
      assert.equal(login.status, 200);
      assert.equal((await state(client)).user, 'alice');
      const replay = await client.request('/form', formPost(beforeLogin, sameOrigin()));
      assert.equal(await reasonOf(replay), 'bad-token');
      const fresh = await formToken(client);
      assert.equal((await client.request('/form', formPost(fresh, sameOrigin()))).status, 200);
    });

    it('JSON route: refuses text/plain and form bodies, accepts application/json', async () => {
      const client = new Client(app.url);
      const token = await formToken(client);
      for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
        const response = await client.request('/api/items', {
          method: 'POST',
          headers: { ...sameOrigin(), 'content-type': type, 'x-csrf-token': token },
          body: type === 'text/plain' ? '{"name":"x"}' : 'name=x',
        });
        assert.equal(await reasonOf(response), 'simple-content-type', type);
      }
      assert.equal((await state(client)).transfers, 0);
      const ok = await client.request('/api/items', {
        method: 'POST',
        headers: { ...sameOrigin(), 'content-type': 'application/json', 'x-csrf-token': token },
        body: '{"name":"x"}',
      });
      assert.equal(ok.status, 200);
      assert.equal((await state(client)).transfers, 1);
    });
  });
}

/** The page every app renders at GET /form and GET /login. */
export function formPage(token: string): string {
  return `<form method="post"><input type="hidden" name="_csrf" value="${token}"></form>`;
}
