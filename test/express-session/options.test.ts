/**
 * latchkey/express-session on its own: the signed cookie (and attacks on it), secret rotation,
 * genid, resave / saveUninitialized / unset as seen by the store, store events and subclassing,
 * start-up validation and the insecure-default warnings.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { afterEach, describe, it } from 'node:test';
import session, {
  Cookie,
  MemoryStore,
  Session,
  Store,
  type Callback,
} from '../../src/adapters/express-session.js';
import { Client } from '../helpers/http.js';
import { express5, idOf, readmeApp, SECRET, serve, sreq, type SessionFactory } from './fixtures.js';

const ours = session as unknown as SessionFactory;

function signed(id: string, secret: string): string {
  const mac = createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '');
  return encodeURIComponent(`s:${id}.${mac}`);
}

/** A MemoryStore that counts writes. */
class CountingStore extends MemoryStore {
  sets = 0;
  touches = 0;
  override set(sid: string, s: object, callback?: Callback): void {
    this.sets++;
    super.set(sid, s, callback);
  }
  override touch(sid: string, s: { cookie: object }, callback?: Callback): void {
    this.touches++;
    super.touch(sid, s, callback);
  }
}

const length = (store: MemoryStore): Promise<number> =>
  new Promise((resolve, reject) => {
    store.length((error, n) => {
      if (error) reject(new Error('store error', { cause: error }));
      else resolve(n ?? 0);
    });
  });

async function withApp(options: object, run: (client: Client) => Promise<void>): Promise<void> {
  const server = await serve(readmeApp(express5, ours, options));
  try {
    await run(new Client(server.url));
  } finally {
    await server.close();
  }
}

describe('the signed cookie', () => {
  it('is s:<id>.<base64 HMAC-SHA256 without padding>, URL-encoded', async () => {
    await withApp({ secret: SECRET }, async (client) => {
      await client.request('/views');
      const value = client.cookies.get('connect.sid') ?? '';
      assert.equal(value, signed(idOf(value), SECRET));
      assert.match(idOf(value), /^[A-Za-z0-9_-]{43}$/, 'default ids carry 256 random bits');
    });
  });

  it('a forged, re-signed or unsigned cookie reads as no session (a new one), never an error', async () => {
    const store = new MemoryStore();
    await withApp({ secret: SECRET, store }, async (victim) => {
      await victim.request('/views');
      await victim.request('/views');
      const id = idOf(victim.cookies.get('connect.sid'));
      const attempts = [
        encodeURIComponent(`s:${id}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`), // wrong MAC
        signed(id, 'a guessed secret'), // signed with another key
        id, // the bare id
        encodeURIComponent(`s:${id}`), // no MAC
        '%E0%A4%A', // malformed percent-encoding
      ];
      for (const value of attempts) {
        const attacker = new Client(victim.baseUrl);
        attacker.cookies.set('connect.sid', value);
        const response = await attacker.request('/peek');
        assert.equal(response.status, 200, value);
        assert.equal(((await response.json()) as { views: unknown }).views, null, value);
      }
      // The victim's session is intact.
      const body = (await (await victim.request('/peek')).json()) as { views: number };
      assert.equal(body.views, 2);
    });
  });

  it('rotates secrets: the first signs, every one verifies; a dropped secret logs out', async () => {
    const store = new MemoryStore();
    let issued = '';
    await withApp({ secret: 'old secret', store }, async (client) => {
      await client.request('/views');
      issued = client.cookies.get('connect.sid') ?? '';
    });
    await withApp({ secret: ['new secret', 'old secret'], store }, async (client) => {
      client.cookies.set('connect.sid', issued);
      const body = (await (await client.request('/views')).json()) as { views: number };
      assert.equal(body.views, 2, 'the old cookie still works');
      const fresh = new Client(client.baseUrl);
      await fresh.request('/views');
      const value = fresh.cookies.get('connect.sid') ?? '';
      assert.equal(
        value,
        signed(idOf(value), 'new secret'),
        'new cookies are signed with the first',
      );
    });
    await withApp({ secret: 'new secret', store }, async (client) => {
      client.cookies.set('connect.sid', issued);
      const body = (await (await client.request('/peek')).json()) as { views: unknown };
      assert.equal(body.views, null);
    });
  });

  it('uses genid for new ids', async () => {
    let n = 0;
    await withApp({ secret: SECRET, genid: () => `custom-${String(++n)}` }, async (client) => {
      const body = (await (await client.request('/views')).json()) as { id: string };
      assert.equal(body.id, 'custom-1');
      assert.equal(idOf(client.cookies.get('connect.sid')), 'custom-1');
    });
  });

  it('takes cookie-parser’s req.secret when no secret option is given, else answers 500', async () => {
    const app = express5();
    app.use((req, _res, next) => {
      if (req.query.secret !== undefined) (req as unknown as { secret: string }).secret = SECRET;
      next();
    });
    app.use(ours({}));
    app.get('/', (req, res) => {
      res.json({ id: sreq(req).sessionID });
    });
    const server = await serve(app);
    try {
      assert.equal((await fetch(`${server.url}/?secret=1`)).status, 200);
      const failed = await fetch(`${server.url}/`);
      assert.equal(failed.status, 500);
      assert.match(await failed.text(), /secret option required for sessions/);
    } finally {
      await server.close();
    }
  });
});

describe('what reaches the store', () => {
  it('resave: false writes only changed sessions (unchanged ones are touched); resave: true rewrites', async () => {
    const lazy = new CountingStore();
    await withApp({ secret: SECRET, store: lazy, resave: false }, async (client) => {
      await client.request('/views');
      await client.request('/peek');
      await client.request('/peek');
    });
    assert.deepEqual([lazy.sets, lazy.touches], [1, 2]);
    const eager = new CountingStore();
    await withApp({ secret: SECRET, store: eager, resave: true }, async (client) => {
      await client.request('/views');
      await client.request('/peek');
      await client.request('/peek');
    });
    assert.deepEqual([eager.sets, eager.touches], [3, 0]);
  });

  it('saveUninitialized: false stores nothing and sends no cookie for a new, unmodified session', async () => {
    const store = new MemoryStore();
    await withApp({ secret: SECRET, store, saveUninitialized: false }, async (client) => {
      const response = await client.request('/peek');
      assert.deepEqual(response.headers.getSetCookie(), []);
      assert.equal(await length(store), 0);
    });
    await withApp({ secret: SECRET, store, saveUninitialized: true }, async (client) => {
      const response = await client.request('/peek');
      assert.equal(response.headers.getSetCookie().length, 1);
      assert.equal(await length(store), 1);
    });
  });

  it("unset: 'destroy' deletes the session when req.session is deleted; 'keep' keeps it unchanged", async () => {
    for (const [unset, left, views] of [
      ['destroy', 0, null],
      ['keep', 1, 1],
    ] as const) {
      const store = new MemoryStore();
      await withApp({ secret: SECRET, store, unset, resave: false }, async (client) => {
        await client.request('/views');
        await client.request('/unset');
        assert.equal(await length(store), left, unset);
        const body = (await (await client.request('/peek')).json()) as { views: unknown };
        assert.equal(body.views, views, unset);
      });
    }
  });

  it('a store error while loading goes to the error handler; ENOENT means no session', async () => {
    class FailingStore extends MemoryStore {
      code = 'ECONNREFUSED';
      override get(_sid: string, callback: (error: unknown) => void): void {
        callback(Object.assign(new Error('store down'), { code: this.code }));
      }
    }
    const store = new FailingStore();
    await withApp({ secret: SECRET, store }, async (client) => {
      client.cookies.set('connect.sid', signed('some-id', SECRET));
      const failed = await client.request('/peek');
      assert.equal(failed.status, 500);
      assert.match(await failed.text(), /store down/);
      store.code = 'ENOENT';
      const body = (await (await client.request('/peek')).json()) as { hasSession: boolean };
      assert.equal(body.hasSession, true);
    });
  });
});

describe('stores', () => {
  it('a third-party store subclasses Store (an EventEmitter); disconnect runs requests without a session until connect', async () => {
    class MapStore extends Store {
      readonly map = new Map<string, string>();
      get(sid: string, callback: (error: unknown, s?: unknown) => void): void {
        const text = this.map.get(sid);
        callback(null, text === undefined ? null : JSON.parse(text));
      }
      set(sid: string, s: object, callback?: Callback): void {
        this.map.set(sid, JSON.stringify(s));
        callback?.();
      }
      destroy(sid: string, callback?: Callback): void {
        this.map.delete(sid);
        callback?.();
      }
    }
    const store = new MapStore();
    assert.ok(store instanceof EventEmitter);
    await withApp({ secret: SECRET, store, resave: false }, async (client) => {
      await client.request('/views');
      const id = idOf(client.cookies.get('connect.sid'));
      assert.equal((JSON.parse(store.map.get(id) ?? '{}') as { views: number }).views, 1);
      store.emit('disconnect');
      const offline = (await (await client.request('/peek')).json()) as { hasSession: boolean };
      assert.equal(offline.hasSession, false);
      store.emit('connect');
      const online = (await (await client.request('/peek')).json()) as { views: number };
      assert.equal(online.views, 1);
      // Store#load builds a Session with its Cookie from what the store holds.
      const loaded = await new Promise<Session | undefined>((resolve, reject) => {
        store.load(id, (error, s) => {
          if (error) reject(new Error('store error', { cause: error }));
          else resolve(s);
        });
      });
      assert.ok(loaded instanceof Session);
      assert.ok(loaded.cookie instanceof Cookie);
      assert.equal(loaded.views, 1);
      assert.equal(loaded.id, id);
    });
  });

  it('MemoryStore forgets expired sessions and supports all, length and clear', async () => {
    let now = Date.now();
    const store = new MemoryStore({ now: () => now });
    const cookie = new Cookie({ maxAge: 1000 });
    store.set('a', { cookie: cookie.data, n: 1 });
    store.set('b', { cookie: new Cookie().data, n: 2 });
    assert.equal(await length(store), 2);
    now += 2000;
    assert.equal(await length(store), 1);
    await new Promise<void>((resolve) => {
      store.clear(() => {
        resolve();
      });
    });
    assert.equal(await length(store), 0);
  });
});

describe('Cookie', () => {
  it('maxAge reads the time left and moves expires; originalMaxAge follows; a Date is refused', () => {
    const cookie = new Cookie({ maxAge: 60_000 });
    // Read back through `expires` with a second clock reading, as express-session does: the
    // millisecond may tick in between.
    assert.ok((cookie.originalMaxAge ?? 0) <= 60_000 && (cookie.originalMaxAge ?? 0) > 59_000);
    assert.ok(cookie.expires instanceof Date);
    cookie.maxAge = 1000;
    assert.ok((cookie.maxAge ?? 0) <= 1000 && (cookie.maxAge ?? 0) > 900);
    assert.ok((cookie.originalMaxAge ?? 0) <= 1000 && (cookie.originalMaxAge ?? 0) > 900);
    assert.throws(() => {
      (cookie as unknown as { maxAge: Date }).maxAge = new Date();
    }, TypeError);
    assert.deepEqual(new Cookie().data, {
      originalMaxAge: null,
      partitioned: undefined,
      priority: undefined,
      expires: null,
      secure: undefined,
      httpOnly: true,
      domain: undefined,
      path: '/',
      sameSite: undefined,
    });
  });
});

describe('start-up', () => {
  it('rejects bad options with a message naming the option', () => {
    assert.throws(() => session({ secret: [] }), /secret/);
    assert.throws(() => session({ secret: SECRET, genid: 'x' as never }), /genid/);
    assert.throws(() => session({ secret: SECRET, unset: 'drop' as never }), /unset/);
    assert.throws(() => session({ secret: SECRET, store: {} as never }), /store/);
  });
});

describe('insecure-default warnings', () => {
  const saved = process.env.NODE_ENV;
  afterEach(() => {
    if (saved === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = saved;
  });

  async function warningsOf(make: () => unknown): Promise<string[]> {
    const codes: string[] = [];
    const listener = (warning: Error & { code?: string }): void => {
      if (warning.code?.startsWith('LATCHKEY_SESSION_') === true) codes.push(warning.code);
    };
    process.on('warning', listener);
    try {
      await make();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    return codes.sort();
  }

  it('warns once per middleware about Secure and SameSite, naming the setting', async () => {
    const codes = await warningsOf(() => session({ secret: SECRET }));
    assert.deepEqual(codes, ['LATCHKEY_SESSION_NOT_SECURE', 'LATCHKEY_SESSION_NO_SAMESITE']);
    // Requests do not repeat them.
    await withApp({ secret: SECRET }, async (client) => {
      const during = await warningsOf(() => client.request('/views'));
      assert.deepEqual(during, []);
    });
  });

  it('is quiet with secure and sameSite set; warns about MemoryStore only in production', async () => {
    const secure = { secret: SECRET, cookie: { secure: true, sameSite: 'lax' } } as const;
    assert.deepEqual(await warningsOf(() => session(secure)), []);
    process.env.NODE_ENV = 'production';
    assert.deepEqual(await warningsOf(() => session(secure)), ['LATCHKEY_SESSION_MEMORY_STORE']);
    assert.deepEqual(
      await warningsOf(() =>
        session({
          ...secure,
          cookie: { secure: 'auto', sameSite: 'strict' },
          store: new CountingStore(),
        }),
      ),
      ['LATCHKEY_SESSION_MEMORY_STORE'],
    );
  });
});
