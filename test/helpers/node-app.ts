import { createSessions, type Sessions } from '../../src/core/manager.js';
import type { SessionOptions } from '../../src/core/options.js';
import { withSession } from '../../src/adapters/node.js';
import { memoryStore } from '../../src/stores/memory.js';
import { listen, type TestServer } from './http.js';
import { spyStore, type SpyStore } from './spy-store.js';

/** A fake clock tests move by hand. */
export class FakeClock {
  time = Date.UTC(2026, 0, 1);
  readonly now = (): number => this.time;
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface TestApp extends TestServer {
  readonly sessions: Sessions;
  readonly store: SpyStore;
  readonly clock: FakeClock;
}

/**
 * A node:http app exercising the whole session API through plain routes:
 * GET /get?key=k, GET /set?key=k&value=v (JSON value), GET /delete?key=k, GET /keys,
 * GET /inc?key=k (read, add one, write), GET /info, POST /login?user=u[&remember=1],
 * POST /regenerate, POST /logout, GET /static (never touches the session).
 */
export async function startApp(options: Partial<SessionOptions> = {}): Promise<TestApp> {
  const clock = new FakeClock();
  const store = spyStore(options.store ?? memoryStore());
  const sessions = createSessions({ now: clock.now, ...options, store });
  const server = await listen(
    withSession(sessions, async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const key = url.searchParams.get('key') ?? 'k';
      const session = req.session;
      const json = (value: unknown): void => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(value ?? null));
      };
      switch (url.pathname) {
        case '/static':
          res.end('static');
          return;
        case '/get':
          json(await session.get(key));
          return;
        case '/set':
          await session.set(key, JSON.parse(url.searchParams.get('value') ?? 'null') as unknown);
          json('ok');
          return;
        case '/delete':
          json(await session.delete(key));
          return;
        case '/keys':
          json(Object.fromEntries(await session.entries()));
          return;
        case '/inc': {
          const value = ((await session.get(key)) as number | undefined) ?? 0;
          await session.set(key, value + 1);
          json(value + 1);
          return;
        }
        case '/info':
          json(await session.info());
          return;
        case '/login':
          await session.bindUser(url.searchParams.get('user') ?? 'alice', {
            rememberMe: url.searchParams.get('remember') === '1',
          });
          json('ok');
          return;
        case '/regenerate':
          await session.regenerate();
          json('ok');
          return;
        case '/logout':
          await session.destroy();
          json('ok');
          return;
        default:
          res.statusCode = 404;
          res.end();
      }
    }),
  );
  return { ...server, sessions, store, clock };
}
