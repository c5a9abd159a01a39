// Sealed-cookie sessions behind every adapter (node, Express 4 and 5, Fastify, Hono) and with the
// CSRF module: the same provider object, no adapter change.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, it } from 'node:test';
import express from 'express';
import { withSession, type SessionRequest } from '../../src/adapters/node.js';
import { createCookieSessions } from '../../src/cookie-sessions/index.js';
import type { Store } from '../../src/core/store.js';
import { createCsrf, csrfNode } from '../../src/csrf/index.js';
import { memoryStore } from '../../src/stores/memory.js';
import { express4, expressApp, fastifyApp, honoApp, nodeApp } from '../adapters/apps.js';
import type { AppFactory } from '../adapters/scenarios.js';
import { Client, listen } from '../helpers/http.js';
import { COOKIE, KEY_A, KEY_B } from './fixtures.js';

const frameworks: [string, AppFactory][] = [
  ['node:http', nodeApp],
  ['Express 4', expressApp(express4)],
  ['Express 5', expressApp(express)],
  ['Fastify', fastifyApp],
  ['Hono', honoApp],
];

async function me(client: Client): Promise<string | null> {
  const response = await client.request('/me');
  if (response.status === 401) {
    await response.arrayBuffer();
    return null;
  }
  assert.equal(response.status, 200);
  return ((await response.json()) as { user: string }).user;
}

async function postTo(client: Client, path: string): Promise<void> {
  const response = await client.request(path, { method: 'POST' });
  assert.equal(response.status, 303);
  await response.arrayBuffer();
}

for (const [name, createApp] of frameworks) {
  describe(`cookie sessions on ${name}`, () => {
    it('keeps data, logs in and out, and revocation ends a copied cookie', async () => {
      const sessions = createCookieSessions({ keys: KEY_A, revocation: { store: memoryStore() } });
      const app = await createApp(sessions);
      try {
        const client = new Client(app.url);
        for (const expected of [1, 2]) {
          const response = await client.request('/visit');
          assert.deepEqual(await response.json(), { visits: expected });
        }
        assert.match(client.cookies.get(COOKIE) ?? '', /^v1\./);
        const beforeLogin = client.clone();
        await postTo(client, '/login');
        assert.equal(await me(client), 'alice');
        assert.equal(await me(beforeLogin), null, 'the pre-login cookie holds no login');
        const copy = client.clone();
        await postTo(client, '/logout');
        assert.equal(client.cookies.has(COOKIE), false);
        assert.equal(await me(copy), null);
      } finally {
        await app.close();
      }
    });

    it('hostile cookies read as anonymous; a failing revocation store answers 503', async () => {
      const store = memoryStore();
      const failing: Store = { ...store, get: () => Promise.reject(new Error('down')) };
      const good = createCookieSessions({ keys: KEY_A, revocation: { store } });
      const goodApp = await createApp(good);
      const client = new Client(goodApp.url);
      await postTo(client, '/login');
      const sealed = client.cookies.get(COOKIE) ?? '';
      const tampered = client.clone();
      tampered.cookies.set(COOKIE, sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'BB' : 'AA'));
      assert.equal(await me(tampered), null);
      const forged = client.clone();
      const forger = createCookieSessions({ keys: KEY_B });
      const session = forger.fromRequest({ cookie: undefined });
      await session.bindUser('alice');
      forged.cookies.set(
        COOKIE,
        ((await forger.commit(session)).setCookie ?? '').split(/[=;]/)[1] ?? '',
      );
      assert.equal(await me(forged), null);
      await goodApp.close();

      const badApp = await createApp(
        createCookieSessions({ keys: KEY_A, revocation: { store: failing } }),
      );
      try {
        const same = new Client(badApp.url);
        same.cookies.set(COOKIE, sealed);
        const response = await same.request('/me');
        assert.equal(response.status, 503);
        await response.arrayBuffer();
      } finally {
        await badApp.close();
      }
    });
  });
}

describe('cookie sessions with the CSRF module', () => {
  async function readBody(req: IncomingMessage): Promise<string> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    return text;
  }

  it('tokens live in the sealed cookie: a same-origin form passes, a foreign token or none is 403', async () => {
    const sessions = createCookieSessions({ keys: KEY_A });
    const csrf = createCsrf();
    const protect = csrfNode(csrf);
    const server = await listen(
      withSession(sessions, async (req: SessionRequest, res: ServerResponse) => {
        if (req.method === 'GET') {
          res.end(await csrf.token(req.session));
          return;
        }
        const form = new URLSearchParams(await readBody(req));
        if (!(await protect(req, res, form.get('_csrf') ?? undefined))) return;
        await req.session.set('done', true);
        res.end('ok');
      }),
    );
    try {
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
        origin: server.url,
      };
      const user = new Client(server.url);
      const token = await (await user.request('/form')).text();
      assert.match(
        user.cookies.get(COOKIE) ?? '',
        /^v1\./,
        'the CSRF secret is sealed in the cookie',
      );
      const ok = await user.request('/form', {
        method: 'POST',
        headers,
        body: `_csrf=${encodeURIComponent(token)}`,
      });
      assert.equal(ok.status, 200);
      const missing = await user.request('/form', { method: 'POST', headers, body: '' });
      assert.equal(missing.status, 403);
      const attacker = new Client(server.url);
      const foreign = await (await attacker.request('/form')).text();
      const stolen = await user.request('/form', {
        method: 'POST',
        headers,
        body: `_csrf=${encodeURIComponent(foreign)}`,
      });
      assert.equal(stolen.status, 403, "another session's token is refused");
    } finally {
      await server.close();
    }
  });
});
