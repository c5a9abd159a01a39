/**
 * The adapters take any SessionProvider: here sealed-cookie sessions (`latchkey/cookie-sessions`)
 * go through every framework's scenario app. Only what sealed cookies promise is checked (data
 * round trip, login rotation, logout clearing the cookie); store-only guarantees are in
 * scenarios.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import express from 'express';
import { createCookieSessions } from '../../src/cookie-sessions/index.js';
import { Client } from '../helpers/http.js';
import { expressApp, express4, fastifyApp, honoApp, nodeApp } from './apps.js';
import type { AppFactory } from './scenarios.js';

const apps: [string, AppFactory][] = [
  ['node:http', nodeApp],
  ['Express 4', expressApp(express4)],
  ['Express 5', expressApp(express)],
  ['Fastify 5', fastifyApp],
  ['Hono', honoApp],
];

describe('sealed-cookie sessions through every adapter', () => {
  for (const [name, createApp] of apps) {
    it(`${name}: keeps data in the cookie, rotates it at login, clears it at logout`, async () => {
      const app = await createApp(createCookieSessions({ keys: randomBytes(32) }));
      try {
        const client = new Client(app.url);
        for (const visits of [1, 2]) {
          const response = await client.request('/visit');
          assert.deepEqual(await response.json(), { visits });
        }
        const anonymous = client.cookies.get('__Host-sid');
        const login = await client.request('/login', { method: 'POST' });
        await login.arrayBuffer();
        assert.equal(login.status, 303);
        assert.notEqual(client.cookies.get('__Host-sid'), anonymous);
        const me = await client.request('/me');
        assert.equal(((await me.json()) as { user: string }).user, 'alice');
        assert.equal(me.headers.get('cache-control'), 'no-store');
        const logout = await client.request('/logout', { method: 'POST' });
        await logout.arrayBuffer();
        assert.equal(client.cookies.size, 0, 'the cookie is cleared');
        assert.equal((await client.request('/me')).status, 401);
      } finally {
        await app.close();
      }
    });
  }
});
