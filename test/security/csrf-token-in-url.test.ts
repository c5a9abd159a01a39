import assert from 'node:assert/strict';
import type { RequestListener, Server } from 'node:http';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import express, { type Request } from 'express';
import fastify, { type FastifyRequest } from 'fastify';
import { Hono } from 'hono';
import { sessionMiddleware as expressSessions } from '../../src/adapters/express.js';
import { latchkey } from '../../src/adapters/fastify.js';
import { sessionMiddleware as honoSessions, type SessionEnv } from '../../src/adapters/hono.js';
import { withSession } from '../../src/adapters/node.js';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import type { Session } from '../../src/core/session.js';
import {
  createCsrf,
  csrfExpress,
  csrfFastify,
  csrfHono,
  csrfNode,
  type Csrf,
} from '../../src/csrf/index.js';
import { memoryStore } from '../../src/stores/memory.js';
import { csrfOf, getPage, logIn, signUp, startTestDemo, type TestDemo } from '../e2e/demo.js';
import { parseForms } from '../helpers/fastify-forms.js';
import { Client, listen } from '../helpers/http.js';
import { formPage } from '../csrf/scenarios.js';

// SEC-42: CSRF tokens never travel in URLs, where logs, Referer headers and history would leak
// them. A token is accepted only from the x-csrf-token header or the _csrf field of a parsed body;
// the same valid token in the query string must be refused as if there were none, by every
// wrapper and by the demo.

const express4 = createRequire(import.meta.url)('express4') as typeof express;

interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Each app: GET /form renders a token; POST /transfer is protected and counts a transfer in the
 * session; GET /state reports the count. Form bodies are parsed the framework's usual way.
 */
type AppFactory = (sessions: Sessions, csrf: Csrf) => Promise<RunningApp>;

async function count(session: Session): Promise<{ transfers: number }> {
  const transfers = (((await session.get('transfers')) as number | undefined) ?? 0) + 1;
  await session.set('transfers', transfers);
  return { transfers };
}

async function transfers(session: Session): Promise<{ transfers: number }> {
  return { transfers: ((await session.get('transfers')) as number | undefined) ?? 0 };
}

const nodeApp: AppFactory = async (sessions, csrf) => {
  const protect = csrfNode(csrf);
  return listen(
    withSession(sessions, async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const send = (body: unknown) => {
        res.setHeader('Content-Type', typeof body === 'string' ? 'text/html' : 'application/json');
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      if (req.method === 'GET' && url.pathname === '/form') {
        send(formPage(await csrf.token(req.session)));
      } else if (req.method === 'GET' && url.pathname === '/state') {
        send(await transfers(req.session));
      } else if (req.method === 'POST' && url.pathname === '/transfer') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        if (!(await protect(req, res, form.get('_csrf') ?? undefined))) return;
        send(await count(req.session));
      } else {
        res.statusCode = 404;
        res.end();
      }
    }),
  );
};

function expressApp(framework: typeof express): AppFactory {
  return async (sessions, csrf) => {
    const app = framework();
    const sessionOf = (req: Request) => (req as unknown as { session: Session }).session;
    app.use(expressSessions(sessions));
    app.use(framework.urlencoded({ extended: true }), csrfExpress(csrf));
    const route =
      (handler: (session: Session) => Promise<unknown>) =>
      (req: Request, res: express.Response, next: express.NextFunction): void => {
        handler(sessionOf(req)).then((body) => {
          if (typeof body === 'string') res.type('html').send(body);
          else res.json(body);
        }, next);
      };
    app.get(
      '/form',
      route(async (session) => formPage(await csrf.token(session))),
    );
    app.get('/state', route(transfers));
    app.post('/transfer', route(count));
    return listen(app as RequestListener);
  };
}

const fastifyApp: AppFactory = async (sessions, csrf) => {
  const app = fastify();
  parseForms(app);
  await app.register(latchkey, { sessions });
  const sessionOf = (request: FastifyRequest) =>
    (request as unknown as { session: Session }).session;
  app.get('/form', async (request, reply) =>
    reply.type('text/html').send(formPage(await csrf.token(sessionOf(request)))),
  );
  app.get('/state', (request) => transfers(sessionOf(request)));
  app.post('/transfer', { preHandler: csrfFastify(csrf) }, (request) => count(sessionOf(request)));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, close: () => app.close() };
};

const honoApp: AppFactory = async (sessions, csrf) => {
  const app = new Hono<SessionEnv>();
  app.use(honoSessions(sessions));
  app.use('/transfer', csrfHono(csrf));
  app.get('/form', async (c) => c.html(formPage(await csrf.token(c.get('session')))));
  app.get('/state', async (c) => c.json(await transfers(c.get('session'))));
  app.post('/transfer', async (c) => c.json(await count(c.get('session'))));
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
};

const FRAMEWORKS: [string, AppFactory][] = [
  ['node:http', nodeApp],
  ['Express 5', expressApp(express)],
  ['Express 4', expressApp(express4)],
  ['Fastify', fastifyApp],
  ['Hono', honoApp],
];

for (const [name, start] of FRAMEWORKS) {
  describe(`SEC-42: a CSRF token in the query string is refused (${name})`, () => {
    let app: RunningApp;
    before(async () => {
      app = await start(createSessions({ store: memoryStore() }), createCsrf());
    });
    after(async () => {
      await app.close();
    });

    it('403 missing-token, and nothing changes; the same token in the body passes', async () => {
      const client = new Client(app.url);
      const { body } = await getPage(client, '/form');
      const token = encodeURIComponent(csrfOf(body));
      const headers = {
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'same-origin',
        origin: app.url,
        accept: 'application/json',
      };
      for (const query of [`_csrf=${token}`, `x-csrf-token=${token}`, `csrf=${token}`]) {
        for (const formBody of ['amount=10', '']) {
          const response = await client.request(`/transfer?${query}`, {
            method: 'POST',
            headers,
            body: formBody,
          });
          const what = `?${query.split('=')[0] ?? ''} with body "${formBody}"`;
          assert.equal(response.status, 403, what);
          assert.deepEqual(await response.json(), { error: 'csrf', reason: 'missing-token' }, what);
        }
      }
      assert.deepEqual(await (await client.request('/state')).json(), { transfers: 0 });

      // The token was valid all along: where it belongs, it passes.
      const inBody = await client.request('/transfer', {
        method: 'POST',
        headers,
        body: `amount=10&_csrf=${token}`,
      });
      assert.equal(inBody.status, 200);
      assert.deepEqual(await (await client.request('/state')).json(), { transfers: 1 });
    });
  });
}

describe('SEC-42: the demo refuses a CSRF token in the query string and never puts one in a URL', () => {
  const PASSWORD = 'correct horse battery staple';
  let demo: TestDemo;
  before(async () => {
    demo = await startTestDemo({ LATCHKEY_STORE: 'memory' });
    assert.equal((await signUp(new Client(demo.url), 'alice', PASSWORD)).status, 303);
  });
  after(async () => {
    await demo.close();
  });

  /** A same-origin form POST whose token is in the URL instead of the body. */
  function postWithTokenInUrl(client: Client, path: string, token: string, fields = {}) {
    return client.request(`${path}?_csrf=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: demo.url,
        'sec-fetch-site': 'same-origin',
        accept: 'application/json',
      },
      body: new URLSearchParams(fields).toString(),
    });
  }

  it('logout, revoke-others, password change and login with ?_csrf= answer 403 and change nothing', async () => {
    const alice = new Client(demo.url);
    assert.equal((await logIn(alice, 'alice', PASSWORD)).status, 303);
    const phone = new Client(demo.url);
    assert.equal((await logIn(phone, 'alice', PASSWORD)).status, 303);
    const { body } = await getPage(alice, '/dashboard');
    const token = csrfOf(body);

    for (const [path, fields] of [
      ['/logout', {}],
      ['/account/sessions/revoke-others', {}],
      ['/account/password', { current_password: PASSWORD, new_password: 'a brand new passphrase' }],
    ] as const) {
      const response = await postWithTokenInUrl(alice, path, token, fields);
      assert.equal(response.status, 403, path);
      assert.deepEqual(await response.json(), { error: 'csrf', reason: 'missing-token' }, path);
    }
    for (const client of [alice, phone]) {
      assert.deepEqual(await (await client.request('/api/me')).json(), { username: 'alice' });
    }
    assert.equal((await logIn(new Client(demo.url), 'alice', PASSWORD)).status, 303);

    // Login CSRF: the anonymous visitor's own token, but in the URL.
    const visitor = new Client(demo.url);
    const page = await getPage(visitor, '/login');
    const login = await postWithTokenInUrl(visitor, '/login', csrfOf(page.body), {
      username: 'alice',
      password: PASSWORD,
    });
    assert.equal(login.status, 403);
    assert.equal((await visitor.request('/api/me')).status, 401);
  });

  it('no page puts a token in a link, a form action or any other URL', async () => {
    const alice = new Client(demo.url);
    assert.equal((await logIn(alice, 'alice', PASSWORD)).status, 303);
    const anonymous = new Client(demo.url);
    for (const [client, path] of [
      [anonymous, '/login'],
      [anonymous, '/signup'],
      [alice, '/dashboard'],
      [alice, '/account/sessions'],
    ] as const) {
      const { status, body } = await getPage(client, path);
      assert.equal(status, 200, path);
      const tokens = [...body.matchAll(/name="_csrf" value="([A-Za-z0-9_-]{86})"/g)];
      assert.ok(tokens.length > 0, `${path} has a form with a token`);
      for (const [, token = ''] of tokens) {
        // The token appears exactly as often as hidden fields carry it, nowhere else.
        const fields = tokens.filter(([, other]) => other === token).length;
        assert.equal(body.split(token).length - 1, fields, path);
      }
      assert.doesNotMatch(body, /(?:href|action|src|formaction)="[^"]*_csrf/i, path);
    }
  });
});
