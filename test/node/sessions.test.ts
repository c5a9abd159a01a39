import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { generateToken, hashToken } from '../../src/core/token.js';
import { Client, parseSetCookie } from '../helpers/http.js';
import { startApp, type TestApp } from '../helpers/node-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function sessionCookie(response: Response): ReturnType<typeof parseSetCookie> | undefined {
  return response.headers
    .getSetCookie()
    .map(parseSetCookie)
    .find((c) => c.name === '__Host-sid');
}

async function body(response: Response): Promise<unknown> {
  return JSON.parse(await response.text()) as unknown;
}

/** Sends raw bytes and returns the raw response: for headers fetch refuses to send. */
function rawRequest(port: number, head: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => {
      resolve(data);
    });
    socket.on('error', reject);
    socket.end(head);
  });
}

describe('node:http sessions', () => {
  let app: TestApp;
  before(async () => {
    app = await startApp();
  });
  after(async () => {
    await app.close();
  });

  describe('the cookie', () => {
    it('is __Host-sid, Secure, HttpOnly, SameSite=Lax, Path=/, with no Domain and no lifetime', async () => {
      const response = await new Client(app.url).request('/set?key=a&value=1');
      const cookie = sessionCookie(response);
      assert.ok(cookie, 'a Set-Cookie for __Host-sid');
      assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
      assert.equal(cookie.attributes.get('path'), '/');
      assert.ok(cookie.attributes.has('secure'));
      assert.ok(cookie.attributes.has('httponly'));
      assert.equal(cookie.attributes.get('samesite'), 'Lax');
      assert.ok(!cookie.attributes.has('domain'));
      assert.ok(
        !cookie.attributes.has('max-age') && !cookie.attributes.has('expires'),
        'browser-session cookie',
      );
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.match(response.headers.get('vary') ?? '', /cookie/i);
    });

    it('is sent only when it changes', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=a&value=1');
      const again = await client.request('/set?key=a&value=2');
      assert.equal(sessionCookie(again), undefined);
      assert.equal(await body(await client.request('/get?key=a')), 2);
    });

    it('is persistent for remember-me, with Max-Age equal to the 30-day lifetime', async () => {
      const client = new Client(app.url);
      const response = await client.request('/login?user=rem&remember=1', { method: 'POST' });
      const cookie = sessionCookie(response);
      assert.equal(cookie?.attributes.get('max-age'), String(30 * 24 * 3600));
      const info = (await body(await client.request('/info'))) as {
        absoluteExpiresAt: number;
        createdAt: number;
      };
      assert.equal(info.absoluteExpiresAt - info.createdAt, 30 * 24 * HOUR);
    });
  });

  describe('visitors who store nothing', () => {
    it('get no cookie and cause no store write', async () => {
      app.store.reset();
      const response = await new Client(app.url).request('/get?key=a');
      assert.equal(response.headers.getSetCookie().length, 0);
      assert.equal(app.store.calls.create + app.store.calls.update, 0);
    });

    it('cost nothing on routes that never touch the session, even with a cookie', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=a&value=1');
      app.store.reset();
      const response = await client.request('/static');
      assert.equal(await response.text(), 'static');
      assert.deepEqual(Object.values(app.store.calls), [0, 0, 0, 0, 0, 0]);
      assert.equal(response.headers.get('vary'), null);
    });
  });

  describe('tokens the server did not issue', () => {
    it('never adopts a forged well-formed token (strict mode, SEC-04)', async () => {
      const forged = generateToken();
      const client = new Client(app.url);
      client.cookies.set('__Host-sid', forged);
      assert.equal(await body(await client.request('/get?key=a')), null);
      const response = await client.request('/set?key=a&value=1');
      const issued = sessionCookie(response)?.value;
      assert.ok(issued);
      assert.notEqual(issued, forged);
      assert.equal(await app.store.get(hashToken(forged), app.clock.now()), null);
    });

    const hostile: [string, string][] = [
      ['garbage', '__Host-sid=not-a-token'],
      ['a 10 KB value', `__Host-sid=${'A'.repeat(10_000)}`],
      ['a token one character short', `__Host-sid=${generateToken().slice(1)}`],
      ['percent-encoding', '__Host-sid=%E0%A4%A'],
      ['quotes and separators', '__Host-sid="\\";,=,=; x=y'],
      ['only separators', ';;;;;=;=;;'.repeat(200)],
      ['a script', '__Host-sid=<script>alert(1)</script>'],
      ['duplicate names, both junk', '__Host-sid=a; __Host-sid=b'],
      ['prototype keys', '__proto__=1; constructor=2; __Host-sid=toString'],
    ];
    for (const [name, header] of hostile) {
      it(`reads ${name} as no session, without a 5xx or an echo`, async () => {
        const response = await fetch(`${app.url}/get?key=a`, { headers: { cookie: header } });
        assert.equal(response.status, 200);
        const text = await response.text();
        assert.equal(text, 'null');
      });
    }

    it('handles several Cookie headers deterministically (first session cookie wins)', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=who&value="first"');
      const token = client.cookies.get('__Host-sid') ?? '';
      const port = Number(new URL(app.url).port);
      const response = await rawRequest(
        port,
        'GET /get?key=who HTTP/1.1\r\nHost: localhost\r\n' +
          `Cookie: __Host-sid=${token}\r\nCookie: __Host-sid=${generateToken()}\r\nCookie: other=1\r\n` +
          'Connection: close\r\n\r\n',
      );
      assert.match(response.split('\r\n')[0] ?? '', /^HTTP\/1\.1 200 /);
      assert.ok(response.endsWith('"first"'), 'the session of the first Cookie header is used');
    });

    it('answers a binary Cookie header without a 5xx', async () => {
      const port = Number(new URL(app.url).port);
      const head = Buffer.concat([
        Buffer.from('GET /get?key=a HTTP/1.1\r\nHost: localhost\r\nCookie: __Host-sid='),
        Buffer.from([0xff, 0xfe, 0x80, 0x01, 0x7f, 0xc3, 0x28]),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]);
      const response = await rawRequest(port, head);
      assert.match(response, /^HTTP\/1\.1 [24]\d\d /);
    });

    it('answers a 100 KB Cookie header with a 4xx, not a 5xx', async () => {
      const port = Number(new URL(app.url).port);
      const head = `GET /get HTTP/1.1\r\nHost: localhost\r\nCookie: __Host-sid=${'x'.repeat(100_000)}\r\nConnection: close\r\n\r\n`;
      const response = await rawRequest(port, head);
      assert.match(response, /^HTTP\/1\.1 4\d\d /);
    });

    it('cannot be fixated by a planted duplicate: login issues a token unlike either', async () => {
      const victim = new Client(app.url);
      await victim.request('/set?key=cart&value=["book"]');
      const attacker = new Client(app.url);
      await attacker.request('/set?key=x&value=1');
      const planted = attacker.cookies.get('__Host-sid') ?? '';
      const mine = victim.cookies.get('__Host-sid') ?? '';
      // The planted cookie comes first, as a more specific Path would make a browser send it.
      const response = await fetch(`${app.url}/login?user=victim`, {
        method: 'POST',
        headers: { cookie: `__Host-sid=${planted}; __Host-sid=${mine}` },
      });
      const issued = sessionCookie(response)?.value;
      assert.ok(issued);
      assert.notEqual(issued, planted);
      assert.notEqual(issued, mine);
      const attackerView = await attacker.request('/info');
      assert.equal(
        ((await body(attackerView)) as { userId: string | null }).userId,
        null,
        'the attacker is not logged in as the victim',
      );
    });
  });

  describe('rotation', () => {
    it('login issues a new token, kills the old one at once, and keeps the data', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=cart&value=["book"]');
      const stolen = client.clone();
      const response = await client.request('/login?user=alice', { method: 'POST' });
      assert.ok(sessionCookie(response));
      assert.notEqual(client.cookies.get('__Host-sid'), stolen.cookies.get('__Host-sid'));
      assert.deepEqual(await body(await client.request('/get?key=cart')), ['book']);
      const info = (await body(await client.request('/info'))) as {
        userId: string;
        authTime: number;
        authMethod: string;
      };
      assert.equal(info.userId, 'alice');
      assert.equal(info.authTime, app.clock.now());
      assert.equal(info.authMethod, 'password');
      assert.equal(
        await body(await stolen.request('/get?key=cart')),
        null,
        'the pre-login token is dead',
      );
    });

    it('regenerate keeps data, user and absolute deadline, and kills the old token', async () => {
      const client = new Client(app.url);
      await client.request('/login?user=bob', { method: 'POST' });
      await client.request('/set?key=a&value=1');
      const before = (await body(await client.request('/info'))) as { absoluteExpiresAt: number };
      const old = client.clone();
      app.clock.advance(5 * MINUTE);
      await client.request('/regenerate', { method: 'POST' });
      const afterInfo = (await body(await client.request('/info'))) as {
        absoluteExpiresAt: number;
        userId: string;
      };
      assert.equal(
        afterInfo.absoluteExpiresAt,
        before.absoluteExpiresAt,
        'rotation never extends the absolute deadline',
      );
      assert.equal(afterInfo.userId, 'bob');
      assert.equal(await body(await client.request('/get?key=a')), 1);
      assert.equal(await body(await old.request('/get?key=a')), null);
    });

    it('clears the data when a different user logs in on the same session', async () => {
      const client = new Client(app.url);
      await client.request('/login?user=carol', { method: 'POST' });
      await client.request('/set?key=secret&value="carol-only"');
      await client.request('/login?user=dave', { method: 'POST' });
      assert.equal(await body(await client.request('/get?key=secret')), null);
    });
  });

  describe('timeouts (server-side, injected clock)', () => {
    it('ends a session idle for 30 minutes', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=a&value=1');
      app.clock.advance(30 * MINUTE);
      assert.equal(await body(await client.request('/get?key=a')), null);
    });

    it('keeps a session alive while it is used within the idle timeout', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=a&value=1');
      for (let i = 0; i < 4; i++) {
        app.clock.advance(20 * MINUTE);
        assert.equal(
          await body(await client.request('/get?key=a')),
          1,
          `still alive after ${(i + 1) * 20} min`,
        );
      }
    });

    it('ends a session at the 12-hour absolute timeout however active it is', async () => {
      const client = new Client(app.url);
      await client.request('/login?user=erin', { method: 'POST' });
      await client.request('/set?key=a&value=1');
      for (let elapsed = 0; elapsed < 12 * HOUR - 20 * MINUTE; elapsed += 20 * MINUTE) {
        app.clock.advance(20 * MINUTE);
        assert.equal(await body(await client.request('/get?key=a')), 1);
      }
      app.clock.advance(20 * MINUTE);
      assert.equal(await body(await client.request('/get?key=a')), null);
    });
  });

  describe('logout', () => {
    it('destroys the record and clears the cookie with matching attributes; a replay is anonymous', async () => {
      const client = new Client(app.url);
      await client.request('/login?user=frank', { method: 'POST' });
      await client.request('/set?key=a&value=1');
      const copied = client.clone();
      const response = await client.request('/logout', { method: 'POST' });
      const cleared = sessionCookie(response);
      assert.ok(cleared);
      assert.equal(cleared.value, '');
      assert.equal(cleared.attributes.get('max-age'), '0');
      assert.equal(cleared.attributes.get('path'), '/');
      assert.ok(cleared.attributes.has('secure') && cleared.attributes.has('httponly'));
      const replay = (await body(await copied.request('/info'))) as {
        userId: string | null;
        isNew: boolean;
      };
      assert.equal(replay.userId, null);
      assert.equal(replay.isNew, true);
      assert.equal(await body(await copied.request('/get?key=a')), null);
    });
  });

  describe('concurrency', () => {
    it('keeps every key when 20 requests of one session write different keys at once', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=base&value=0');
      app.store.updateDelay = 20; // every request has loaded before any of them commits
      try {
        await Promise.all(
          Array.from({ length: 20 }, (_, i) => client.request(`/set?key=k${i}&value=${i}`)),
        );
      } finally {
        app.store.updateDelay = 0;
      }
      const data = (await body(await client.request('/keys'))) as Record<string, number>;
      for (let i = 0; i < 20; i++) assert.equal(data[`k${i}`], i, `k${i} kept`);
      assert.equal(data.base, 0);
    });

    it('never brings a session back when a request finishes after logout', async () => {
      const client = new Client(app.url);
      await client.request('/login?user=gina', { method: 'POST' });
      const refused: string[] = [];
      const onRefused = (e: { session: string }): void => {
        refused.push(e.session);
      };
      app.sessions.on('write-refused', onRefused);
      app.store.updateDelay = 150;
      try {
        const slow = client.clone().request('/set?key=late&value=1');
        await new Promise((r) => setTimeout(r, 50));
        app.store.updateDelay = 0;
        await client.request('/logout', { method: 'POST' });
        await slow;
      } finally {
        app.store.updateDelay = 0;
        app.sessions.off('write-refused', onRefused);
      }
      assert.equal(refused.length, 1);
      assert.deepEqual(await app.sessions.listByUser('gina'), []);
      const old = new Client(app.url);
      old.cookies.set('__Host-sid', client.cookies.get('__Host-sid') ?? '');
      assert.equal(await body(await old.request('/get?key=late')), null);
    });
  });

  describe('writes only when needed', () => {
    it('refreshes last-seen at most once per touch interval on read-only requests', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=a&value=1');
      app.store.reset();
      for (let i = 0; i < 10; i++) await client.request('/get?key=a');
      assert.equal(app.store.calls.update, 0, 'no writes inside the interval');
      app.clock.advance(60_000);
      for (let i = 0; i < 10; i++) await client.request('/get?key=a');
      assert.equal(app.store.calls.update, 1, 'one touch after the interval');
      assert.equal(app.store.calls.get, 20);
    });
  });

  describe('headers', () => {
    it('marks authenticated responses no-store and Vary: Cookie, anonymous reads only Vary', async () => {
      const anonymous = await new Client(app.url).request('/get?key=a');
      assert.match(anonymous.headers.get('vary') ?? '', /cookie/i);
      assert.equal(anonymous.headers.get('cache-control'), null);
      const client = new Client(app.url);
      await client.request('/login?user=hank', { method: 'POST' });
      const authed = await client.request('/get?key=a');
      assert.equal(authed.headers.get('cache-control'), 'no-store');
      assert.match(authed.headers.get('vary') ?? '', /cookie/i);
    });
  });

  describe('store outage', () => {
    it('answers 503 while the store is down, stays up, and recovers by itself', async () => {
      const client = new Client(app.url);
      await client.request('/set?key=a&value=1');
      app.store.failing = true;
      try {
        const down = await client.request('/get?key=a');
        assert.equal(down.status, 503);
        assert.equal(down.headers.get('retry-after'), '1');
        assert.equal(down.headers.getSetCookie().length, 0, 'no fresh session handed out');
        assert.equal(
          (await client.request('/static')).status,
          200,
          'routes without sessions still work',
        );
      } finally {
        app.store.failing = false;
      }
      assert.equal(await body(await client.request('/get?key=a')), 1, 'data intact after recovery');
    });
  });

  describe('secrecy of the token (SEC-07)', () => {
    it('keeps the raw token out of the store and out of every event', async () => {
      const events: unknown[] = [];
      const names = ['created', 'rotated', 'destroyed', 'rejected-token', 'write-refused'] as const;
      const listener = (e: unknown): void => {
        events.push(e);
      };
      for (const name of names) app.sessions.on(name, listener);
      try {
        const client = new Client(app.url);
        await client.request('/set?key=a&value=1');
        const anonymousToken = client.cookies.get('__Host-sid') ?? '';
        await client.request('/login?user=ivy', { method: 'POST' });
        const token = client.cookies.get('__Host-sid') ?? '';
        const [record] = await app.store.listByUser('ivy', app.clock.now());
        assert.ok(record);
        assert.equal(record.id, hashToken(token));
        const dump = JSON.stringify(record);
        assert.ok(!dump.includes(token));
        await client.request('/logout', { method: 'POST' });
        const log = JSON.stringify(events);
        assert.ok(events.length >= 3);
        assert.ok(!log.includes(token) && !log.includes(anonymousToken));
      } finally {
        for (const name of names) app.sessions.off(name, listener);
      }
    });
  });
});
