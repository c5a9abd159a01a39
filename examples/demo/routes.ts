import type { ServerResponse } from 'node:http';
import type { Sessions } from 'latchkey';
import { requestInfo, type SessionRequest } from 'latchkey/node';
import {
  checkPassword,
  guardRequest,
  normalizeLogin,
  safeReturnTo,
  sendDenial,
  type Auth,
  type AuthUser,
  type PasswordProblem,
  type UserStore,
} from 'latchkey/auth';
import { csrfNode, type Csrf } from 'latchkey/csrf';
import { BadRequest, html, json, readForm, redirect, securityHeaders } from './http.js';
import {
  dashboardPage,
  loginPage,
  messagePage,
  sessionsPage,
  signupPage,
  type Notice,
} from './pages.js';
import { STYLESHEET } from './style.js';

/** What the demo keeps in a session besides Latchkey's own keys: a one-shot message. */
export interface DemoData {
  flash: Notice;
}

type Req = SessionRequest<DemoData>;

/** The collaborators the routes use, built once by `createDemoApp`. */
export interface RouteDeps {
  readonly sessions: Sessions<DemoData>;
  readonly auth: Auth;
  readonly users: UserStore;
  readonly csrf: Csrf;
}

/** The one message for every failed login, whatever the reason (no account enumeration). */
export const LOGIN_FAILED = 'Wrong username or password.';
const USERNAME = /^[\p{L}\p{N}._@+-]{1,64}$/u;

function problemText(problem: PasswordProblem): string {
  if (problem === 'too-short') return 'The password must be at least 8 characters long.';
  if (problem === 'too-long') return 'The password must be at most 1024 characters long.';
  return 'The password must be text.';
}

function waitText(seconds: number): string {
  return `Too many attempts. Try again in ${String(seconds)} second${seconds === 1 ? '' : 's'}.`;
}

/** Builds the request handler (to be wrapped in `withSession`). */
export function demoRoutes(deps: RouteDeps): (req: Req, res: ServerResponse) => Promise<void> {
  const { sessions, auth, users, csrf } = deps;
  const protect = csrfNode(csrf);
  const requireUser = auth.requireUser();
  const client = (req: Req) => requestInfo(req, sessions.trustProxy);

  /** A form POST: the body, after both CSRF layers passed; null when a 403 was already sent. */
  async function postedForm(req: Req, res: ServerResponse): Promise<URLSearchParams | null> {
    const form = await readForm(req);
    return (await protect(req, res, form.get('_csrf') ?? undefined)) ? form : null;
  }

  /** The logged-in user, or null after answering 303 to /login (browsers) or 401 JSON. */
  async function userOrDeny(req: Req, res: ServerResponse): Promise<AuthUser | null> {
    const result = await requireUser(guardRequest(req, sessions.trustProxy));
    if (result.ok) return result.user;
    sendDenial(res, result);
    return null;
  }

  async function dashboard(
    req: Req,
    res: ServerResponse,
    user: AuthUser,
    status = 200,
    notice?: Notice,
  ) {
    const info = await req.session.info();
    const flash = notice ?? (await req.session.pop('flash'));
    html(
      res,
      dashboardPage({
        username: user.login,
        csrf: await csrf.token(req.session),
        createdAt: info.createdAt,
        lastSeenAt: info.lastSeenAt,
        expiresAt: info.expiresAt,
        absoluteExpiresAt: info.absoluteExpiresAt,
        persistent: info.persistent,
        notice: flash ?? null,
      }),
      status,
    );
  }

  async function login(req: Req, res: ServerResponse, url: URL): Promise<void> {
    const form = await postedForm(req, res);
    if (form === null) return;
    const returnTo = safeReturnTo(url.searchParams.get('return_to'));
    const username = form.get('username') ?? '';
    const result = await auth.login(
      req.session,
      { login: username, password: form.get('password') },
      { rememberMe: form.get('remember') === 'on', request: client(req) },
    );
    if (result.ok) {
      redirect(res, returnTo ?? '/dashboard');
      return;
    }
    const throttled = result.reason === 'throttled';
    const page = loginPage({
      csrf: await csrf.token(req.session),
      returnTo,
      username,
      notice: { kind: 'error', text: throttled ? waitText(result.retryAfter) : LOGIN_FAILED },
    });
    if (throttled) html(res, page, 429, { 'Retry-After': String(result.retryAfter) });
    else html(res, page, 401);
  }

  async function signup(req: Req, res: ServerResponse): Promise<void> {
    const form = await postedForm(req, res);
    if (form === null) return;
    const username = form.get('username') ?? '';
    const password = form.get('password') ?? '';
    const again = async (status: number, text: string) => {
      const page = signupPage({
        csrf: await csrf.token(req.session),
        username,
        notice: { kind: 'error', text },
      });
      html(res, page, status);
    };
    const login = normalizeLogin(username);
    if (!USERNAME.test(login)) {
      return again(400, 'Usernames are 1 to 64 letters, digits and . _ @ + - characters.');
    }
    const problem = checkPassword(password);
    if (problem !== null) {
      await again(400, problemText(problem));
      return;
    }
    // Unavoidable on a sign-up form: it has to say when a name is taken (see docs/demo.md).
    if ((await users.findByLogin(login)) !== null) return again(409, 'That username is taken.');
    let created: Awaited<ReturnType<Auth['createUser']>>;
    try {
      created = await auth.createUser(login, password);
    } catch (error) {
      // Two sign-ups racing for one name: the UNIQUE constraint decides.
      if ((await users.findByLogin(login)) === null) throw error;
      await again(409, 'That username is taken.');
      return;
    }
    if (!created.ok) {
      await again(400, problemText(created.problem));
      return;
    }
    const result = await auth.login(req.session, { login, password }, { request: client(req) });
    if (result.ok) {
      redirect(res, '/dashboard');
      return;
    }
    if (result.reason === 'throttled') {
      html(res, messagePage('Account created', waitText(result.retryAfter)), 429, {
        'Retry-After': String(result.retryAfter),
      });
      return;
    }
    redirect(res, '/login');
  }

  async function changePassword(req: Req, res: ServerResponse): Promise<void> {
    const form = await postedForm(req, res);
    if (form === null) return;
    const user = await userOrDeny(req, res);
    if (user === null) return;
    const result = await auth.changePassword(
      req.session,
      form.get('current_password') ?? '',
      form.get('new_password') ?? '',
      { request: client(req) },
    );
    if (result.ok) {
      const n = result.sessionsEnded;
      await req.session.set('flash', {
        kind: 'ok',
        text: `Password changed. ${String(n)} other session${n === 1 ? ' was' : 's were'} logged out.`,
      });
      redirect(res, '/dashboard');
      return;
    }
    if (result.reason === 'unauthenticated') {
      redirect(res, '/login');
      return;
    }
    if (result.reason === 'throttled') {
      res.setHeader('Retry-After', String(result.retryAfter));
      return dashboard(req, res, user, 429, { kind: 'error', text: waitText(result.retryAfter) });
    }
    const text =
      result.reason === 'invalid-password'
        ? problemText(result.problem)
        : 'The current password is wrong.';
    return dashboard(req, res, user, 400, { kind: 'error', text });
  }

  async function revoke(req: Req, res: ServerResponse, others: boolean): Promise<void> {
    const form = await postedForm(req, res);
    if (form === null) return;
    const user = await userOrDeny(req, res);
    if (user === null) return;
    if (others) {
      const n = await auth.logoutEverywhere(user.id, { except: req.session });
      await req.session.set('flash', {
        kind: 'ok',
        text: `${String(n)} other session${n === 1 ? '' : 's'} logged out.`,
      });
      redirect(res, '/account/sessions');
      return;
    }
    const target = form.get('session') ?? '';
    if (target === (await req.session.info()).publicId) {
      await auth.logout(req.session); // revoking the current session is logging out
      redirect(res, '/login');
      return;
    }
    const done = await auth.revokeSession(user.id, target);
    await req.session.set(
      'flash',
      done ? { kind: 'ok', text: 'Session revoked.' } : { kind: 'error', text: 'No such session.' },
    );
    redirect(res, '/account/sessions');
  }

  async function route(req: Req, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    switch (`${method} ${url.pathname}`) {
      case 'GET /style.css':
        res.writeHead(200, {
          'Content-Type': 'text/css; charset=utf-8',
          'Cache-Control': 'public, max-age=300',
        });
        res.end(STYLESHEET);
        return;
      case 'GET /': {
        const user = await auth.currentUser(req.session, client(req));
        redirect(res, user === null ? '/login' : '/dashboard');
        return;
      }
      case 'GET /login': {
        const returnTo = safeReturnTo(url.searchParams.get('return_to'));
        if ((await auth.currentUser(req.session, client(req))) !== null) {
          redirect(res, returnTo ?? '/dashboard');
          return;
        }
        html(res, loginPage({ csrf: await csrf.token(req.session), returnTo }));
        return;
      }
      case 'POST /login':
        return login(req, res, url);
      case 'GET /signup': {
        if ((await auth.currentUser(req.session, client(req))) !== null) {
          redirect(res, '/dashboard');
          return;
        }
        html(res, signupPage({ csrf: await csrf.token(req.session) }));
        return;
      }
      case 'POST /signup':
        return signup(req, res);
      case 'GET /dashboard': {
        const user = await userOrDeny(req, res);
        if (user !== null) await dashboard(req, res, user);
        return;
      }
      case 'GET /api/me': {
        const user = await auth.currentUser(req.session, client(req));
        if (user === null) json(res, { error: 'unauthenticated' }, 401);
        else json(res, { username: user.login });
        return;
      }
      case 'GET /account/sessions': {
        const user = await userOrDeny(req, res);
        if (user === null) return;
        const list = await auth.listSessions(user.id, { current: req.session });
        const flash = await req.session.pop('flash');
        html(
          res,
          sessionsPage({
            username: user.login,
            csrf: await csrf.token(req.session),
            sessions: list,
            notice: flash ?? null,
          }),
        );
        return;
      }
      case 'POST /account/sessions/revoke':
        return revoke(req, res, false);
      case 'POST /account/sessions/revoke-others':
        return revoke(req, res, true);
      case 'POST /account/password':
        return changePassword(req, res);
      case 'POST /logout': {
        const form = await postedForm(req, res);
        if (form === null) return;
        await auth.logout(req.session);
        redirect(res, '/login');
        return;
      }
      default: {
        html(res, messagePage('Not found', 'There is no page at this address.'), 404);
        return;
      }
    }
  }

  return async (req, res) => {
    securityHeaders(res);
    try {
      await route(req, res);
    } catch (error) {
      if (!(error instanceof BadRequest) || res.headersSent) throw error;
      // The rest of a refused body is never read: close the connection rather than leave the
      // client sending into a socket node will reset under the next request.
      if (error.status === 413) res.setHeader('Connection', 'close');
      html(res, messagePage('Bad request', error.message), error.status);
    }
  };
}
