import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { withSession } from '../../src/adapters/node.js';
import { createSessions } from '../../src/core/manager.js';
import { memoryStore } from '../../src/stores/memory.js';
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
