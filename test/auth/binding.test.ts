import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../helpers/http.js';
import { networkOf } from '../../src/auth/network.js';
import type { AuthEvents } from '../../src/auth/events.js';
import type { BindingOptions } from '../../src/auth/binding.js';
import { addUser, post, startApp } from './app.js';

const PASSWORD = 'correct horse battery staple';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0';
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 Safari/537.36';

async function setup(binding?: BindingOptions | false) {
  const app = await startApp({ trustProxy: true, auth: binding === undefined ? {} : { binding } });
  const events: AuthEvents['binding-changed'][] = [];
  app.auth.on('binding-changed', (e) => events.push(e));
  await addUser(app.users, 'tess@example.com', PASSWORD);
  const client = new Client(app.url);
  await client.request(
    '/login',
    post(
      { login: 'tess@example.com', password: PASSWORD },
      { 'user-agent': FIREFOX, 'x-forwarded-for': '198.51.100.10' },
    ),
  );
  const me = (c: Client, ua: string, ip: string) =>
    c.request('/me', {
      headers: { accept: 'application/json', 'user-agent': ua, 'x-forwarded-for': ip },
    });
  return { app, events, client, me };
}

describe('session binding policy (SEC-48)', () => {
  it('nothing happens while User-Agent and network stay the same (a new address in the /24 is the same network)', async () => {
    const { app, events, client, me } = await setup();
    try {
      const before = client.cookieHeader();
      assert.equal((await me(client, FIREFOX, '198.51.100.10')).status, 200);
      assert.equal((await me(client, FIREFOX, '198.51.100.77')).status, 200);
      assert.equal(client.cookieHeader(), before);
      assert.equal(events.length, 0);
    } finally {
      await app.close();
    }
  });

  it('default: a User-Agent change is logged and the token rotated; the copied old token is dead', async () => {
    const { app, events, client, me } = await setup();
    try {
      const thief = client.clone();
      const res = await me(thief, CHROME, '198.51.100.10');
      assert.equal(res.status, 200);
      assert.deepEqual(
        events.map((e) => [e.changed, e.action]),
        [[['userAgent'], 'rotate']],
      );
      assert.notEqual(thief.cookieHeader(), client.cookieHeader(), 'new token issued');
      // The owner's (old) token was rotated away: the session has one holder.
      assert.equal((await me(client, FIREFOX, '198.51.100.10')).status, 401);
      // The change is handled once, not on every request.
      const again = thief.cookieHeader();
      assert.equal((await me(thief, CHROME, '198.51.100.10')).status, 200);
      assert.equal(thief.cookieHeader(), again);
      assert.equal(events.length, 1);
    } finally {
      await app.close();
    }
  });

  it('"end" destroys the session on a network change', async () => {
    const { app, events, client, me } = await setup({ network: 'end' });
    try {
      assert.equal((await me(client, FIREFOX, '203.0.113.5')).status, 401);
      assert.equal(events[0]?.action, 'end');
      assert.equal((await me(client, FIREFOX, '198.51.100.10')).status, 401, 'ended for good');
    } finally {
      await app.close();
    }
  });

  it('"log" only reports the change', async () => {
    const { app, events, client, me } = await setup({ userAgent: 'log', network: 'log' });
    try {
      const before = client.cookieHeader();
      assert.equal((await me(client, CHROME, '203.0.113.5')).status, 200);
      assert.equal(client.cookieHeader(), before);
      assert.deepEqual(events[0]?.changed, ['userAgent', 'network']);
      assert.equal(events[0]?.action, 'log');
    } finally {
      await app.close();
    }
  });

  it('false turns binding off', async () => {
    const { app, events, client, me } = await setup(false);
    try {
      assert.equal((await me(client, CHROME, '203.0.113.5')).status, 200);
      assert.equal(events.length, 0);
    } finally {
      await app.close();
    }
  });
});

describe('networkOf', () => {
  it('masks IPv4 to /24 and IPv6 to /48, treating IPv4-mapped IPv6 as IPv4', () => {
    assert.equal(networkOf('198.51.100.77', 24, 48), '198.51.100.0/24');
    assert.equal(networkOf('::ffff:198.51.100.77', 24, 48), '198.51.100.0/24');
    assert.equal(networkOf('2001:db8:abcd:12::1', 24, 48), '2001:db8:abcd:0:0:0:0:0/48');
    assert.equal(networkOf('2001:db8:abcd::', 24, 48), networkOf('2001:0db8:abcd:ffff::9', 24, 48));
    assert.notEqual(networkOf('2001:db8:abce::1', 24, 48), networkOf('2001:db8:abcd::1', 24, 48));
    assert.equal(networkOf('fe80::1%eth0', 32, 64), 'fe80:0:0:0:0:0:0:0/64');
    assert.equal(networkOf('not an ip', 24, 48), 'not an ip');
  });
});
