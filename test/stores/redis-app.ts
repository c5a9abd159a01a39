import { createSessions, type Sessions } from '../../src/core/manager.js';
import type { SessionOptions } from '../../src/core/options.js';
import type { Store } from '../../src/core/store.js';
import { withSession } from '../../src/adapters/node.js';
import { listen, type TestServer } from '../helpers/http.js';

/** A gate a test opens by hand, to hold a request between loading and committing its session. */
export interface Gate {
  /** Resolves when a request has loaded its session and is waiting at the gate. */
  readonly reached: Promise<void>;
  open(): void;
}

export interface RedisTestApp extends TestServer {
  readonly sessions: Sessions;
  /** Makes the next GET /slow-set wait after loading its session until the gate opens. */
  gate(): Gate;
}

/**
 * A node:http app on the real clock (Redis expires keys on its own clock, so a fake one would
 * make every write land in the past). Routes: GET /health (never touches the session),
 * GET /inc (count + 1), GET /peek (count), GET /whoami, POST /login?user=u, POST /regenerate,
 * POST /logout, GET /slow-set (loads, waits at the gate, then writes `late`).
 */
export async function startRedisApp(
  store: Store,
  options: Partial<SessionOptions> = {},
): Promise<RedisTestApp> {
  const sessions = createSessions({ ...options, store });
  let pending: { arrive: () => void; wait: Promise<void> } | null = null;
  const server = await listen(
    withSession(sessions, async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const session = req.session;
      const send = (value: unknown): void => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(value ?? null));
      };
      switch (`${req.method ?? 'GET'} ${url.pathname}`) {
        case 'GET /health':
          send('up');
          return;
        case 'GET /inc': {
          const count = ((await session.get('count')) as number | undefined) ?? 0;
          await session.set('count', count + 1);
          send(count + 1);
          return;
        }
        case 'GET /peek':
          send(await session.get('count'));
          return;
        case 'GET /whoami':
          send(await session.userId());
          return;
        case 'POST /login':
          await session.bindUser(url.searchParams.get('user') ?? 'nobody');
          send('ok');
          return;
        case 'POST /regenerate':
          await session.regenerate();
          send('ok');
          return;
        case 'POST /logout':
          await session.destroy();
          send('ok');
          return;
        case 'GET /slow-set': {
          await session.get('count');
          const gate = pending;
          pending = null;
          if (gate !== null) {
            gate.arrive();
            await gate.wait;
          }
          await session.set('late', true);
          send('ok');
          return;
        }
        default:
          res.statusCode = 404;
          res.end();
      }
    }),
  );
  return {
    ...server,
    sessions,
    gate() {
      let arrive!: () => void;
      let open!: () => void;
      const reached = new Promise<void>((resolve) => (arrive = resolve));
      const wait = new Promise<void>((resolve) => (open = resolve));
      pending = { arrive, wait };
      return { reached, open };
    },
  };
}
