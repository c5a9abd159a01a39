import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { withSession } from '../../src/adapters/node.js';
import { createAuth } from '../../src/auth/create-auth.js';
import { memoryUsers } from '../../src/auth/users-memory.js';
import { createCookieSessions } from '../../src/cookie-sessions/provider.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client, listen, type TestServer } from '../helpers/http.js';
import { addUser, fastHasher, post, SECRET } from './app.js';

// latchkey/auth on sealed-cookie sessions: with revocation configured, logout, logout everywhere
// and a password change end copies of the cookie, as they do with server-side sessions.

const KEY = 'cookie-session-key-for-auth-tests-0123456789';

async function readJson(req: IncomingMessage): Promise<Record<string, string>> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString();
  return text === '' ? {} : (JSON.parse(text) as Record<string, string>);
}

describe('auth on sealed-cookie sessions', () => {
  const users = memoryUsers();
  const sessions = createCookieSessions({ keys: [KEY], revocation: { store: memoryStore() } });
  const auth = createAuth({ sessions, users, secret: SECRET, hasher: fastHasher });
  let server: TestServer;

  before(async () => {
    await addUser(users, 'carol', 'correct horse battery');
    server = await listen(
      withSession(sessions, async (req, res) => {
        const body = req.method === 'POST' ? await readJson(req) : {};
        const send = (value: unknown, status = 200): void => {
          res.statusCode = status;
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify(value));
        };
        switch (req.url) {
          case '/login': {
            const result = await auth.login(req.session, {
              login: body.login,
              password: body.password,
            });
            send({ ok: result.ok }, result.ok ? 200 : 401);
            return;
          }
          case '/me': {
            const user = await auth.currentUser(req.session);
            send(user === null ? { user: null } : { user: user.login }, user === null ? 401 : 200);
            return;
          }
          case '/logout':
            await auth.logout(req.session);
            send({ ok: true });
            return;
          case '/logout-everywhere': {
            const user = await auth.currentUser(req.session);
            send({
              ended:
                user === null ? 0 : await auth.logoutEverywhere(user.id, { except: req.session }),
            });
            return;
          }
          case '/password': {
            const result = await auth.changePassword(req.session, body.current, body.next);
            send(result);
            return;
          }
          default:
            send({}, 404);
        }
      }),
    );
  });
  after(() => server.close());

  async function loggedIn(): Promise<Client> {
    const client = new Client(server.url);
    const response = await client.request(
      '/login',
      post({ login: 'carol', password: 'correct horse battery' }),
    );
    assert.equal(response.status, 200);
    return client;
  }

  it('logs in, and logout kills a copied cookie', async () => {
    const client = await loggedIn();
    assert.equal((await client.request('/me')).status, 200);
    const copy = client.clone();
    await client.request('/logout', post({}));
    assert.equal((await copy.request('/me')).status, 401);
  });

  it('logout everywhere ends the other device and keeps this one, with no count', async () => {
    const laptop = await loggedIn();
    const phone = await loggedIn();
    const result = (await (await laptop.request('/logout-everywhere', post({}))).json()) as {
      ended: unknown;
    };
    assert.equal(result.ended, null, 'sealed cookies cannot be counted');
    assert.equal((await phone.request('/me')).status, 401);
    assert.equal((await laptop.request('/me')).status, 200);
  });

  it('a password change ends the other sessions', async () => {
    const laptop = await loggedIn();
    const phone = await loggedIn();
    const result = (await (
      await laptop.request(
        '/password',
        post({ current: 'correct horse battery', next: 'new horse battery staple' }),
      )
    ).json()) as { ok: boolean };
    assert.equal(result.ok, true);
    assert.equal((await phone.request('/me')).status, 401);
    assert.equal((await laptop.request('/me')).status, 200);
    await laptop.request(
      '/password',
      post({ current: 'new horse battery staple', next: 'correct horse battery' }),
    );
  });

  it('refuses what sealed cookies cannot do, saying why', async () => {
    await assert.rejects(auth.listSessions('any'), (error: unknown) => {
      assert.ok(error instanceof ConfigurationError);
      assert.match(error.message, /cannot list/);
      return true;
    });
    assert.throws(
      () => createAuth({ sessions, users, secret: SECRET, maxSessionsPerUser: 3 }),
      /maxSessionsPerUser needs a manager that can list/,
    );
    assert.throws(
      () => createAuth({ sessions: createCookieSessions({ keys: [KEY] }), users, secret: SECRET }),
      /cannot be revoked/,
    );
  });
});
