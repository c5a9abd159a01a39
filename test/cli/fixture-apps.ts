import type { IncomingMessage, ServerResponse } from 'node:http';
import { withSession, type SessionRequest } from '../../src/adapters/node.js';
import { createSessions } from '../../src/core/manager.js';
import type { SessionOptions } from '../../src/core/options.js';
import { createCsrf } from '../../src/csrf/csrf.js';
import { csrfNode } from '../../src/csrf/node.js';
import { memoryStore } from '../../src/stores/memory.js';
import { listen, type TestServer } from '../helpers/http.js';

export const USER = 'doctor';
export const PASSWORD = 'correct horse battery staple';

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString();
  return new URLSearchParams(body);
}

function html(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(`<!doctype html>${body}`);
}

/**
 * A small login app: login form, protected routes, logout. `secure` wires Latchkey as intended
 * (CSRF layer, bindUser, destroy); otherwise it makes the classic mistakes (a stack-named cookie
 * without Secure/HttpOnly, no CSRF, no rotation at login, logout that forgets the record).
 */
export async function startFixture(secure: boolean): Promise<TestServer> {
  const options: Partial<SessionOptions> = secure
    ? {}
    : { cookie: { name: 'connect.sid', secure: false, httpOnly: false }, cacheControl: false };
  // The weak app's start-up warnings are expected; they go to stderr, which the runner shows.
  const sessions = createSessions({ store: memoryStore(), ...options });
  const csrf = createCsrf();
  const protect = csrfNode(csrf);
  const allowed = async (
    req: SessionRequest,
    res: ServerResponse,
    form: URLSearchParams,
  ): Promise<boolean> => !secure || (await protect(req, res, form.get('_csrf') ?? undefined));
  const user = async (req: SessionRequest): Promise<string | null> =>
    secure
      ? await req.session.userId()
      : (((await req.session.get('user')) as string | undefined) ?? null);
  const token = async (req: SessionRequest): Promise<string> =>
    secure ? await csrf.token(req.session) : '';

  return listen(
    withSession(sessions, async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'GET' && path === '/login') {
        html(
          res,
          200,
          `<form method="post" action="/login"><input type="hidden" name="_csrf" value="${await token(req)}"><input name="username"><input name="password" type="password"><button>Log in</button></form>`,
        );
      } else if (req.method === 'POST' && path === '/login') {
        const form = await readForm(req);
        if (!(await allowed(req, res, form))) return;
        if (form.get('username') !== USER || form.get('password') !== PASSWORD) {
          html(res, 401, '<p>Wrong user name or password</p>');
          return;
        }
        if (secure) await req.session.bindUser(USER);
        else await req.session.set('user', USER);
        res.writeHead(303, { Location: '/dashboard' }).end();
      } else if (req.method === 'GET' && path === '/dashboard') {
        const name = await user(req);
        if (name === null) {
          res.writeHead(303, { Location: '/login' }).end();
          return;
        }
        html(
          res,
          200,
          `<p>Welcome back, ${name}</p><form method="post" action="/logout"><input type="hidden" name="_csrf" value="${await token(req)}"><button>Log out</button></form>`,
        );
      } else if (req.method === 'GET' && path === '/api/me') {
        const name = await user(req);
        res.statusCode = name === null ? 401 : 200;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(name === null ? { error: 'unauthenticated' } : { username: name }));
      } else if (req.method === 'POST' && path === '/logout') {
        const form = await readForm(req);
        if (!(await allowed(req, res, form))) return;
        if (secure) await req.session.destroy();
        res.writeHead(303, { Location: '/login' }).end();
      } else {
        res.statusCode = 404;
        res.end();
      }
    }),
  );
}
