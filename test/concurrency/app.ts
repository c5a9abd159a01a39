/**
 * The app and instruments of the concurrency scenarios: a node:http server on `withSession` over
 * a store wrapped so the tests can see what each commit did, and gates that hold requests between
 * loading their session and writing it (so "in flight" is a fact, not a hope about timing).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession } from '../../src/adapters/node.js';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import type { Store } from '../../src/core/store.js';
import { Client, listen, type TestServer } from '../helpers/http.js';

/** One `store.update` as the store answered it, logged when it settled. */
export interface UpdateEntry {
  readonly id: string;
  /** Keys the patch set. */
  readonly keys: readonly string[];
  /** The store's answer: false means the record was gone (the write was refused). */
  readonly applied: boolean;
}

/** A real store, plus a log of updates in the order they settled and a hold on `create`. */
export interface RecordingStore extends Store {
  readonly updates: UpdateEntry[];
  /** Holds the next `create` (a rotation's new record) until released. */
  holdNextCreate(): { readonly reached: Promise<void>; release(): void };
}

function recording(inner: Store): RecordingStore {
  let held: { arrive: () => void; released: Promise<void> } | null = null;
  const store: RecordingStore = {
    updates: [],
    holdNextCreate() {
      let arrive = (): void => undefined;
      let release = (): void => undefined;
      const reached = new Promise<void>((resolve) => (arrive = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      held = { arrive, released };
      return { reached, release };
    },
    get: (id, now) => inner.get(id, now),
    // Synchronous stores (memory, SQLite) stay synchronous: the core takes another path for them.
    create(record, now) {
      const hold = held;
      held = null;
      if (hold === null) return inner.create(record, now);
      hold.arrive();
      return hold.released.then(() => inner.create(record, now));
    },
    update(id, patch, now) {
      const log = (applied: boolean): boolean => {
        store.updates.push({ id, keys: Object.keys(patch.set ?? {}), applied });
        return applied;
      };
      const result = inner.update(id, patch, now);
      return result instanceof Promise ? result.then(log) : log(result);
    },
    delete: (id) => inner.delete(id),
    listByUser: (userId, now) => inner.listByUser(userId, now),
    deleteByUser: (userId, exceptId) => inner.deleteByUser(userId, exceptId),
  };
  return store;
}

/** Holds every request that passes it until opened; `full` resolves once `size` are waiting. */
export class Gate {
  readonly full: Promise<void>;
  readonly open: () => void;
  readonly #opened: Promise<void>;
  readonly #size: number;
  #onFull = (): void => undefined;
  #waiting = 0;

  constructor(size: number) {
    this.#size = size;
    this.full = new Promise((resolve) => (this.#onFull = resolve));
    let open = (): void => undefined;
    this.#opened = new Promise((resolve) => (open = resolve));
    this.open = open;
  }

  async pass(): Promise<void> {
    if (++this.#waiting === this.#size) this.#onFull();
    await this.#opened;
  }
}

export interface ConcurrencyApp extends TestServer {
  readonly sessions: Sessions;
  readonly store: RecordingStore;
  /** Where `/write?hold=1` requests wait after loading their session. */
  gate: Gate;
  /**
   * `store.updates.length` when the latest rotation started re-reading the old record: the updates
   * logged before it had settled before that read was even sent.
   */
  rotationMark: number;
}

/**
 * Routes: GET /write?key=k[&hold=1][&wait=ms] (loads, waits at the gate and/or `wait` ms, sets
 * k = "k"), GET /inc?key=k (read, add one, write), GET /data ({ user, data }),
 * POST /login?user=u, POST /regenerate (both first set `rotator`), POST /logout.
 * Real clock: Redis expires keys on its own clock. storeTimeout twice the default: 100 requests
 * queue on one session (a file lock, a pool of 5 connections) on a machine busy with other test
 * files, and the point here is what concurrent commits do to the data, not deadlines.
 */
export async function startConcurrencyApp(inner: Store): Promise<ConcurrencyApp> {
  const store = recording(inner);
  const sessions = createSessions({ store, storeTimeout: '4s' });
  const server = await listen(
    withSession(sessions, async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const key = url.searchParams.get('key') ?? 'k';
      const wait = Number(url.searchParams.get('wait') ?? 0);
      const session = req.session;
      const send = (value: unknown): void => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(value));
      };
      switch (`${req.method ?? 'GET'} ${url.pathname}`) {
        case 'GET /write':
          await session.load();
          if (url.searchParams.has('hold')) await app.gate.pass();
          if (wait > 0) await sleep(wait);
          await session.set(key, key);
          send('ok');
          return;
        case 'GET /inc': {
          const value = ((await session.get(key)) as number | undefined) ?? 0;
          if (wait > 0) await sleep(wait);
          await session.set(key, value + 1);
          send(value + 1);
          return;
        }
        case 'GET /data':
          send({ user: await session.userId(), data: Object.fromEntries(await session.entries()) });
          return;
        case 'POST /login':
        case 'POST /regenerate':
          await session.set('rotator', 'rotator');
          app.rotationMark = store.updates.length;
          if (url.pathname === '/login') await session.bindUser(url.searchParams.get('user') ?? '');
          else await session.regenerate();
          send('ok');
          return;
        case 'POST /logout':
          await session.destroy();
          send('ok');
          return;
        default:
          res.statusCode = 404;
          res.end();
      }
    }),
  );
  const app: ConcurrencyApp = { ...server, sessions, store, gate: new Gate(0), rotationMark: -1 };
  return app;
}

export const COOKIE = '__Host-sid';

/** What one request got back. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  /** The session token the client holds after the reply (undefined: none). */
  readonly token: string | undefined;
  /** True when the reply carried a Set-Cookie for the session. */
  readonly setCookie: boolean;
}

export async function send(client: Client, path: string, method = 'GET'): Promise<Reply> {
  const response = await client.request(path, { method });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? undefined : (JSON.parse(text) as unknown),
    token: client.cookies.get(COOKIE),
    setCookie: response.headers.getSetCookie().some((line) => line.startsWith(`${COOKIE}=`)),
  };
}

/** A client holding exactly `token` (a copy of one browser's cookie). */
export function holding(url: string, token: string): Client {
  const client = new Client(url);
  client.cookies.set(COOKIE, token);
  return client;
}

export const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
