// Shared by the cookie-sessions tests: keys, a fake clock and a small node:http app that drives
// every Session operation through the real node adapter.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { withSession, type SessionRequest } from '../../src/adapters/node.js';
import type { SessionProvider } from '../../src/core/session.js';

export const KEY_A = 'a-test-secret-of-at-least-32-bytes-AAAAAAAA';
export const KEY_B = 'b-test-secret-of-at-least-32-bytes-BBBBBBBB';
export const KEY_C = 'c-test-secret-of-at-least-32-bytes-CCCCCCCC';
/** Plain-HTTP tests on loopback: the default `__Host-` name needs Secure, which browsers allow on
 * localhost; our Client ignores Secure too, so the defaults are kept. */
export const COOKIE = '__Host-sid';

export interface FakeClock {
  (): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let time = start;
  const clock = (() => time) as FakeClock;
  clock.advance = (ms) => {
    time += ms;
  };
  return clock;
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

function send(res: ServerResponse, value: unknown): void {
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(value ?? null));
}

/**
 * Routes: GET /get?k=, POST /set?k= (JSON body), POST /delete?k=, POST /login?user=&remember=1,
 * POST /logout, POST /logout-flash, POST /regenerate, GET /info, GET /whoami,
 * POST /timeouts (JSON body), POST /after-commit.
 */
export function app(sessions: SessionProvider) {
  return withSession(sessions, async (req: SessionRequest, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const s = req.session;
    const k = url.searchParams.get('k') ?? 'k';
    switch (url.pathname) {
      case '/get':
        send(res, await s.get(k));
        return;
      case '/set':
        await s.set(k, JSON.parse(await body(req)) as unknown);
        send(res, 'ok');
        return;
      case '/delete':
        send(res, await s.delete(k));
        return;
      case '/login':
        await s.bindUser(url.searchParams.get('user') ?? 'alice', {
          rememberMe: url.searchParams.get('remember') === '1',
        });
        send(res, await s.info());
        return;
      case '/logout':
        await s.destroy();
        send(res, 'bye');
        return;
      case '/logout-flash':
        await s.destroy();
        await s.set('flash', 'logged out');
        send(res, 'bye');
        return;
      case '/regenerate':
        await s.regenerate();
        send(res, await s.info());
        return;
      case '/info':
        send(res, await s.info());
        return;
      case '/whoami':
        send(res, await s.userId());
        return;
      case '/timeouts':
        await s.setTimeouts(JSON.parse(await body(req)) as { idle?: number; absolute?: number });
        send(res, await s.info());
        return;
      case '/after-commit': {
        await s.load();
        res.end('sent');
        try {
          await s.set('late', 1);
        } catch (error) {
          lastError = error;
        }
        return;
      }
      default:
        res.statusCode = 404;
        res.end();
    }
  });
}

/** The error the /after-commit route caught, for the assertion. */
export let lastError: unknown = null;

/** The value of our cookie in a response's Set-Cookie headers (undefined when not set). */
export function setCookieOf(response: Response, name = COOKIE): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}
