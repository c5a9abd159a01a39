import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCookieSessions, type CookieSessions } from '../../src/cookie-sessions/index.js';
import { SessionStateError } from '../../src/core/errors.js';
import { Client, listen, parseSetCookie, type TestServer } from '../helpers/http.js';
import { app, COOKIE, fakeClock, KEY_A, KEY_B, lastError, setCookieOf } from './fixtures.js';

const MINUTE = 60_000;

async function json(response: Response): Promise<unknown> {
  return response.json();
}

function post(client: Client, path: string, value?: unknown): Promise<Response> {
  return client.request(path, {
    method: 'POST',
    ...(value === undefined ? {} : { body: JSON.stringify(value) }),
  });
}

describe('cookie sessions through the node adapter', () => {
  const clock = fakeClock();
  let sessions: CookieSessions;
  let server: TestServer;

  before(async () => {
    sessions = createCookieSessions({ keys: [KEY_A], now: clock });
    server = await listen(app(sessions));
  });
  after(() => server.close());

  it('a visitor who stores nothing gets no cookie', async () => {
    const client = new Client(server.url);
    const response = await client.request('/get?k=x');
    assert.equal(await json(response), null);
    assert.equal(setCookieOf(response), undefined);
  });

  it('keeps data across requests in the cookie, with the secure defaults', async () => {
    const client = new Client(server.url);
    const first = await post(client, '/set?k=cart', ['apple']);
    const line = setCookieOf(first);
    assert.ok(line !== undefined);
    const { attributes } = parseSetCookie(line);
    assert.ok(attributes.has('httponly') && attributes.has('secure'));
    assert.equal(attributes.get('samesite'), 'Lax');
    assert.equal(attributes.get('path'), '/');
    assert.ok(
      !attributes.has('max-age') && !attributes.has('expires'),
      'browser-session cookie (SEC-13)',
    );
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.match(first.headers.get('vary') ?? '', /cookie/i);
    assert.deepEqual(await json(await client.request('/get?k=cart')), ['apple']);
  });

  it('reads do not re-send the cookie until the touch interval has passed', async () => {
    const client = new Client(server.url);
    await post(client, '/set?k=a', 1);
    assert.equal(setCookieOf(await client.request('/get?k=a')), undefined);
    clock.advance(MINUTE); // default touch interval: 60 s (a tenth of 30 min, capped)
    const touched = await client.request('/get?k=a');
    assert.ok(setCookieOf(touched) !== undefined, 'idle deadline moved: cookie re-sealed');
  });

  it('set(k, undefined) deletes; deleting the last key clears the cookie', async () => {
    const client = new Client(server.url);
    await post(client, '/set?k=a', 1);
    assert.equal(await json(await post(client, '/delete?k=a')), true);
    assert.equal(client.cookies.has(COOKIE), false, 'empty anonymous session: cookie cleared');
    const session = sessions.fromRequest({ cookie: undefined });
    await session.set('x', 1);
    await session.set('x', undefined);
    assert.equal(await session.has('x'), false);
  });

  it('values are copies, and non-JSON values throw TypeError', async () => {
    const session = sessions.fromRequest({ cookie: undefined });
    const value = { list: [1] };
    await session.set('v', value);
    value.list.push(2);
    const read = (await session.get('v')) as { list: number[] };
    read.list.push(3);
    assert.deepEqual(await session.get('v'), { list: [1] });
    await assert.rejects(
      session.set('f', () => 1),
      TypeError,
    );
    await assert.rejects(session.set('__proto__', 1), TypeError);
  });

  it('bindUser logs in with a new session id, keeps anonymous data, records auth time', async () => {
    const client = new Client(server.url);
    await post(client, '/set?k=cart', ['pear']);
    const before = (await json(await client.request('/info'))) as { publicId: string };
    const info = (await json(await post(client, '/login?user=alice'))) as Record<string, unknown>;
    assert.equal(info.userId, 'alice');
    assert.equal(info.authTime, clock());
    assert.equal(info.authMethod, 'password');
    assert.notEqual(info.publicId, before.publicId);
    assert.equal(await json(await client.request('/whoami')), 'alice');
    assert.deepEqual(await json(await client.request('/get?k=cart')), ['pear']);
    // Another user logging in on the same browser does not inherit alice's data.
    await post(client, '/login?user=bob');
    assert.equal(await json(await client.request('/get?k=cart')), null);
  });

  it('a cookie planted before login gains the attacker nothing (SEC-19)', async () => {
    const attacker = new Client(server.url);
    await post(attacker, '/set?k=x', 1);
    const victim = attacker.clone(); // the planted cookie
    await post(victim, '/login?user=victim');
    assert.equal(await json(await attacker.request('/whoami')), null);
    assert.notEqual(attacker.cookies.get(COOKIE), victim.cookies.get(COOKIE));
  });

  it('remember-me: persistent cookie whose Max-Age never exceeds the absolute lifetime (SEC-13)', async () => {
    const client = new Client(server.url);
    const response = await post(client, '/login?user=alice&remember=1');
    const maxAge = Number(parseSetCookie(setCookieOf(response) ?? '').attributes.get('max-age'));
    assert.equal(maxAge, 30 * 24 * 3600);
    clock.advance(24 * 3600_000);
    const later = await client.request('/whoami'); // touch: re-sealed with a shorter Max-Age
    const laterAge = Number(parseSetCookie(setCookieOf(later) ?? '').attributes.get('max-age'));
    assert.equal(laterAge, 29 * 24 * 3600);
  });

  it('regenerate gives a new id and keeps user and data', async () => {
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    await post(client, '/set?k=a', 1);
    const before = (await json(await client.request('/info'))) as {
      publicId: string;
      absoluteExpiresAt: number;
    };
    clock.advance(1000);
    const after = (await json(await post(client, '/regenerate'))) as typeof before & {
      userId: string;
    };
    assert.notEqual(after.publicId, before.publicId);
    assert.equal(after.userId, 'alice');
    assert.equal(
      after.absoluteExpiresAt,
      before.absoluteExpiresAt,
      'rotation never extends the deadline',
    );
    assert.equal(await json(await client.request('/get?k=a')), 1);
  });

  it('destroy clears the cookie with matching attributes; a flash after logout is a new session', async () => {
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    const response = await post(client, '/logout');
    const line = setCookieOf(response) ?? '';
    assert.match(line, /Max-Age=0/i);
    assert.match(line, /Path=\//);
    assert.match(line, /Secure/);
    assert.equal(client.cookies.has(COOKIE), false);
    await post(client, '/login?user=alice');
    await post(client, '/logout-flash');
    assert.equal(await json(await client.request('/whoami')), null);
    assert.equal(await json(await client.request('/get?k=flash')), 'logged out');
  });

  it('using the session after the response was sent throws SessionStateError', async () => {
    const client = new Client(server.url);
    await client.request('/after-commit');
    assert.ok(lastError instanceof SessionStateError, String(lastError));
  });

  it('setTimeouts: a shorter idle timeout ends the session sooner', async () => {
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    await post(client, '/timeouts', { idle: 2 * MINUTE });
    clock.advance(2 * MINUTE);
    assert.equal(await json(await client.request('/whoami')), null);
  });
});

describe('events and info', () => {
  it('name sessions by a stable public id, never by cookie contents (SEC-47)', async () => {
    const clock = fakeClock();
    const sessions = createCookieSessions({ keys: KEY_A, now: clock });
    const seen: { event: string; session: string }[] = [];
    sessions.on('created', (e) => seen.push({ event: 'created', session: e.session }));
    sessions.on('rotated', (e) => seen.push({ event: 'rotated', session: e.to }));
    sessions.on('destroyed', (e) => seen.push({ event: 'destroyed', session: e.session }));
    const server = await listen(app(sessions));
    try {
      const client = new Client(server.url);
      await post(client, '/set?k=a', 1);
      const anonymous = (await json(await client.request('/info'))) as Record<string, unknown>;
      assert.equal(anonymous.isNew, false);
      assert.equal(anonymous.userId, null);
      assert.equal(anonymous.expiresAt, clock() + 30 * MINUTE);
      const login = (await json(await post(client, '/login?user=alice'))) as { publicId: string };
      const again = (await json(await client.request('/info'))) as { publicId: string };
      assert.equal(again.publicId, login.publicId, 'stable across requests');
      await post(client, '/logout');
      assert.deepEqual(seen, [
        { event: 'created', session: anonymous.publicId },
        { event: 'rotated', session: login.publicId },
        { event: 'destroyed', session: login.publicId },
      ]);
      assert.match(login.publicId, /^[0-9a-f]{16}$/);
    } finally {
      await server.close();
    }
  });
});

describe('expiry is enforced from the sealed payload', () => {
  const clock = fakeClock();
  const events: string[] = [];
  let server: TestServer;

  before(async () => {
    const sessions = createCookieSessions({
      keys: [KEY_A],
      now: clock,
      idleTimeout: '30m',
      absoluteTimeout: '2h',
    });
    sessions.on('expired', () => events.push('expired'));
    server = await listen(app(sessions));
  });
  after(() => server.close());

  it('idle: a copy of the cookie unused for 30 minutes reads as anonymous', async () => {
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    clock.advance(29 * MINUTE);
    assert.equal(await json(await client.clone().request('/whoami')), 'alice');
    clock.advance(MINUTE);
    assert.equal(await json(await client.request('/whoami')), null);
    assert.ok(events.includes('expired'));
  });

  it('activity moves the idle deadline, never the absolute one', async () => {
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    for (let i = 0; i < 5; i++) {
      clock.advance(20 * MINUTE);
      assert.equal(
        await json(await client.request('/whoami')),
        'alice',
        `after ${(i + 1) * 20} min`,
      );
    }
    clock.advance(20 * MINUTE); // 120 min: the 2 h absolute deadline
    assert.equal(await json(await client.request('/whoami')), null);
  });

  it('an old cookie replayed after its absolute deadline is anonymous', async () => {
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    const stolen = client.clone();
    clock.advance(2 * 3600_000);
    assert.equal(await json(await stolen.request('/whoami')), null);
  });
});

describe('hostile cookies read as anonymous, never a 5xx', () => {
  const clock = fakeClock();
  const reasons: string[] = [];
  let sessions: CookieSessions;
  let server: TestServer;
  let sealed = '';

  before(async () => {
    sessions = createCookieSessions({ keys: [KEY_A], now: clock });
    sessions.on('rejected-token', (event) => reasons.push(event.reason));
    server = await listen(app(sessions));
    const client = new Client(server.url);
    await post(client, '/login?user=admin');
    sealed = client.cookies.get(COOKIE) ?? '';
    assert.ok(sealed.startsWith('v1.'));
  });
  after(() => server.close());

  async function whoami(value: string): Promise<Response> {
    return fetch(`${server.url}/whoami`, { headers: { cookie: `${COOKIE}=${value}` } });
  }

  it('the untouched cookie works (control)', async () => {
    const response = await whoami(sealed);
    assert.equal(await json(response), 'admin');
  });

  it('every position changed to another cookie-safe character, over HTTP', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < sealed.length; i++) {
      const char = sealed[i] ?? '';
      const other = alphabet[(alphabet.indexOf(char) + 1) % alphabet.length] ?? 'A';
      const response = await whoami(sealed.slice(0, i) + other + sealed.slice(i + 1));
      assert.equal(response.status, 200, `position ${i}`);
      assert.equal(await json(response), null, `position ${i} changed and still logged in`);
    }
  });

  it('every bit of every position, straight through the provider', async () => {
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed =
          sealed.slice(0, i) +
          String.fromCharCode(sealed.charCodeAt(i) ^ (1 << bit)) +
          sealed.slice(i + 1);
        const session = sessions.fromRequest({ cookie: `${COOKIE}=${changed}` });
        assert.equal(await session.userId(), null, `bit ${bit} at ${i}`);
        assert.equal((await session.keys()).length, 0);
      }
    }
  });

  it('truncations, junk, duplicates and huge values', async () => {
    for (let length = 0; length < sealed.length; length += 7) {
      assert.equal(await json(await whoami(sealed.slice(0, length))), null);
    }
    for (const junk of [
      '',
      'v1',
      'v1..',
      'v2.abc.def',
      '%ZZ',
      '"quoted"',
      'x'.repeat(8000),
      'v1.k.' + 'A'.repeat(3000),
    ]) {
      const response = await whoami(junk);
      assert.equal(response.status, 200, JSON.stringify(junk.slice(0, 20)));
      assert.equal(await json(response), null);
    }
    assert.ok(reasons.includes('malformed') && reasons.includes('tampered'));
  });

  it('a forged cookie sealed with a key we do not hold is anonymous (SEC-04)', async () => {
    const forger = createCookieSessions({ keys: [KEY_B], now: clock });
    const session = forger.fromRequest({ cookie: undefined });
    await session.bindUser('admin');
    const line = (await forger.commit(session)).setCookie ?? '';
    const forged = parseSetCookie(line).value;
    assert.equal(await json(await whoami(forged)), null);
    assert.ok(reasons.includes('unknown-key'));
  });
});

describe('key rotation', () => {
  it('old cookies keep working after a new key is added, and are re-sealed with it', async () => {
    const clock = fakeClock();
    const before = createCookieSessions({ keys: [KEY_A], now: clock });
    let server = await listen(app(before));
    const client = new Client(server.url);
    await post(client, '/login?user=alice');
    await server.close();
    const rotated = createCookieSessions({ keys: [KEY_B, KEY_A], now: clock });
    server = await listen(app(rotated));
    const migrating = new Client(server.url);
    for (const [k, v] of client.cookies) migrating.cookies.set(k, v);
    const response = await migrating.request('/whoami');
    assert.equal(await json(response), 'alice');
    const resealed = parseSetCookie(setCookieOf(response) ?? '').value;
    assert.equal(resealed.split('.')[1], rotated.keyIds[0], 're-sealed with the newest key');
    await server.close();
    // Once the old key is dropped, only migrated cookies still open.
    const after = createCookieSessions({ keys: [KEY_B], now: clock });
    server = await listen(app(after));
    const stale = new Client(server.url);
    for (const [k, v] of client.cookies) stale.cookies.set(k, v);
    assert.equal(await json(await stale.request('/whoami')), null);
    const fresh = new Client(server.url);
    fresh.cookies.set(COOKIE, resealed);
    assert.equal(await json(await fresh.request('/whoami')), 'alice');
    await server.close();
  });
});

describe('size limit (SEC-14)', () => {
  it('a session too large for a cookie fails the request with a 500 naming the size; no cookie is sent', async () => {
    const sessions = createCookieSessions({ keys: [KEY_A] });
    const server = await listen(app(sessions));
    const client = new Client(server.url);
    await post(client, '/set?k=small', 'x');
    const before = client.cookies.get(COOKIE);
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (error: unknown) => errors.push(error);
    try {
      const response = await post(client, '/set?k=big', 'x'.repeat(4000));
      assert.equal(response.status, 500);
      assert.equal(setCookieOf(response), undefined);
      assert.equal(client.cookies.get(COOKIE), before, 'the previous cookie is kept, not dropped');
    } finally {
      console.error = original;
    }
    const [error] = errors;
    assert.ok(error instanceof Error && error.name === 'CookieTooLargeError', String(error));
    assert.match(error.message, /would be \d{4,} bytes; browsers drop cookies over 4096 bytes/);
    assert.match(error.message, /bytes of JSON/);
    assert.deepEqual(await json(await client.request('/get?k=small')), 'x');
    await server.close();
  });

  it('a session just under the limit is sent', async () => {
    const sessions = createCookieSessions({ keys: [KEY_A] });
    const session = sessions.fromRequest({ cookie: undefined });
    await session.set('v', 'x'.repeat(2500));
    const { setCookie } = await sessions.commit(session);
    assert.ok(setCookie !== null && Buffer.byteLength(setCookie) <= 4096);
  });
});
