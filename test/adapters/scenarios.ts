/**
 * The behavioural scenarios every adapter must pass, written once and run against each framework
 * (node, Express 4, Express 5, Fastify, Hono) with a real server and a real HTTP client.
 *
 * Each framework supplies a small app ({@link AppFactory}) that mounts its adapter and answers the
 * routes of {@link dispatch} with its own native response methods.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { describe, it } from 'node:test';
import { createSessions, type Sessions } from '../../src/core/manager.js';
import type { Session, SessionProvider } from '../../src/core/session.js';
import type { SessionPatch, SessionRecord, Store } from '../../src/core/store.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client, parseSetCookie } from '../helpers/http.js';

// ---- the app every framework implements ---------------------------------------------------------

/** What a route answers, in framework-neutral terms. */
export interface RouteReply {
  readonly status: number;
  readonly body: string;
  readonly type: 'text/plain' | 'application/json';
  readonly headers: Readonly<Record<string, string>>;
  /** When set, answer with the framework's own 303 redirect instead of `body`. */
  readonly redirect?: string;
}

const text = (status: number, body: string, headers: Record<string, string> = {}): RouteReply => ({
  status,
  body,
  type: 'text/plain',
  headers,
});
const json = (value: unknown, headers: Record<string, string> = {}): RouteReply => ({
  status: 200,
  body: JSON.stringify(value),
  type: 'application/json',
  headers,
});
const redirect = (to: string): RouteReply => ({ ...text(303, ''), redirect: to });

/**
 * The routes of the scenario app. Returns null for an unknown route (the app answers 404).
 * `/me` sets its own `Vary` to check the adapter merges rather than overwrites it; `/write/:key`
 * sets `X-Route` to check a failed commit drops the aborted response's headers.
 */
export async function dispatch(
  method: string,
  path: string,
  session: Session,
): Promise<RouteReply | null> {
  const write = /^\/write\/([a-z0-9]+)$/.exec(path);
  if (method === 'GET' && write !== null) {
    const key = write[1]!;
    await session.set(key, key);
    return text(200, 'written', { 'X-Route': 'yes' });
  }
  switch (`${method} ${path}`) {
    case 'GET /nothing':
      return text(200, 'nothing');
    case 'GET /peek':
      return json({ user: await session.userId(), visits: (await session.get('visits')) ?? null });
    case 'GET /visit': {
      const visits = (((await session.get('visits')) as number | undefined) ?? 0) + 1;
      await session.set('visits', visits);
      return json({ visits });
    }
    case 'POST /login':
      await session.bindUser('alice');
      return redirect('/me');
    case 'POST /logout':
      await session.destroy();
      return redirect('/');
    case 'GET /me': {
      const user = await session.userId();
      if (user === null) return text(401, 'login required');
      const { meta } = await session.info();
      return json({ user, ip: meta.ip ?? null }, { Vary: 'Accept-Language' });
    }
    case 'GET /keys':
      return json((await session.keys()).sort());
    default:
      return null;
  }
}

/** A running app under test. */
export interface RunningApp {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts one framework's scenario app on an ephemeral loopback port. */
export type AppFactory = (sessions: SessionProvider) => Promise<RunningApp>;

/** `req.session` as the adapters attach it (apps type it by declaration merging, see the docs). */
export function sessionOf(request: object): Session {
  return (request as { session: Session }).session;
}

// ---- a store we can break ---------------------------------------------------------------------

/** A memory store whose operations reject while `mode` says so, and which counts writes. */
export interface FlakyStore extends Store {
  /** `down`: every operation rejects; `read-only`: writes reject, reads work. */
  mode: 'up' | 'down' | 'read-only';
  readonly writes: number;
  readonly size: number;
}

export function flakyStore(): FlakyStore {
  const inner = memoryStore();
  let writes = 0;
  const outage = (): Promise<never> => Promise.reject(new Error('ECONNREFUSED (simulated)'));
  const store: FlakyStore = {
    mode: 'up',
    get writes() {
      return writes;
    },
    get size() {
      return inner.size;
    },
    get: (id, now) => (store.mode === 'down' ? outage() : inner.get(id, now)),
    listByUser: (userId, now) => (store.mode === 'down' ? outage() : inner.listByUser(userId, now)),
    create(record: SessionRecord, now: number) {
      if (store.mode !== 'up') return outage();
      writes++;
      return inner.create(record, now);
    },
    update(id: string, patch: SessionPatch, now: number) {
      if (store.mode !== 'up') return outage();
      writes++;
      return inner.update(id, patch, now);
    },
    delete(id: string) {
      if (store.mode !== 'up') return outage();
      writes++;
      return inner.delete(id);
    },
    deleteByUser(userId: string, exceptId?: string) {
      if (store.mode !== 'up') return outage();
      writes++;
      return inner.deleteByUser(userId, exceptId);
    },
  };
  return store;
}

// ---- raw HTTP, for requests fetch() refuses to send ------------------------------------------

/** Sends raw request bytes over a socket; resolves to the status and the whole raw response. */
export function rawRequest(
  url: string,
  head: Buffer,
): Promise<{ status: number; response: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const response = Buffer.concat(chunks).toString('latin1');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1] ?? 0);
      resolve({ status, response });
    });
    socket.end(head);
  });
}

function rawGet(path: string, cookieHeaders: Buffer[]): Buffer {
  return Buffer.concat([
    Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n`, 'latin1'),
    ...cookieHeaders.flatMap((value) => [
      Buffer.from('Cookie: ', 'latin1'),
      value,
      Buffer.from('\r\n'),
    ]),
    Buffer.from('\r\n'),
  ]);
}

// ---- the scenarios ------------------------------------------------------------------------------

const MINUTE = 60_000;

interface Setup {
  readonly store: FlakyStore;
  readonly sessions: Sessions;
  readonly app: RunningApp;
  readonly client: Client;
  /** Moves the injected clock forward. */
  readonly advance: (ms: number) => void;
}

/** Registers the shared scenarios for one framework. */
export function adapterScenarios(name: string, createApp: AppFactory): void {
  describe(`${name} adapter: shared scenarios`, () => {
    async function setup(): Promise<Setup> {
      const store = flakyStore();
      let clock = Date.UTC(2026, 0, 1);
      const sessions = createSessions({ store, now: () => clock, storeTimeout: '1s' });
      // The adapters get the bare SessionProvider interface, as sealed-cookie sessions provide it.
      const provider: SessionProvider = {
        trustProxy: sessions.trustProxy,
        fromRequest: (request) => sessions.fromRequest(request),
        commit: (session) => sessions.commit(session),
      };
      const app = await createApp(provider);
      return {
        store,
        sessions,
        app,
        client: new Client(app.url),
        advance: (ms) => {
          clock += ms;
        },
      };
    }

    async function withApp(run: (s: Setup) => Promise<void>): Promise<void> {
      const s = await setup();
      try {
        await run(s);
      } finally {
        await s.app.close();
      }
    }

    async function login(client: Client): Promise<Response> {
      const response = await client.request('/login', { method: 'POST' });
      assert.equal(response.status, 303);
      await response.arrayBuffer();
      return response;
    }

    async function me(client: Client): Promise<{ status: number; user: string | null }> {
      const response = await client.request('/me');
      if (response.status !== 200) {
        await response.arrayBuffer();
        return { status: response.status, user: null };
      }
      const body = (await response.json()) as { user: string };
      return { status: response.status, user: body.user };
    }

    it('sets a __Host- cookie: Secure, HttpOnly, SameSite=Lax, Path=/, no Domain, no Max-Age', () =>
      withApp(async ({ client }) => {
        const response = await login(client);
        const lines = response.headers.getSetCookie();
        assert.equal(lines.length, 1);
        const cookie = parseSetCookie(lines[0]!);
        assert.equal(cookie.name, '__Host-sid');
        assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/);
        const a = cookie.attributes;
        assert.ok(a.has('secure'), 'Secure');
        assert.ok(a.has('httponly'), 'HttpOnly');
        assert.equal(a.get('samesite')?.toLowerCase(), 'lax');
        assert.equal(a.get('path'), '/');
        assert.ok(!a.has('domain'), 'no Domain');
        assert.ok(!a.has('max-age') && !a.has('expires'), 'a browser-session cookie');
      }));

    it('sends no cookie and writes nothing for a visitor who stores nothing', () =>
      withApp(async ({ client, store }) => {
        for (const path of ['/nothing', '/peek', '/me', '/missing']) {
          const response = await client.request(path);
          await response.arrayBuffer();
          assert.ok(response.status < 500, `${path}: ${response.status}`);
          assert.deepEqual(response.headers.getSetCookie(), [], path);
        }
        assert.equal(store.writes, 0);
        assert.equal(store.size, 0);
      }));

    it('keeps data across requests in the cookie-bound session', () =>
      withApp(async ({ client }) => {
        for (const expected of [1, 2, 3]) {
          const response = await client.request('/visit');
          assert.deepEqual(await response.json(), { visits: expected });
        }
      }));

    it('login rotates the token, keeps the data, and the pre-login token is dead', () =>
      withApp(async ({ client }) => {
        await (await client.request('/visit')).arrayBuffer();
        const before = client.cookies.get('__Host-sid');
        assert.ok(before);
        const planted = client.clone(); // what an attacker who fixed the pre-login token holds
        await login(client);
        const after = client.cookies.get('__Host-sid');
        assert.ok(after);
        assert.notEqual(after, before);
        assert.deepEqual(await me(client), { status: 200, user: 'alice' });
        const peek = (await (await client.request('/peek')).json()) as { visits: number };
        assert.equal(peek.visits, 1, 'anonymous data survives login');
        assert.deepEqual(await me(planted), { status: 401, user: null });
      }));

    it('logout clears the cookie and the replayed old cookie is anonymous', () =>
      withApp(async ({ client }) => {
        await login(client);
        const stolen = client.clone();
        const response = await client.request('/logout', { method: 'POST' });
        await response.arrayBuffer();
        assert.equal(response.status, 303);
        const [line] = response.headers.getSetCookie();
        assert.ok(line !== undefined, 'the cookie is cleared');
        const cleared = parseSetCookie(line);
        assert.equal(cleared.name, '__Host-sid');
        assert.equal(cleared.value, '');
        assert.equal(cleared.attributes.get('max-age'), '0');
        assert.equal(cleared.attributes.get('path'), '/');
        assert.ok(cleared.attributes.has('secure'));
        assert.equal(client.cookies.size, 0);
        assert.deepEqual(await me(stolen), { status: 401, user: null });
        assert.deepEqual(await me(client), { status: 401, user: null });
      }));

    it('20 concurrent requests writing different keys of one session all persist', () =>
      withApp(async ({ client }) => {
        await login(client);
        const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
        const responses = await Promise.all(keys.map((key) => client.request(`/write/${key}`)));
        for (const response of responses) {
          assert.equal(response.status, 200);
          assert.equal(await response.text(), 'written');
        }
        const stored = (await (await client.request('/keys')).json()) as string[];
        assert.deepEqual(stored, [...keys].sort());
      }));

    it('ends a session after the idle timeout, and activity extends it (injected clock)', () =>
      withApp(async ({ client, advance }) => {
        await login(client);
        advance(20 * MINUTE);
        assert.equal((await me(client)).status, 200, 'used within the idle timeout');
        advance(20 * MINUTE);
        assert.equal((await me(client)).status, 200, 'the last request restarted the idle clock');
        advance(31 * MINUTE);
        assert.deepEqual(await me(client), { status: 401, user: null });
      }));

    it('puts Vary: Cookie (merged) and Cache-Control: no-store on authenticated responses', () =>
      withApp(async ({ client }) => {
        await login(client);
        const response = await client.request('/me');
        await response.arrayBuffer();
        assert.equal(response.status, 200);
        const vary = (response.headers.get('vary') ?? '').toLowerCase().split(/\s*,\s*/);
        assert.ok(vary.includes('cookie'), `Vary: ${vary.join(', ')}`);
        assert.ok(vary.includes('accept-language'), 'the route’s own Vary is kept');
        assert.equal(response.headers.get('cache-control'), 'no-store');
      }));

    it('never answers 5xx to hostile cookies, never echoes them, never adopts them', () =>
      withApp(async ({ app }) => {
        const marker = 'HOSTILEx';
        const forged = `${marker}${'A'.repeat(35)}`; // well-formed, never issued
        const cases: [string, Buffer[]][] = [
          ['garbage', [Buffer.from(`${marker};;;===;; ;=; __Host-sid`)]],
          ['empty value', [Buffer.from(`__Host-sid=; a=${marker}`)]],
          ['bad escapes', [Buffer.from(`__Host-sid=%${marker}%%zz%00`)]],
          ['10 KB value', [Buffer.from(`__Host-sid=${marker}${'x'.repeat(10 * 1024)}`)]],
          ['forged token', [Buffer.from(`__Host-sid=${forged}`)]],
          ['duplicate names', [Buffer.from(`__Host-sid=${forged}; __Host-sid=${marker}2`)]],
          [
            'several Cookie headers',
            [Buffer.from(`a=1; __Host-sid=${forged}`), Buffer.from(`__Host-sid=${marker}3`)],
          ],
          [
            'binary bytes',
            [
              Buffer.concat([
                Buffer.from(`__Host-sid=${marker}`),
                Buffer.from([0x80, 0xff, 0xfe, 0x9f]),
              ]),
            ],
          ],
        ];
        for (const [label, headers] of cases) {
          for (const path of ['/visit', '/me']) {
            const { status, response } = await rawRequest(app.url, rawGet(path, headers));
            assert.ok(status >= 200 && status < 500, `${label} ${path}: status ${status}`);
            assert.ok(!response.includes(marker), `${label} ${path}: the cookie is echoed`);
            if (path === '/me') assert.equal(status, 401, `${label}: adopted as logged in`);
            if (path === '/visit' && status === 200) {
              assert.match(response, /"visits":1/, `${label}: a fresh session, nothing adopted`);
              const issued = /set-cookie: __Host-sid=([^;\r\n]*)/i.exec(response)?.[1];
              assert.ok(issued !== undefined && issued !== forged, `${label}: new token issued`);
            }
          }
        }
      }));

    it('answers 503 while the store is down, never a response sent as if saved, and recovers', () =>
      withApp(async ({ client, store }) => {
        await login(client);
        await (await client.request('/write/before')).arrayBuffer();
        const visitor = new Client(client.baseUrl);

        store.mode = 'down';
        // Reading an existing session fails in the route.
        const read = await client.request('/me');
        const readBody = await read.text();
        assert.equal(read.status, 503);
        assert.doesNotMatch(readBody, /alice|login required/);
        // A new visitor's first write fails in the commit.
        const created = await visitor.request('/visit');
        const createdBody = await created.text();
        assert.equal(created.status, 503);
        assert.doesNotMatch(createdBody, /visits/);
        assert.deepEqual(created.headers.getSetCookie(), []);

        store.mode = 'read-only';
        // The route ran and wrote its response; the commit fails: nothing of it may go out.
        const write = await client.request('/write/lost');
        const writeBody = await write.text();
        assert.equal(write.status, 503);
        assert.doesNotMatch(writeBody, /written/);
        assert.equal(write.headers.get('x-route'), null, 'the aborted response’s headers dropped');
        assert.deepEqual(write.headers.getSetCookie(), []);

        store.mode = 'up';
        assert.deepEqual(await me(client), { status: 200, user: 'alice' });
        const keys = (await (await client.request('/keys')).json()) as string[];
        assert.deepEqual(keys, ['before'], 'the write answered with 503 was not saved');
        const again = await visitor.request('/visit');
        assert.deepEqual(await again.json(), { visits: 1 });
      }));
  });
}
