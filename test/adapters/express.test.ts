import assert from 'node:assert/strict';
import type { RequestListener } from 'node:http';
import { describe, it } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { sessionMiddleware } from '../../src/adapters/express.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { createSessions } from '../../src/core/manager.js';
import type { SessionProvider } from '../../src/core/session.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client, listen, type TestServer } from '../helpers/http.js';
import { expressApp, express4 } from './apps.js';
import { adapterScenarios, flakyStore, sessionOf } from './scenarios.js';

adapterScenarios('Express 4', expressApp(express4));
adapterScenarios('Express 5', expressApp(express));

/** Reports an error the way an app's error handler would: its name and status, as JSON. */
const renderError: ErrorRequestHandler = (error: Error & { status?: number }, _req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  res.status(error.status ?? 500).json({ error: error.name });
};

for (const [label, framework] of [
  ['Express 4', express4],
  ['Express 5', express],
] as const) {
  describe(`${label} adapter: Express specifics`, () => {
    async function serve(
      sessions: SessionProvider,
      build: (app: ReturnType<typeof express>) => void,
    ): Promise<TestServer> {
      const app = framework();
      app.set('env', 'test');
      build(app);
      return listen(app as RequestListener);
    }

    it('hands a failed commit to the app’s error handler with status 503 and Retry-After', async () => {
      const store = flakyStore();
      const sessions = createSessions({ store });
      const server = await serve(sessions, (app) => {
        app.use(sessionMiddleware(sessions));
        app.post('/cart', (req, res, next) => {
          sessionOf(req)
            .set('cart', ['book'])
            .then(() => res.status(201).location('/cart').json({ saved: true }), next);
        });
        app.use(renderError);
      });
      try {
        store.mode = 'down';
        const response = await new Client(server.url).request('/cart', { method: 'POST' });
        assert.equal(response.status, 503);
        assert.deepEqual(await response.json(), { error: 'StoreUnavailableError' });
        assert.equal(response.headers.get('retry-after'), '1');
        assert.equal(response.headers.get('cache-control'), 'no-store');
        assert.equal(response.headers.get('location'), null, 'the aborted 201’s Location dropped');
        assert.deepEqual(response.headers.getSetCookie(), []);
      } finally {
        await server.close();
      }
    });

    it('keeps headers set by middleware mounted before it when the commit fails', async () => {
      const store = flakyStore();
      const sessions = createSessions({ store });
      const server = await serve(sessions, (app) => {
        app.use((_req, res, next) => {
          res.set('X-Frame-Options', 'DENY');
          next();
        });
        app.use(sessionMiddleware(sessions));
        app.get('/visit', (req, res, next) => {
          sessionOf(req)
            .set('v', 1)
            .then(() => res.send('ok'), next);
        });
      });
      try {
        store.mode = 'down';
        const response = await new Client(server.url).request('/visit');
        await response.arrayBuffer();
        assert.equal(response.status, 503);
        assert.equal(response.headers.get('x-frame-options'), 'DENY');
      } finally {
        await server.close();
      }
    });

    it('commits before streamed headers leave (res.write, then end)', async () => {
      const sessions = createSessions({ store: memoryStore() });
      const server = await serve(sessions, (app) => {
        app.use(sessionMiddleware(sessions));
        app.get('/stream', (req, res, next) => {
          sessionOf(req)
            .bindUser('alice')
            .then(() => {
              res.type('text/plain');
              res.write('one ');
              setTimeout(() => res.end('two'), 5);
            }, next);
        });
        app.get('/me', (req, res, next) => {
          sessionOf(req)
            .userId()
            .then((user) => res.json({ user }), next);
        });
      });
      try {
        const client = new Client(server.url);
        const response = await client.request('/stream');
        assert.equal(await response.text(), 'one two');
        assert.equal(response.headers.getSetCookie().length, 1);
        assert.deepEqual(await (await client.request('/me')).json(), { user: 'alice' });
      } finally {
        await server.close();
      }
    });

    it('is harmless when mounted twice, and refuses a req.session set by another middleware', async () => {
      const sessions = createSessions({ store: memoryStore() });
      const other = createSessions({ store: memoryStore() });
      const server = await serve(sessions, (app) => {
        app.use(sessionMiddleware(sessions));
        app.use(sessionMiddleware(sessions));
        app.get('/visit', (req, res, next) => {
          sessionOf(req)
            .set('v', 1)
            .then(() => res.send('ok'), next);
        });
        app.get('/other', sessionMiddleware(other), (_req, res) => res.send('unreachable'));
        app.use(renderError);
      });
      try {
        const twice = await new Client(server.url).request('/visit');
        assert.equal(await twice.text(), 'ok');
        assert.equal(twice.headers.getSetCookie().length, 1);
        const clash = await new Client(server.url).request('/other');
        assert.equal(clash.status, 500);
        assert.deepEqual(await clash.json(), { error: ConfigurationError.name });
      } finally {
        await server.close();
      }
    });

    it('refuses to let req.session be replaced', async () => {
      const sessions = createSessions({ store: memoryStore() });
      const server = await serve(sessions, (app) => {
        app.use(sessionMiddleware(sessions));
        app.get('/', (req, res) => {
          try {
            (req as unknown as { session: null }).session = null;
            res.send('replaced');
          } catch (error) {
            res.send((error as Error).name);
          }
        });
      });
      try {
        assert.equal(await (await fetch(server.url)).text(), 'SessionStateError');
      } finally {
        await server.close();
      }
    });

    it('ignores a forged X-Forwarded-For unless the app trusts its proxy', async () => {
      async function ipSeen(options: {
        trustProxySetting?: string;
        sessionsTrustProxy?: boolean;
      }): Promise<string> {
        const sessions = createSessions({
          store: memoryStore(),
          trustProxy: options.sessionsTrustProxy ?? false,
        });
        const server = await serve(sessions, (app) => {
          if (options.trustProxySetting !== undefined)
            app.set('trust proxy', options.trustProxySetting);
          app.use(sessionMiddleware(sessions));
          app.post('/login', (req, res, next) => {
            const session = sessionOf(req);
            session
              .bindUser('alice')
              .then(() => session.info())
              .then((info) => res.send(info.meta.ip), next);
          });
        });
        try {
          const response = await fetch(`${server.url}/login`, {
            method: 'POST',
            headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7' },
          });
          return await response.text();
        } finally {
          await server.close();
        }
      }
      assert.equal(await ipSeen({}), '127.0.0.1');
      assert.equal(await ipSeen({ trustProxySetting: 'loopback' }), '203.0.113.7');
      assert.equal(await ipSeen({ sessionsTrustProxy: true }), '203.0.113.7');
    });
  });
}

describe('Express adapter: start-up checks', () => {
  it('throws a ConfigurationError naming the fix when not given a session manager', () => {
    assert.throws(
      () => sessionMiddleware(undefined as unknown as SessionProvider),
      (error: unknown) =>
        error instanceof ConfigurationError && /createSessions\(\)/.test(error.message),
    );
  });
});
