/**
 * latchkey/express-session with Latchkey stores: the express-session behaviour stays (checked
 * against the real express-session), and the guarantees come with it: concurrent requests writing
 * different properties all persist (they do not with an express-session store: asserted too), a
 * request in flight never undoes destroy(), and the store never sees a session id.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashToken } from '../../src/core/token.js';
import { MemoryStore } from '../../src/adapters/express-session.js';
import { memoryStore } from '../../src/stores/memory.js';
import { Client } from '../helpers/http.js';
import {
  Barrier,
  express5,
  Gate,
  idOf,
  ours,
  raceApp,
  real,
  SECRET,
  serve,
  trace,
  type SessionFactory,
} from './fixtures.js';

const CONFIGS: readonly (readonly [string, object])[] = [
  ['defaults', { secret: SECRET }],
  [
    'resave: false, saveUninitialized: false',
    { secret: SECRET, resave: false, saveUninitialized: false },
  ],
  [
    'rolling with maxAge',
    { secret: SECRET, rolling: true, resave: false, cookie: { maxAge: 60_000 } },
  ],
  ["unset: 'destroy'", { secret: SECRET, unset: 'destroy', resave: false }],
  [
    'cookie attributes',
    { secret: SECRET, cookie: { sameSite: 'lax', priority: 'low', maxAge: 120_000 } },
  ],
];

describe('with a Latchkey store, an express-session app behaves as with express-session', () => {
  for (const [name, options] of CONFIGS) {
    it(name, async () => {
      const expected = await trace(express5, real, options, false);
      const actual = await trace(express5, ours, { ...options, store: memoryStore() }, false);
      assert.deepEqual(actual, expected);
    });
  }
});

/** Five concurrent requests of one session, each writing its own property; what is left. */
async function concurrentWrites(
  factory: SessionFactory,
  store: object | undefined,
): Promise<string[]> {
  const barrier = new Barrier();
  const server = await serve(
    raceApp(factory, store === undefined ? {} : { store }, barrier, new Gate()),
  );
  try {
    const client = new Client(server.url);
    await client.request('/write?key=first');
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const released = barrier.arm(keys.length);
    const responses = await Promise.all(keys.map((key) => client.request(`/write?key=${key}`)));
    await released;
    for (const response of responses) assert.equal(response.status, 200);
    return (await (await client.request('/all')).json()) as string[];
  } finally {
    await server.close();
  }
}

/** A request holds the session while another destroys it, then writes; what the cookie gets. */
async function writeAfterDestroy(
  factory: SessionFactory,
  store: object | undefined,
): Promise<string[]> {
  const gate = new Gate();
  const server = await serve(
    raceApp(factory, store === undefined ? {} : { store }, new Barrier(), gate),
  );
  try {
    const client = new Client(server.url);
    await client.request('/write?key=first');
    const held = gate.arm();
    const slow = client.request('/slow');
    await held;
    assert.equal((await client.request('/destroy', { method: 'POST' })).status, 200);
    gate.open();
    assert.equal((await slow).status, 200);
    return (await (await client.request('/all')).json()) as string[];
  } finally {
    await server.close();
  }
}

describe('concurrent requests writing different properties', () => {
  it('all persist with a Latchkey store', async () => {
    assert.deepEqual(await concurrentWrites(ours, memoryStore()), [
      'a',
      'b',
      'c',
      'd',
      'e',
      'first',
    ]);
  });

  it('lose updates with an express-session store, in express-session and in ours alike', async () => {
    for (const [factory, store] of [
      [real, undefined],
      [ours, new MemoryStore()],
    ] as const) {
      const left = await concurrentWrites(factory, store);
      // Each request saved the whole session it loaded: the last save wins, four writes are lost.
      assert.equal(left.length, 2, `expected a lost update, got ${left.join(',')}`);
      assert.ok(left.includes('first'));
    }
  });
});

describe('deleting a property', () => {
  it('persists, and does not erase a property another request writes at the same time', async () => {
    const barrier = new Barrier();
    const server = await serve(raceApp(ours, { store: memoryStore() }, barrier, new Gate()));
    try {
      const client = new Client(server.url);
      await client.request('/write?key=old');
      const released = barrier.arm(2);
      await Promise.all([client.request('/remove?key=old'), client.request('/write?key=new')]);
      await released;
      assert.deepEqual(await (await client.request('/all')).json(), ['new']);
    } finally {
      await server.close();
    }
  });
});

describe('destroy() while another request of the session is in flight', () => {
  it('stays destroyed with a Latchkey store', async () => {
    assert.deepEqual(await writeAfterDestroy(ours, memoryStore()), []);
  });

  it('is undone by the late save with an express-session store (the hazard being fixed)', async () => {
    assert.deepEqual(await writeAfterDestroy(real, undefined), ['first', 'late']);
    assert.deepEqual(await writeAfterDestroy(ours, new MemoryStore()), ['first', 'late']);
  });
});

describe('a Latchkey store that fails', () => {
  it('answers 503 (StoreUnavailableError) instead of running the request without its session', async () => {
    const store = memoryStore();
    let down = false;
    const flaky = {
      ...store,
      get: (id: string, now: number) =>
        down ? Promise.reject(new Error('ECONNRESET')) : store.get(id, now),
    };
    const server = await serve(raceApp(ours, { store: flaky }, new Barrier(), new Gate()));
    try {
      const client = new Client(server.url);
      await client.request('/write?key=first');
      down = true;
      assert.equal((await client.request('/all')).status, 503);
      down = false;
      assert.deepEqual(await (await client.request('/all')).json(), ['first']);
    } finally {
      await server.close();
    }
  });
});

describe('what a Latchkey store holds', () => {
  it('is keyed by the SHA-256 of the session id, one data key per property, and regenerate() deletes the old record', async () => {
    const store = memoryStore();
    const server = await serve(
      raceApp(ours, { store, cookie: { maxAge: 60_000 } }, new Barrier(), new Gate()),
    );
    try {
      const client = new Client(server.url);
      await client.request('/write?key=first');
      const id = idOf(client.cookies.get('connect.sid'));
      assert.equal(await store.get(id, Date.now()), null, 'the raw id is not a store key');
      const record = await store.get(hashToken(id), Date.now());
      assert.ok(record);
      assert.equal(record.data.first, 'true');
      // Like express-session's Cookie, maxAge is turned into `expires` and read back with a second
      // clock reading, so the millisecond may tick in between: 59 999 is as right as 60 000.
      const { originalMaxAge } = JSON.parse(record.data.cookie ?? '{}') as {
        originalMaxAge: unknown;
      };
      assert.ok(
        typeof originalMaxAge === 'number' && originalMaxAge > 59_000 && originalMaxAge <= 60_000,
        `originalMaxAge ${String(originalMaxAge)}`,
      );
      assert.ok(
        Math.abs(record.expiresAt - (Date.now() + 60_000)) < 5_000,
        'expires with the cookie',
      );
      assert.equal(store.size, 1);
      await client.request('/destroy', { method: 'POST' });
      assert.equal(await store.get(hashToken(id), Date.now()), null);
    } finally {
      await server.close();
    }
  });
});
