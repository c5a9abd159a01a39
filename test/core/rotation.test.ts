import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSessions } from '../../src/core/manager.js';
import type { Session } from '../../src/core/session.js';
import type { SessionRecord, Store } from '../../src/core/store.js';
import { hashToken } from '../../src/core/token.js';
import { memoryStore } from '../../src/stores/memory.js';

// What a rotation (regenerate, bindUser) does when other requests touch the old record while it
// runs: the window between its re-read of the old record and that record's removal is opened by
// holding the store's create, so the races are forced rather than hoped for.

type Data = Record<string, string>;

/** A memory store whose next create waits until released, reporting when it is reached. */
function holdingStore() {
  const inner = memoryStore();
  let hold: { reached: () => void; released: Promise<void> } | null = null;
  const store: Store = {
    ...inner,
    async create(record: SessionRecord, now: number) {
      const current = hold;
      hold = null;
      if (current !== null) {
        current.reached();
        await current.released;
      }
      return inner.create(record, now);
    },
  };
  return {
    store,
    inner,
    /** Holds the next create; resolves `reached` when the rotation gets there. */
    holdNextCreate: () => {
      let release!: () => void;
      let reached!: () => void;
      const isReached = new Promise<void>((resolve) => (reached = resolve));
      hold = { reached, released: new Promise<void>((resolve) => (release = resolve)) };
      return { reached: isReached, release };
    },
  };
}

function setup() {
  const held = holdingStore();
  const sessions = createSessions<Data>({ store: held.store });
  async function request(cookie: string | undefined, work: (s: Session<Data>) => Promise<void>) {
    const session = sessions.fromRequest({ cookie });
    await work(session);
    const { setCookie } = await sessions.commit(session);
    const token = /^__Host-sid=([^;]*)/.exec(setCookie ?? '')?.[1];
    return token === undefined ? cookie : token === '' ? undefined : `__Host-sid=${token}`;
  }
  const idOf = (cookie: string) => hashToken(cookie.slice('__Host-sid='.length));
  return { ...held, sessions, request, idOf };
}

describe('Rotation racing other requests', () => {
  it('carries over a write another request committed between the re-read and the delete', async () => {
    const { request, holdNextCreate, idOf, inner } = setup();
    const cookie = await request(undefined, (s) => s.set('cart', 'book'));
    assert.ok(cookie);

    const hold = holdNextCreate();
    const rotated = request(cookie, async (s) => {
      await s.set('mine', 'rotator');
      await s.regenerate();
    });
    await hold.reached;
    // Another tab, still on the old token, commits while the new record is being created.
    await request(cookie, async (s) => {
      await s.set('late', 'kept');
      await s.delete('cart');
      await s.set('mine', 'other tab');
    });
    hold.release();
    const next = await rotated;
    assert.ok(next && next !== cookie);

    const record = await inner.get(idOf(next), Date.now());
    assert.deepEqual(
      { ...record?.data },
      // The other tab's changes arrive; the rotating request's own key keeps its own value.
      { late: '"kept"', mine: '"rotator"' },
    );
    assert.equal(await inner.get(idOf(cookie), Date.now()), null, 'the old token is dead');
  });

  it('does not let regenerate revive a session logged out while it ran', async () => {
    const { request, holdNextCreate, idOf, inner, sessions } = setup();
    const cookie = await request(undefined, (s) => s.set('cart', 'book'));
    assert.ok(cookie);
    const refused: string[] = [];
    sessions.on('write-refused', ({ session }) => refused.push(session));

    const hold = holdNextCreate();
    const rotated = request(cookie, (s) => s.regenerate());
    await hold.reached;
    await request(cookie, (s) => s.destroy()); // logout in another tab
    hold.release();
    const next = await rotated;

    assert.equal(next, undefined, 'the response clears the cookie instead of setting a new one');
    assert.equal(refused.length, 1);
    assert.equal(inner.size, 0, 'neither the old record nor its copy survives the logout');
    assert.equal(await inner.get(idOf(cookie), Date.now()), null);
  });

  it('still logs the user in when the anonymous session was ended while bindUser ran', async () => {
    const { request, holdNextCreate, inner } = setup();
    const cookie = await request(undefined, (s) => s.set('cart', 'book'));
    const hold = holdNextCreate();
    const login = request(cookie, (s) => s.bindUser('alice'));
    await hold.reached;
    await request(cookie, (s) => s.destroy());
    hold.release();
    const next = await login;
    assert.ok(next && next !== cookie);
    const sessions = await inner.listByUser('alice', Date.now());
    assert.equal(sessions.length, 1, 'a login is not undone by a logout of the anonymous session');
  });

  it('removes the new record when deleting the old one fails, so no phantom device is left', async () => {
    const inner = memoryStore();
    let failNextDelete = false;
    const store: Store = {
      ...inner,
      delete(id) {
        if (failNextDelete) {
          failNextDelete = false;
          throw new Error('connection reset (simulated)');
        }
        return inner.delete(id);
      },
    };
    const sessions = createSessions<Data>({ store });
    const first = sessions.fromRequest({ cookie: undefined });
    await first.bindUser('alice');
    const { setCookie } = await sessions.commit(first);
    const cookie = /^__Host-sid=[^;]*/.exec(setCookie ?? '')?.[0];
    assert.ok(cookie);

    failNextDelete = true;
    const again = sessions.fromRequest({ cookie });
    await assert.rejects(again.regenerate(), { name: 'StoreUnavailableError' });
    const left = await inner.listByUser('alice', Date.now());
    assert.deepEqual(
      left.map((r) => r.id),
      [hashToken(cookie.slice('__Host-sid='.length))],
      'only the old session, which the client still holds',
    );
  });
});
