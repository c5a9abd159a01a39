import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { withSession } from '../../src/adapters/node.js';
import { createSessions } from '../../src/core/manager.js';
import { memoryStore } from '../../src/stores/memory.js';
import type { Store } from '../../src/core/store.js';
import type { ServerResponse } from 'node:http';
import { listen, parseSetCookie, type TestServer } from '../helpers/http.js';
import { spyStore } from '../helpers/spy-store.js';

describe('node adapter: committing before headers', () => {
  const store = spyStore(memoryStore());
  const sessions = createSessions({ store });
  let server: TestServer;
  before(async () => {
    server = await listen(
      withSession(sessions, async (req, res) => {
        const url = new URL(req.url ?? '/', 'http://x');
        await req.session.set('hit', url.pathname);
        switch (url.pathname) {
          case '/writehead-cookie':
            // The app's own Set-Cookie in writeHead must not displace the session cookie.
            res
              .writeHead(200, { 'Set-Cookie': 'theme=dark; Path=/', Vary: 'Accept-Encoding' })
              .end('ok');
            return;
          case '/stream':
            res.write('a');
            await new Promise((r) => setTimeout(r, 5));
            res.write('b');
            res.end('c');
            return;
          case '/fail':
            res.statusCode = 500;
            res.end('boom');
            return;
          case '/throw':
            throw new Error('handler bug with secret details');
          case '/sync-throw-after-write':
            res.end('done');
            return;
          default:
            res.end('ok');
        }
      }),
    );
  });
  after(() => server.close());

  it('merges its headers with those passed to writeHead', async () => {
    const response = await fetch(`${server.url}/writehead-cookie`);
    const names = response.headers.getSetCookie().map((l) => parseSetCookie(l).name);
    assert.deepEqual(names.sort(), ['__Host-sid', 'theme']);
    assert.equal(response.headers.get('vary'), 'Accept-Encoding, Cookie');
  });

  it('holds streamed writes until committed, then sends them in order', async () => {
    const response = await fetch(`${server.url}/stream`);
    assert.equal(await response.text(), 'abc');
    assert.equal(response.headers.getSetCookie().length, 1);
  });

  it('saves nothing for a 5xx response (a failed request changes no state)', async () => {
    store.reset();
    const response = await fetch(`${server.url}/fail`);
    assert.equal(response.status, 500);
    assert.equal(response.headers.getSetCookie().length, 0);
    assert.equal(store.calls.create, 0);
  });

  it('turns a handler error into a plain 500 that reveals nothing', async () => {
    const original = console.error;
    console.error = () => undefined;
    try {
      const response = await fetch(`${server.url}/throw`);
      assert.equal(response.status, 500);
      assert.equal(await response.text(), 'Internal Server Error');
    } finally {
      console.error = original;
    }
  });

  it('answers 503 with no Set-Cookie when the commit fails', async () => {
    store.failing = true;
    try {
      const response = await fetch(`${server.url}/ok`);
      assert.equal(response.status, 503);
      assert.equal(await response.text(), 'Service Unavailable');
      assert.equal(response.headers.getSetCookie().length, 0);
    } finally {
      store.failing = false;
    }
  });
});

describe('node adapter: transport warning (SEC-17)', () => {
  it('warns once when a Secure cookie goes over plain HTTP to a non-local host', async () => {
    const sessions = createSessions({ store: memoryStore() });
    const server = await listen(
      withSession(sessions, async (req, res) => {
        await req.session.set('x', 1);
        res.end();
      }),
    );
    const warnings: string[] = [];
    const listener = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', listener);
    try {
      await fetch(server.url); // Host: 127.0.0.1 is local: no warning
      await new Promise((r) => setImmediate(r));
      assert.equal(warnings.length, 0);
      // fetch will not send a custom Host header; node's client will.
      for (let i = 0; i < 3; i++) {
        await new Promise<void>((resolve, reject) => {
          get(server.url, { headers: { host: 'app.example.com' } }, (res) => {
            res.resume();
            res.on('end', resolve);
          }).on('error', reject);
        });
      }
      await new Promise((r) => setImmediate(r));
      assert.equal(warnings.filter((w) => w.includes('plain HTTP to app.example.com')).length, 1);
    } finally {
      process.off('warning', listener);
      await server.close();
    }
  });

  it('trusts X-Forwarded-Proto only when trustProxy is set', async () => {
    const { requestInfo } = await import('../../src/adapters/node.js');
    const req = {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7, 10.0.0.1' },
      socket: { remoteAddress: '127.0.0.1' },
    } as never;
    assert.equal(requestInfo(req, false).secure, false);
    assert.equal(requestInfo(req, false).ip, '127.0.0.1');
    assert.equal(requestInfo(req, true).secure, true);
    assert.equal(
      requestInfo(req, true).ip,
      '10.0.0.1',
      'the hop the proxy added, not the client-supplied one',
    );
  });
});

/** `store` answering its request-path operations a few ms later, so the adapter holds the response. */
function slowly(store: Store): Store {
  const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 2));
  return {
    ...store,
    get: async (id, now) => {
      await tick();
      return store.get(id, now);
    },
    create: async (record, now) => {
      await tick();
      return store.create(record, now);
    },
    update: async (id, patch, now) => {
      await tick();
      return store.update(id, patch, now);
    },
  };
}

describe('node adapter: other code wrapping the response', () => {
  it('keeps a wrapper installed after the session layer through a held, streamed response', async () => {
    const sessions = createSessions({ store: slowly(memoryStore()) });
    const seen: string[] = [];
    const server = await listen(
      withSession(sessions, async (req, res) => {
        // As a compression or logging middleware would: wrap write and end, call the previous ones.
        const write = res.write.bind(res) as (chunk: string) => boolean;
        const end = res.end.bind(res) as (chunk: string) => ServerResponse;
        res.write = ((chunk: string) => {
          seen.push(`write ${chunk}`);
          return write(chunk.toUpperCase());
        }) as typeof res.write;
        res.end = ((chunk: string) => {
          seen.push(`end ${chunk}`);
          return end(chunk.toUpperCase());
        }) as typeof res.end;
        await req.session.set('x', 1); // a new session: the commit is asynchronous
        res.write('a');
        await new Promise((r) => setTimeout(r, 5));
        res.write('b');
        res.end('c');
      }),
    );
    try {
      const response = await fetch(server.url);
      assert.equal(await response.text(), 'ABC');
      assert.deepEqual(seen, ['write a', 'write b', 'end c']);
      assert.equal(response.headers.getSetCookie().length, 1);
    } finally {
      await server.close();
    }
  });
});

describe('node adapter: two session layers on one response', () => {
  it('commits each (the outer one through an asynchronous store) and sends their cookies', async () => {
    const inner = createSessions({ store: memoryStore() });
    const slowStore = memoryStore();
    const outer = createSessions({ cookie: { name: '__Host-outer' }, store: slowly(slowStore) });
    const server = await listen(
      withSession(outer, (outerReq, outerRes) => {
        const outerSession = outerReq.session; // the inner layer puts its own at req.session
        withSession(inner, async (req, res) => {
          await req.session.set('inner', 1);
          if (req.url === '/both') await outerSession.set('outer', 2);
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('a');
          res.end('b');
        })(outerReq, outerRes);
      }),
    );
    try {
      for (const [path, cookies] of [
        ['/both', ['__Host-outer', '__Host-sid']],
        ['/inner-only', ['__Host-sid']],
      ] as const) {
        const response = await fetch(`${server.url}${path}`);
        assert.equal(response.status, 200, path);
        assert.equal(await response.text(), 'ab', path);
        const names = response.headers.getSetCookie().map((l) => parseSetCookie(l).name);
        assert.deepEqual(names.sort(), cookies, path);
      }
      assert.equal(slowStore.size, 1);
    } finally {
      await server.close();
    }
  });
});
