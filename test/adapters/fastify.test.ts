import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fastify, { type FastifyInstance } from 'fastify';
import { latchkey } from '../../src/adapters/fastify.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { createSessions } from '../../src/core/manager.js';
import type { SessionProvider } from '../../src/core/session.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client } from '../helpers/http.js';
import { fastifyApp } from './apps.js';
import { adapterScenarios, flakyStore, sessionOf } from './scenarios.js';

adapterScenarios('Fastify 5', fastifyApp);

async function serve(
  app: FastifyInstance,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { client: new Client(url), close: () => app.close() };
}

describe('Fastify adapter: Fastify specifics', () => {
  it('gives request.session to the routes of the registering context (and only those)', async () => {
    const sessions = createSessions({ store: memoryStore() });
    const app = fastify();
    await app.register(async (child) => {
      await child.register(latchkey, { sessions });
      child.get('/inside', async (request) => {
        await sessionOf(request).set('seen', true);
        return { seen: await sessionOf(request).get('seen') };
      });
      await child.register((grandchild, _options, done) => {
        grandchild.get('/nested', async (request) => ({
          seen: await sessionOf(request).get('seen'),
        }));
        done();
      });
    });
    app.get('/outside', (request) => ({ hasSession: 'session' in request }));
    const { client, close } = await serve(app);
    try {
      const inside = await client.request('/inside');
      assert.deepEqual(await inside.json(), { seen: true });
      assert.equal(inside.headers.getSetCookie().length, 1);
      const nested = await client.request('/nested');
      assert.deepEqual(await nested.json(), { seen: true }, 'child contexts inherit it');
      const outside = await client.request('/outside');
      assert.deepEqual(await outside.json(), { hasSession: false });
      assert.deepEqual(outside.headers.getSetCookie(), []);
      assert.equal(outside.headers.get('vary'), null, 'no session hooks ran outside');
    } finally {
      await close();
    }
  });

  it('answers 503 through the app’s error handler even after the route set another status', async () => {
    const store = flakyStore();
    const sessions = createSessions({ store });
    const app = fastify();
    await app.register(latchkey, { sessions });
    app.setErrorHandler((error: Error, _request, reply) =>
      reply.send({ error: error.name, status: reply.statusCode }),
    );
    app.post('/cart', async (request, reply) => {
      await sessionOf(request).set('cart', ['book']);
      return reply.code(201).header('location', '/cart').send({ saved: true });
    });
    app.get('/read', async (request, reply) => {
      reply.code(202);
      return { cart: await sessionOf(request).get('cart') };
    });
    const { client, close } = await serve(app);
    try {
      store.mode = 'down';
      const commit = await client.request('/cart', { method: 'POST' });
      assert.equal(commit.status, 503);
      assert.deepEqual(await commit.json(), { error: 'StoreUnavailableError', status: 503 });
      assert.equal(commit.headers.get('retry-after'), '1');
      assert.equal(commit.headers.get('location'), null, 'the aborted 201’s Location dropped');
      assert.deepEqual(commit.headers.getSetCookie(), []);

      const seeded = new Client(client.baseUrl);
      seeded.cookies.set('__Host-sid', 'A'.repeat(43)); // a well-formed token: the read hits the store
      const read = await seeded.request('/read');
      assert.equal(read.status, 503);
      assert.deepEqual(await read.json(), { error: 'StoreUnavailableError', status: 503 });
    } finally {
      await close();
    }
  });

  it('uses Fastify’s own trustProxy for the client address; a forged header is ignored by default', async () => {
    async function ipSeen(options: { fastifyTrust: boolean }): Promise<string> {
      const sessions = createSessions({ store: memoryStore() });
      const app = fastify({ trustProxy: options.fastifyTrust });
      await app.register(latchkey, { sessions });
      app.post('/login', async (request) => {
        await sessionOf(request).bindUser('alice');
        return (await sessionOf(request).info()).meta.ip;
      });
      const { client, close } = await serve(app);
      try {
        const response = await client.request('/login', {
          method: 'POST',
          headers: { 'X-Forwarded-For': '203.0.113.7' },
        });
        return await response.text();
      } finally {
        await close();
      }
    }
    assert.equal(await ipSeen({ fastifyTrust: false }), '127.0.0.1');
    assert.equal(await ipSeen({ fastifyTrust: true }), '203.0.113.7');
  });

  it('fails registration with a ConfigurationError when not given a session manager', async () => {
    const app = fastify();
    await assert.rejects(
      async () => {
        await app.register(latchkey, {} as { sessions: SessionProvider });
        await app.ready();
      },
      (error: unknown) =>
        error instanceof ConfigurationError && /createSessions\(\)/.test(error.message),
    );
    await app.close();
  });
});
