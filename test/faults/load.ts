import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSession } from '../../src/adapters/node.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import { hashToken } from '../../src/core/token.js';
import type { SessionOptions } from '../../src/core/options.js';
import type { Store } from '../../src/core/store.js';
import { Client, listen, parseSetCookie, type TestServer } from '../helpers/http.js';

/**
 * The load harness of the fault tests: an app whose logged-in users each carry a distinct marker,
 * a steady stream of concurrent requests against it while a test breaks the store, and the checks
 * every fault must pass. One lane per session runs its requests one after another, so each
 * session's counter has a single writer and any step back, repeat or foreign marker is a store or
 * core fault, not a race between two requests of the same session.
 */

interface FaultData {
  marker: string;
  count: number;
  pad: string;
}

/** What /hit, /peek and /visit answer. */
export interface View {
  readonly marker: string | null;
  readonly user: string | null;
  readonly count: number | null;
  /** Length of the `pad` value, or null when there is none. */
  readonly pad: number | null;
}

export interface StoreErrorSeen {
  readonly at: number;
  readonly operation: string;
  readonly error: unknown;
}

export interface FaultApp extends TestServer {
  readonly sessions: Sessions<FaultData>;
  /** Every `store-error` event, stamped with performance.now(). */
  readonly storeErrors: StoreErrorSeen[];
}

/**
 * A node:http app on the real clock (Redis and PostgreSQL records expire by it). Routes:
 * POST /login?user=u (log in; marker = u, count = 0), GET /hit (read marker, user and count;
 * write count + 1), GET /peek (read only), GET /visit?pad=n (store n bytes: a new anonymous
 * session for a client without a cookie), GET /health (never touches the session).
 */
export async function startFaultApp(
  store: Store,
  options: Partial<SessionOptions> = {},
): Promise<FaultApp> {
  const sessions = createSessions<FaultData>({ ...options, store });
  const storeErrors: StoreErrorSeen[] = [];
  sessions.on('store-error', ({ operation, error }) => {
    storeErrors.push({ at: performance.now(), operation, error });
  });
  const server = await listen(
    withSession(sessions, async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const session = req.session;
      const view = async (count: number | null): Promise<View> => ({
        marker: (await session.get('marker')) ?? null,
        user: await session.userId(),
        count,
        pad: (await session.get('pad'))?.length ?? null,
      });
      const send = (value: unknown): void => {
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(value));
      };
      switch (`${req.method ?? 'GET'} ${url.pathname}`) {
        case 'GET /health':
          send('up');
          return;
        case 'POST /login': {
          const user = url.searchParams.get('user') ?? 'nobody';
          await session.bindUser(user);
          await session.set('marker', user);
          await session.set('count', 0);
          send(await view(0));
          return;
        }
        case 'GET /hit': {
          const count = ((await session.get('count')) ?? 0) + 1;
          await session.set('count', count);
          send(await view(count));
          return;
        }
        case 'GET /peek':
          send(await view((await session.get('count')) ?? null));
          return;
        case 'GET /visit':
          await session.set('pad', 'v'.repeat(Number(url.searchParams.get('pad') ?? '1')));
          send(await view(null));
          return;
        default:
          res.statusCode = 404;
          res.end();
      }
    }),
  );
  return { ...server, sessions, storeErrors };
}

/** A logged-in user: the marker its session holds, and the Cookie header that carries it. */
export interface User {
  readonly name: string;
  readonly cookie: string;
}

/** Logs `count` users in, one session each, with distinct markers. */
export async function logIn(baseUrl: string, count: number, label: string): Promise<User[]> {
  const users: User[] = [];
  for (let i = 0; i < count; i++) {
    const client = new Client(baseUrl);
    const name = `${label}-user-${i}`;
    const response = await client.request(`/login?user=${name}`, { method: 'POST' });
    assert.equal(response.status, 200, `login of ${name}`);
    assert.deepEqual(await response.json(), { marker: name, user: name, count: 0, pad: null });
    users.push({ name, cookie: client.cookieHeader() });
  }
  return users;
}

/** One request as the load saw it. Times are performance.now(). */
export interface Outcome {
  readonly start: number;
  readonly end: number;
  /** 0: no response (connection error, or no answer within the hang limit). */
  readonly status: number;
  readonly view: View | null;
  readonly setCookie: readonly string[];
  readonly retryAfter: string | null;
  readonly error?: string;
}

export const duration = (o: Outcome): number => o.end - o.start;

/** A sequence of requests sent one after another: a user's session, or cookie-less visitors. */
export interface Lane {
  readonly path: string;
  readonly cookie: string | null;
}

/** No request may take this long: it would mean a hang, which the store deadlines forbid. */
const HANG_MS = 10_000;

async function send(url: string, cookie: string | null): Promise<Outcome> {
  const start = performance.now();
  try {
    const response = await fetch(url, {
      headers: cookie === null ? {} : { cookie },
      signal: AbortSignal.timeout(HANG_MS),
    });
    const text = await response.text();
    return {
      start,
      end: performance.now(),
      status: response.status,
      view: response.status === 200 ? (JSON.parse(text) as View) : null,
      setCookie: response.headers.getSetCookie(),
      retryAfter: response.headers.get('retry-after'),
    };
  } catch (error) {
    const end = performance.now();
    const { message, cause } = error as Error;
    const reason = cause instanceof Error ? `${message} (${cause.message})` : message;
    return { start, end, status: 0, view: null, setCookie: [], retryAfter: null, error: reason };
  }
}

/**
 * Keeps one request in flight per lane until stopped, and polls /health every 100 ms to show
 * the process keeps serving. After a failure a lane pauses 10 ms, so a store that fails fast
 * does not turn the load into a busy loop.
 */
export class Load {
  /** Outcomes per lane, in the order the lane sent them. */
  readonly outcomes: Outcome[][];
  readonly health: Outcome[] = [];
  #running = true;
  readonly #done: Promise<unknown>;

  constructor(baseUrl: string, lanes: readonly Lane[]) {
    this.outcomes = lanes.map(() => []);
    const workers = lanes.map(async (lane, i) => {
      const seen = this.outcomes[i]!;
      while (this.#running) {
        const outcome = await send(baseUrl + lane.path, lane.cookie);
        seen.push(outcome);
        if (outcome.status !== 200) await sleep(10);
      }
    });
    const poller = (async () => {
      while (this.#running) {
        this.health.push(await send(`${baseUrl}/health`, null));
        await sleep(100);
      }
    })();
    this.#done = Promise.all([...workers, poller]);
  }

  /** One lane per user, each hitting its own session. */
  static forUsers(baseUrl: string, users: readonly User[], extra: readonly Lane[] = []): Load {
    return new Load(baseUrl, [...users.map((u) => ({ path: '/hit', cookie: u.cookie })), ...extra]);
  }

  all(): Outcome[] {
    return this.outcomes.flat();
  }

  /**
   * Resolves, with the milliseconds since `since`, once every lane has had a 200 to a request
   * sent at or after `since`; rejects after `limit` ms, naming the lanes still failing.
   */
  async recovered(since: number, limit: number): Promise<number> {
    for (;;) {
      const waiting = this.outcomes
        .map((seen, i) => (seen.some((o) => o.start >= since && o.status === 200) ? -1 : i))
        .filter((i) => i >= 0);
      if (waiting.length === 0) return Math.round(performance.now() - since);
      if (performance.now() - since > limit) {
        const last = waiting.map((i) => this.outcomes[i]!.at(-1)?.status ?? 'none').join(', ');
        throw new Error(
          `no recovery within ${limit} ms: lanes ${waiting.join(', ')} still fail (${last})`,
        );
      }
      await sleep(50);
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#done;
  }

  /** Counts by status and the slowest request, for the test's diagnostics. */
  summary(outcomes: readonly Outcome[] = this.all()): string {
    const byStatus = new Map<number, number>();
    for (const o of outcomes) byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
    const slowest = Math.round(Math.max(0, ...outcomes.map(duration)));
    const counts = [...byStatus].map(([s, n]) => `${n}×${s}`).join(', ');
    return `${outcomes.length} requests (${counts}), slowest ${slowest} ms`;
  }
}

/** Outcomes that started at or after `from` and ended by `to`: wholly inside a fault. */
export function within(outcomes: readonly Outcome[], from: number, to: number): Outcome[] {
  return outcomes.filter((o) => o.start >= from && o.end <= to);
}

/**
 * What every request of a user's lane must show, whatever the store went through:
 * - only 200 or 503 (never a 500, never a hang or a dropped connection);
 * - a 200 carries this user's marker and user id: never another session's data, never an empty
 *   (anonymous) session for a cookie whose session exists;
 * - no Set-Cookie at all: the token never changes on /hit, so a cookie here would be a fresh
 *   session handed out in place of the user's own;
 * - a 503 says Retry-After;
 * - the counter never goes back or repeats, and goes up by exactly one between two 200s in a row
 *   (a 503 in between may or may not have landed: a timed-out write is abandoned, not cancelled).
 * Returns the last counter each user saw.
 */
export function assertUserLanes(load: Load, users: readonly User[]): number[] {
  return users.map((user, lane) => {
    let last = 0; // the value /login wrote
    let previousOk = true;
    for (const [n, o] of load.outcomes[lane]!.entries()) {
      const where = `${user.name}, request ${n} (${o.status} after ${Math.round(duration(o))} ms)`;
      assert.ok(
        o.status === 200 || o.status === 503,
        `${where}: ${o.error ?? 'unexpected status'}`,
      );
      assert.deepEqual(o.setCookie, [], `${where}: no cookie may be issued on /hit`);
      if (o.status === 503) {
        assert.equal(o.retryAfter, '1', `${where}: Retry-After`);
        previousOk = false;
        continue;
      }
      const view = o.view!;
      assert.equal(view.marker, user.name, `${where}: the session's own marker`);
      assert.equal(view.user, user.name, `${where}: the session's own user`);
      const count = view.count!;
      if (previousOk) assert.equal(count, last + 1, `${where}: counter after ${last}`);
      else assert.ok(count > last, `${where}: counter went from ${last} to ${count}`);
      last = count;
      previousOk = true;
    }
    return last;
  });
}

/** Every request in `outcomes` is a 503 answered within `bound` ms. */
export function assertAllUnavailable(outcomes: readonly Outcome[], bound: number): void {
  for (const o of outcomes) {
    assert.equal(o.status, 503, `a request during the fault answered ${o.status}`);
    assert.ok(duration(o) < bound, `a 503 took ${Math.round(duration(o))} ms (bound ${bound})`);
  }
}

/** Every request in `outcomes` is a 200. */
export function assertAllOk(outcomes: readonly Outcome[]): void {
  assert.ok(outcomes.length > 0, 'requests were sent');
  const failed = outcomes.filter((o) => o.status !== 200);
  assert.deepEqual(
    failed.map((o) => o.status),
    [],
    'every request after recovery succeeds',
  );
}

/** The process kept answering: every /health poll a 200 within `bound` ms. */
export function assertHealthy(load: Load, bound: number): void {
  assert.ok(load.health.length > 0);
  for (const o of load.health) {
    assert.equal(o.status, 200, `/health answered ${o.status} ${o.error ?? ''}`);
    assert.ok(duration(o) < bound, `/health took ${Math.round(duration(o))} ms (bound ${bound})`);
  }
}

/**
 * After the load: each user's session still holds its marker and exactly the last counter a 200
 * showed (every lane ends on a 200, so a later value would be a write from the fault landing
 * late, and a lower one a lost or reverted write).
 */
export async function assertSessionsIntact(
  baseUrl: string,
  users: readonly User[],
  counters: readonly number[],
): Promise<void> {
  for (const [i, user] of users.entries()) {
    const response = await fetch(`${baseUrl}/peek`, { headers: { cookie: user.cookie } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      marker: user.name,
      user: user.name,
      count: counters[i],
      pad: null,
    });
  }
}

/**
 * Every store error seen is a StoreUnavailableError (503) whose message, or whose driver cause,
 * says what went wrong; returns the causes so tests can name the one they expect.
 */
export function storeErrorCauses(app: FaultApp): { code: unknown; message: string }[] {
  return app.storeErrors.map(({ error }) => {
    assert.ok(error instanceof StoreUnavailableError, `store-error carries ${String(error)}`);
    assert.equal(error.status, 503);
    const cause = error.cause as (Error & { code?: unknown }) | undefined;
    const message = cause?.message ?? error.message;
    assert.ok(message.length > 0, 'the error says what went wrong');
    return { code: cause?.code, message };
  });
}

/** `count` lanes of new visitors (no cookie), each request storing `pad` bytes in a new session. */
export function visitorLanes(count: number, pad: number): Lane[] {
  return Array.from({ length: count }, () => ({ path: `/visit?pad=${pad}`, cookie: null }));
}

/**
 * New visitors: a 200 hands out exactly one cookie, for a session the store really holds with
 * the pad (read back from the store itself, so a 200 for a lost write fails); a 503 hands out
 * none. Returns how many were stored.
 */
export async function assertVisitors(
  outcomes: readonly Outcome[],
  store: Store,
  pad: number,
): Promise<number> {
  let stored = 0;
  for (const o of outcomes) {
    assert.ok(o.status === 200 || o.status === 503, `a visitor got ${o.status} ${o.error ?? ''}`);
    if (o.status === 503) {
      assert.deepEqual(o.setCookie, [], 'no cookie for a session that was not stored');
      assert.equal(o.retryAfter, '1');
      continue;
    }
    assert.equal(o.view?.pad, pad);
    assert.equal(o.setCookie.length, 1, 'a new session gets its cookie');
    const token = parseSetCookie(o.setCookie[0]!).value;
    const record = await store.get(hashToken(token), Date.now());
    assert.ok(record !== null, 'a 200 with a cookie means the session was stored');
    assert.equal(record.data.pad, JSON.stringify('v'.repeat(pad)));
    stored++;
  }
  return stored;
}

/** How a backend is taken down and brought back, with words for the test's diagnostics. */
export interface Outage {
  /** What went down, e.g. "Redis". */
  readonly backend: string;
  readonly stop: () => Promise<void>;
  readonly start: () => Promise<void>;
  /** A failing request's bound: storeTimeout (1.25x at worst) plus scheduling slack. */
  readonly failBound: number;
}

const OUTAGE_USERS = 16;
/** Cookie-less visitors whose requests each create a session: 20 requests in flight in all. */
const OUTAGE_VISITORS = 4;
const OUTAGE_PAD = 100;
const RECOVERY_LIMIT = 10_000;

/**
 * The crash-and-restart scenario of the network stores: sixteen logged-in users and four lanes of
 * new visitors keep requesting while the backend is stopped for two seconds and started again.
 * Asserts every outcome the fault tests promise: only 503s (within the bound) while it is down,
 * never another user's session or an empty one, no cookie for a session that was not stored,
 * recovery by itself, and every session, marker and counter intact afterwards.
 * @returns the requests made while the backend was down
 */
export async function assertOutageUnderLoad(
  t: { diagnostic(message: string): void },
  app: FaultApp,
  store: Store,
  outage: Outage,
): Promise<Outcome[]> {
  const users = await logIn(app.url, OUTAGE_USERS, outage.backend.toLowerCase());
  const load = Load.forUsers(app.url, users, visitorLanes(OUTAGE_VISITORS, OUTAGE_PAD));
  let down = 0;
  let restarting = 0;
  let recoveredIn = 0;
  let tail = 0;
  try {
    await sleep(800);
    await outage.stop();
    down = performance.now();
    await sleep(2000);
    restarting = performance.now();
    await outage.start();
    recoveredIn = await load.recovered(performance.now(), RECOVERY_LIMIT);
    tail = performance.now();
    await sleep(800);
  } finally {
    await load.stop();
  }

  const during = within(load.all(), down, restarting);
  t.diagnostic(`overall: ${load.summary()}`);
  t.diagnostic(`while ${outage.backend} was down: ${load.summary(during)}`);
  t.diagnostic(`every session served again ${recoveredIn} ms after ${outage.backend} was started`);

  const counters = assertUserLanes(load, users);
  // A visitor never gets a cookie for a session that was not stored, outage or not.
  const visitors = load.outcomes.slice(OUTAGE_USERS).flat();
  assert.ok((await assertVisitors(visitors, store, OUTAGE_PAD)) > 0);
  assert.ok(during.length >= OUTAGE_USERS, `the outage saw load (${during.length} requests)`);
  assertAllUnavailable(during, outage.failBound);
  assertHealthy(load, outage.failBound);
  assertAllOk(load.all().filter((o) => o.start >= tail));
  // Committed before the crash means durable: same sessions, markers and counters after it.
  await assertSessionsIntact(app.url, users, counters);
  assert.ok(storeErrorCauses(app).length >= during.length, 'each 503 was a store error');
  return during;
}
