import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionStateError, StoreUnavailableError } from '../../src/core/errors.js';
import { createSessions } from '../../src/core/manager.js';
import type { Session } from '../../src/core/session.js';
import type { SessionRecord, Store } from '../../src/core/store.js';
import { memoryStore } from '../../src/stores/memory.js';
import { sampleRecord } from '../../src/testing/conformance.js';
import { FakeClock } from '../helpers/node-app.js';

interface Shop {
  cart: string[];
  count: number;
  note: string;
}

function setup(store: Store = memoryStore()) {
  const clock = new FakeClock();
  const sessions = createSessions<Shop>({ store, now: clock.now });
  /** Runs one "request": gives the handler a session for `cookie`, commits, returns the new cookie. */
  async function request(cookie: string | undefined, handler: (s: Session<Shop>) => Promise<void>) {
    const session = sessions.fromRequest({ cookie });
    await handler(session);
    const result = await sessions.commit(session);
    const token = /^__Host-sid=([^;]*)/.exec(result.setCookie ?? '')?.[1];
    return {
      result,
      cookie: token === undefined ? cookie : token === '' ? undefined : `__Host-sid=${token}`,
    };
  }
  return { sessions, clock, request };
}

describe('Session data API', () => {
  it('works like a dictionary: get, set, has, delete, pop, clear, keys, entries', async () => {
    const { request } = setup();
    const { cookie } = await request(undefined, async (s) => {
      assert.equal(await s.get('cart'), undefined);
      await s.set('cart', ['book']);
      await s.set('count', 2);
      await s.set('note', 'hi');
      assert.equal(await s.has('count'), true);
      assert.deepEqual((await s.keys()).sort(), ['cart', 'count', 'note']);
    });
    assert.ok(cookie);
    await request(cookie, async (s) => {
      assert.deepEqual(await s.get('cart'), ['book']);
      assert.equal(await s.pop('count'), 2);
      assert.equal(await s.has('count'), false);
      assert.equal(await s.delete('note'), true);
      assert.equal(await s.delete('note'), false);
    });
    await request(cookie, async (s) => {
      assert.deepEqual(await s.entries(), [['cart', ['book']]]);
      await s.clear();
      assert.deepEqual(await s.keys(), []);
    });
    await request(cookie, async (s) => {
      assert.deepEqual(await s.keys(), []);
      assert.equal((await s.info()).isNew, false, 'clear keeps the session itself');
    });
  });

  it('hands out copies: mutating a value does nothing until it is set again', async () => {
    const { request } = setup();
    const { cookie } = await request(undefined, (s) => s.set('cart', ['a']));
    await request(cookie, async (s) => {
      const cart = (await s.get('cart')) ?? [];
      cart.push('b');
      assert.deepEqual(await s.get('cart'), ['a']);
    });
    await request(cookie, async (s) => {
      assert.deepEqual(await s.get('cart'), ['a']);
    });
  });

  it('treats set(key, undefined) as delete', async () => {
    const { request } = setup();
    const { cookie } = await request(undefined, (s) => s.set('note', 'x'));
    await request(cookie, (s) => s.set('note', undefined as never));
    await request(cookie, async (s) => {
      assert.equal(await s.has('note'), false);
    });
  });

  it('refuses values JSON cannot hold, and the __proto__ key, with a TypeError', async () => {
    const { sessions } = setup();
    const s = sessions.fromRequest({ cookie: undefined });
    await assert.rejects(s.set('note', (() => 1) as never), TypeError);
    await assert.rejects(s.set('note', 10n as never), TypeError);
    await assert.rejects(s.set('__proto__' as never, 1 as never), TypeError);
  });

  it('throws SessionStateError when changed after the commit', async () => {
    const { sessions } = setup();
    const s = sessions.fromRequest({ cookie: undefined });
    await s.set('note', 'x');
    await sessions.commit(s);
    await assert.rejects(s.set('note', 'y'), SessionStateError);
    assert.throws(() => sessions.commit(s), SessionStateError);
  });

  it('commits synchronously and writes nothing for a session never used', () => {
    const { sessions } = setup();
    const result = sessions.commit(sessions.fromRequest({ cookie: '__Host-sid=whatever' }));
    assert.ok(!(result instanceof Promise));
    assert.deepEqual(result, { setCookie: null, vary: false, cacheControl: null });
  });

  it('is reusable after destroy as a new anonymous session (flash after logout)', async () => {
    const { request } = setup();
    const first = await request(undefined, (s) => s.bindUser('u1'));
    const after = await request(first.cookie, async (s) => {
      await s.destroy();
      await s.set('note', 'logged out');
      assert.equal(await s.userId(), null);
    });
    assert.ok(after.cookie && after.cookie !== first.cookie);
    await request(after.cookie, async (s) => {
      assert.equal(await s.get('note'), 'logged out');
      assert.equal(await s.userId(), null);
    });
  });

  it('honours per-session timeouts (SEC-26)', async () => {
    const { request, clock } = setup();
    const { cookie } = await request(undefined, async (s) => {
      await s.set('note', 'short-lived');
      await s.setTimeouts({ idle: '5m' });
    });
    clock.advance(6 * 60_000);
    await request(cookie, async (s) => {
      assert.equal(await s.get('note'), undefined);
    });
  });

  it('shortens the absolute lifetime per session, counted from creation', async () => {
    const { request, clock } = setup();
    const { cookie } = await request(undefined, (s) => s.bindUser('u2'));
    await request(cookie, (s) => s.setTimeouts({ absolute: '20m' }));
    clock.advance(15 * 60_000);
    await request(cookie, async (s) => {
      assert.equal(await s.userId(), 'u2');
    });
    clock.advance(6 * 60_000);
    await request(cookie, async (s) => {
      assert.equal(await s.userId(), null);
    });
  });

  it('records who, when and how at bindUser, and reports it through info()', async () => {
    const { sessions, clock } = setup();
    const s = sessions.fromRequest({
      cookie: undefined,
      ip: '203.0.113.9',
      userAgent: 'TestBrowser/1',
    });
    await s.bindUser('u3', { method: 'passkey', meta: { cred: 'abc' } });
    await sessions.commit(s);
    const [listed] = await sessions.listByUser('u3');
    assert.ok(listed);
    assert.equal(listed.ip, '203.0.113.9');
    assert.equal(listed.userAgent, 'TestBrowser/1');
    assert.equal(listed.authTime, clock.now());
    const info = await s.info();
    assert.equal(info.authMethod, 'passkey');
    assert.equal(info.meta.cred, 'abc');
    assert.equal(info.publicId, listed.publicId);
  });
});

describe('Sessions manager', () => {
  it('lists, revokes one, and revokes all but the current session of a user', async () => {
    const { sessions, request } = setup();
    const a = await request(undefined, (s) => s.bindUser('multi'));
    const b = await request(undefined, (s) => s.bindUser('multi'));
    await request(undefined, (s) => s.bindUser('multi'));
    const list = await sessions.listByUser('multi');
    assert.equal(list.length, 3);
    let currentId = '';
    await request(a.cookie, async (s) => {
      currentId = (await s.info()).publicId ?? '';
    });
    const other = list.find((x) => x.publicId !== currentId);
    assert.ok(other);
    assert.equal(await sessions.revoke('multi', other.publicId), true);
    assert.equal(await sessions.revoke('multi', other.publicId), false);
    assert.equal(
      await sessions.revoke('someone-else', currentId),
      false,
      "cannot revoke another user's session",
    );
    assert.equal(await sessions.revokeUser('multi', { except: currentId }), 1);
    await request(a.cookie, async (s) => {
      assert.equal(await s.userId(), 'multi');
    });
    await request(b.cookie, async (s) => {
      assert.equal(await s.userId(), null);
    });
  });

  it('purges expired sessions through the store and reports the count', async () => {
    const { sessions, request, clock } = setup();
    await request(undefined, (s) => s.set('note', 'x'));
    clock.advance(31 * 60_000);
    assert.equal(await sessions.purgeExpired(), 1);
  });

  it('fails closed with StoreUnavailableError when the store hangs past storeTimeout', async () => {
    const hanging: Store = {
      ...memoryStore(),
      get: () => new Promise(() => undefined),
    };
    const sessions = createSessions({ store: hanging, storeTimeout: 50 });
    const s = sessions.fromRequest({ cookie: `__Host-sid=${'a'.repeat(43)}` });
    const started = Date.now();
    await assert.rejects(s.get('x'), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.status, 503);
      return true;
    });
    assert.ok(Date.now() - started < 1000);
  });

  it('keeps the driver error as cause', async () => {
    const cause = new Error('ECONNRESET');
    const broken: Store = { ...memoryStore(), get: () => Promise.reject(cause) };
    const sessions = createSessions({ store: broken });
    const s = sessions.fromRequest({ cookie: `__Host-sid=${'a'.repeat(43)}` });
    await assert.rejects(
      s.get('x'),
      (error: unknown) => error instanceof StoreUnavailableError && error.cause === cause,
    );
  });

  for (const [label, broken] of [
    ['text that is not JSON', '{not json'],
    ['a value that is not text', 5],
  ] as const) {
    it(`reads a record with unreadable data (${label}) as no session and reports it`, async () => {
      // A store that hands out a corrupt record (a damaged row, an older schema). Built by spreading
      // the memory store, which must not pass on its "values checked on write" mark.
      const inner = memoryStore();
      let corrupt = false;
      const store: Store = {
        ...inner,
        get: (id, now) => {
          const record = inner.get(id, now) as SessionRecord | null;
          if (!corrupt || record === null) return record;
          return { ...record, data: { ...record.data, broken: broken as string } };
        },
      };
      const { sessions, request } = setup(store);
      const { cookie } = await request(undefined, (s) => s.bindUser('corrupt'));
      corrupt = true;
      const reasons: string[] = [];
      sessions.on('rejected-token', (e) => reasons.push(e.reason));
      await request(cookie, async (s) => {
        assert.equal(await s.userId(), null);
      });
      assert.deepEqual(reasons, ['corrupt']);
    });
  }

  it('the memory store refuses data values that are not JSON text, so its reads need no check', () => {
    const store = memoryStore();
    const now = Date.UTC(2026, 0, 1);
    const record = sampleRecord({ expiresAt: now + 60_000 });
    assert.throws(
      () => store.create({ ...record, data: { broken: '{not json' } }, now),
      /memoryStore\.create: every session data value must be JSON text/,
    );
    assert.equal(store.create(record, now), true);
    assert.throws(
      () =>
        store.update(
          record.id,
          { set: { broken: 'plain' }, lastSeenAt: now, expiresAt: now + 60_000 },
          now,
        ),
      /memoryStore\.update: every session data value must be JSON text/,
    );
    assert.deepEqual(store.get(record.id, now), record, 'the refused update changed nothing');
  });

  it('classifies rejected cookies, and never looks up a value of the wrong length', async () => {
    const inner = memoryStore();
    const looked: string[] = [];
    const store: Store = {
      ...inner,
      get: (id, now) => {
        looked.push(id);
        return inner.get(id, now);
      },
    };
    const { sessions, request } = setup(store);
    const { cookie } = await request(undefined, (s) => s.set('note', 'mine'));
    const rejected: { reason: string; session?: string }[] = [];
    sessions.on('rejected-token', (e) => rejected.push(e));
    looked.length = 0;
    const token = (cookie ?? '').slice('__Host-sid='.length);
    for (const value of [
      `${token}x`, // one character too many
      'short',
      `${token.slice(0, 42)}*`, // right length, a character a token never has
      'A'.repeat(43), // well formed, never issued
    ]) {
      await request(`__Host-sid=${value}`, async (s) => {
        assert.equal(await s.get('note'), undefined, value);
      });
    }
    assert.deepEqual(
      rejected.map((e) => [e.reason, e.session === undefined ? 'no id' : 'id']),
      [
        ['malformed', 'no id'],
        ['malformed', 'no id'],
        ['malformed', 'no id'],
        ['unknown', 'id'],
      ],
    );
    assert.ok(looked.length <= 2, 'values of the wrong length never reach the store');
  });

  it('reads only its own values: a polluted Object.prototype is not session data', async () => {
    const { request } = setup();
    const { cookie } = await request(undefined, (s) => s.set('count', 1));
    const proto = Object.prototype as Record<string, unknown>;
    proto.note = '"planted"';
    try {
      await request(cookie, async (s) => {
        assert.equal(await s.get('note'), undefined);
        assert.equal(await s.has('note'), false);
        assert.deepEqual(await s.keys(), ['count']);
        await s.set('cart', ['x']);
        assert.equal(await s.get('note'), undefined);
        assert.deepEqual((await s.keys()).sort(), ['cart', 'count']);
      });
    } finally {
      delete proto.note;
    }
  });

  it('does not let a throwing event listener break the request', async () => {
    const { sessions, request } = setup();
    sessions.on('rejected-token', () => {
      throw new Error('listener bug');
    });
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    await request(`__Host-sid=${'b'.repeat(43)}`, async (s) => {
      assert.equal(await s.get('note'), undefined);
    });
    assert.match((await warned).message, /listener threw/);
  });
});
