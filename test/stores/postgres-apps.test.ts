import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { postgresStore } from '../../src/stores/postgres.js';
import { Client } from '../helpers/http.js';
import { startApp, type TestApp } from '../helpers/node-app.js';
import { dropTables, newPool, sharedDatabase, uniqueTable } from './postgres-env.js';

/**
 * How users scale past one machine: several app processes sharing one PostgreSQL. Two servers on
 * different ports, each with its own pool and session manager (as separate processes would have),
 * share one table.
 */

const shared = await sharedDatabase();

/** The same browser talking to the other server: same cookies, other origin. */
function sameBrowserOn(client: Client, app: TestApp): Client {
  const other = new Client(app.url);
  for (const [name, value] of client.cookies) other.cookies.set(name, value);
  return other;
}

async function me(client: Client): Promise<{ user: unknown; cart: unknown }> {
  const info = (await (await client.request('/info')).json()) as { userId: unknown };
  const cart: unknown = await (await client.request('/get?key=cart')).json();
  return { user: info.userId, cart };
}

describe('postgres store: two app servers sharing one database', { skip: shared.skip }, () => {
  const table = uniqueTable('apps');
  const pools = [newPool(), newPool()];
  let a: TestApp;
  let b: TestApp;

  before(async () => {
    const [poolA, poolB] = pools as [ReturnType<typeof newPool>, ReturnType<typeof newPool>];
    a = await startApp({ store: postgresStore({ pool: poolA, table }), now: Date.now });
    b = await startApp({ store: postgresStore({ pool: poolB, table }), now: Date.now });
  });

  after(async () => {
    await a.close();
    await b.close();
    await Promise.all(pools.map((p) => p.end()));
    await dropTables(shared.pool, [table]);
    await shared.pool.end();
  });

  it('reads on B a session created on A, and rotating through B kills the old token on A', async () => {
    const onA = new Client(a.url);
    assert.equal((await onA.request('/login?user=alice', { method: 'POST' })).status, 200);
    await onA.request('/set?key=cart&value=%5B%22book%22%5D');
    const stolen = sameBrowserOn(onA, a); // a copy of the pre-rotation cookie

    const onB = sameBrowserOn(onA, b);
    assert.deepEqual(await me(onB), { user: 'alice', cart: ['book'] });

    await onB.request('/regenerate', { method: 'POST' });
    assert.notEqual(onB.cookieHeader(), onA.cookieHeader(), 'B issued a new token');
    assert.deepEqual(await me(stolen), { user: null, cart: null }, 'old token dead on A');
    assert.deepEqual(await me(sameBrowserOn(onB, a)), { user: 'alice', cart: ['book'] });
    assert.deepEqual(await me(onB), { user: 'alice', cart: ['book'] });
  });

  it('revokes through A every session of a user, including those created on B', async () => {
    const laptop = new Client(a.url);
    const phone = new Client(b.url);
    await laptop.request('/login?user=bob', { method: 'POST' });
    await phone.request('/login?user=bob', { method: 'POST' });
    assert.equal((await a.sessions.listByUser('bob')).length, 2);

    assert.equal(await a.sessions.revokeUser('bob'), 2);

    for (const client of [laptop, phone, sameBrowserOn(laptop, b), sameBrowserOn(phone, a)]) {
      assert.equal((await me(client)).user, null);
    }
    assert.deepEqual(await b.sessions.listByUser('bob'), []);
  });

  it('makes a logout on one server final on both, even for a request in flight', async () => {
    const onA = new Client(a.url);
    await onA.request('/login?user=carol', { method: 'POST' });
    await onA.request('/set?key=cart&value=%5B%22book%22%5D');
    const onB = sameBrowserOn(onA, b);

    // A request on A loads the session, then the user logs out on B before A commits.
    const inFlight = a.sessions.fromRequest({ cookie: onA.cookieHeader() });
    assert.deepEqual(await inFlight.get('cart'), ['book']);
    const refused: string[] = [];
    a.sessions.on('write-refused', (e) => refused.push(e.session));

    await onB.request('/logout', { method: 'POST' });

    await inFlight.set('cart', ['book', 'late write']);
    await a.sessions.commit(inFlight);
    assert.equal(refused.length, 1, 'A was refused the write instead of bringing the session back');
    assert.deepEqual(await me(onA), { user: null, cart: null });
    assert.deepEqual(await me(sameBrowserOn(onA, b)), { user: null, cart: null });
    assert.deepEqual(await a.sessions.listByUser('carol'), []);
  });
});
