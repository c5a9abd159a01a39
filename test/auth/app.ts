/**
 * A small real app for the auth tests: node:http + withSession + memory session store, JSON API
 * routes around `createAuth`. Not a test file itself (the runner picks only *.test.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import type { Store } from '../../src/core/store.js';
import { requestInfo, withSession, type SessionRequest } from '../../src/adapters/node.js';
import { memoryStore } from '../../src/stores/memory.js';
import { createAuth, type Auth } from '../../src/auth/create-auth.js';
import type { AuthOptions } from '../../src/auth/options.js';
import { argon2Hasher } from '../../src/auth/password.js';
import { memoryUsers, type MemoryUserStore } from '../../src/auth/users-memory.js';
import type { User, UserStore } from '../../src/auth/users.js';
import { guardRequest, sendDenial } from '../../src/auth/node.js';
import { listen, type TestServer } from '../helpers/http.js';

export const SECRET = 'test-secret-test-secret-test-secret!';
/** Cheap argon2id so tests run fast; production uses the OWASP defaults. */
export const fastHasher = argon2Hasher({ memoryCost: 64, timeCost: 1 });

export interface TestApp {
  readonly server: TestServer;
  readonly url: string;
  readonly auth: Auth;
  readonly sessions: Sessions;
  readonly users: UserStore;
  /** The fake clock shared by sessions and auth. */
  readonly clock: { now: number };
  close(): Promise<void>;
}

export interface TestAppOptions {
  readonly users?: UserStore;
  readonly store?: Store;
  readonly auth?: Partial<AuthOptions>;
  /** Trust X-Forwarded-For so tests can play clients from different addresses. */
  readonly trustProxy?: boolean;
}

async function body(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
) {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(JSON.stringify(value));
}

export async function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  const clock = { now: Date.now() };
  const trustProxy = options.trustProxy ?? false;
  const sessions = createSessions({
    store: options.store ?? memoryStore(),
    now: () => clock.now,
    trustProxy,
  });
  const users = options.users ?? memoryUsers();
  const auth = createAuth({
    sessions,
    users,
    secret: SECRET,
    hasher: fastHasher,
    ...options.auth,
  });
  const requireUser = auth.requireUser();
  const requireFresh = auth.requireFreshLogin('5m');

  const handler = async (req: SessionRequest, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://app.test');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const client = requestInfo(req, trustProxy);
    const session = req.session;
    if (route === 'POST /login') {
      const b = await body(req);
      const result = await auth.login(
        session,
        { login: b['login'], password: b['password'] },
        { rememberMe: b['rememberMe'] === true, request: client },
      );
      if (result.ok) {
        json(res, 200, { ok: true, user: result.user });
        return;
      }
      if (result.reason === 'throttled') {
        json(res, 429, { error: 'throttled' }, { 'retry-after': String(result.retryAfter) });
        return;
      }
      if (result.reason === 'session-limit') {
        json(res, 409, { error: 'session_limit' });
        return;
      }
      json(res, 401, { error: 'invalid_credentials' });
      return;
    }
    if (route === 'POST /cart') {
      await session.set('cart', ['apple']);
      json(res, 200, { ok: true });
      return;
    }
    if (route === 'POST /logout') {
      await auth.logout(session);
      json(res, 200, { ok: true });
      return;
    }
    const guard = route === 'GET /sensitive' ? requireFresh : requireUser;
    const allowed = await guard(guardRequest(req, trustProxy));
    if (!allowed.ok) {
      sendDenial(res, allowed);
      return;
    }
    const user = allowed.user;
    switch (route) {
      case 'GET /me':
      case 'GET /sensitive': {
        json(res, 200, { user, cart: (await session.get('cart')) ?? null });
        return;
      }
      case 'POST /password': {
        const b = await body(req);
        const result = await auth.changePassword(session, b['current'], b['next'], {
          request: client,
        });
        json(res, result.ok ? 200 : 400, result);
        return;
      }
      case 'POST /confirm': {
        const b = await body(req);
        const result = await auth.confirmPassword(session, b['password'], { request: client });
        json(res, result.ok ? 200 : 401, result);
        return;
      }
      case 'POST /logout-everywhere': {
        json(res, 200, { count: await auth.logoutEverywhere(user.id, { except: session }) });
        return;
      }
      case 'GET /sessions': {
        json(res, 200, await auth.listSessions(user.id, { current: session }));
        return;
      }
      case 'POST /sessions/revoke': {
        const b = await body(req);
        json(res, 200, {
          revoked: await auth.revokeSession(user.id, String(b['publicId'])),
        });
        return;
      }
      default: {
        json(res, 404, { error: 'not_found' });
        return;
      }
    }
  };
  const server = await listen(withSession(sessions, handler));
  return {
    server,
    url: server.url,
    auth,
    sessions,
    users,
    clock,
    close: () => server.close(),
  };
}

/** Registers a user with the fast hasher. */
export async function addUser(
  users: UserStore,
  login: string,
  password: string,
  hasher = fastHasher,
): Promise<User> {
  const create = (users as MemoryUserStore).create.bind(users);
  return create(login, await hasher.hash(password.normalize('NFKC')));
}

export const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

export function post(value: unknown, headers: Record<string, string> = {}): RequestInit {
  return { method: 'POST', headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(value) };
}
