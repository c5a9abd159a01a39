/**
 * What many clients sharing one session cookie may rely on, for every store, through a real
 * node:http server and real HTTP requests (issue 10):
 *
 * 1. requests writing different keys all persist (commits are patches, applied atomically);
 * 2. logout is final: requests still in flight cannot bring the session back (`update` never
 *    upserts);
 * 3. rotation (regenerate, or bindUser at login) under load leaves exactly one live token, keeps
 *    every write that had committed before the rotation re-read the old record, and a stale copy
 *    of the old cookie neither reaches the session nor revives the old token.
 *
 * Each store's file calls {@link concurrencyScenarios} with how to open and clean up its store.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Store } from '../../src/core/store.js';
import { hashToken, publicIdOf } from '../../src/core/token.js';
import { Client } from '../helpers/http.js';
import {
  COOKIE,
  Gate,
  holding,
  range,
  send,
  startConcurrencyApp,
  type ConcurrencyApp,
  type Reply,
} from './app.js';

export interface StoreUnderTest {
  readonly setup: () => Store | Promise<Store>;
  /** Closes the store and removes everything the suite stored. */
  readonly teardown?: (store: Store) => void | Promise<void>;
  readonly skip?: string | false;
}

const TIMEOUT = 30_000; // a hung gate fails the test instead of the whole file

interface Data {
  readonly user: string | null;
  readonly data: Record<string, unknown>;
}

export function concurrencyScenarios(name: string, options: StoreUnderTest): void {
  describe(`concurrency: ${name}`, { skip: options.skip ?? false, timeout: TIMEOUT }, () => {
    let store: Store;
    let app: ConcurrencyApp;
    before(async () => {
      store = await options.setup();
      app = await startConcurrencyApp(store);
    });
    after(async () => {
      await app.close();
      await options.teardown?.(store);
    });

    const dataOf = async (token: string): Promise<Data> => {
      const reply = await send(holding(app.url, token), '/data');
      assert.equal(reply.status, 200);
      assert.equal(reply.setCookie, false, 'reading never issues or clears a cookie');
      return reply.body as Data;
    };
    /** A browser logged in as `user`, holding a stored session. */
    const login = async (user: string): Promise<{ owner: Client; token: string }> => {
      const owner = new Client(app.url);
      const reply = await send(owner, `/login?user=${user}`, 'POST');
      assert.equal(reply.status, 200);
      assert.ok(reply.token !== undefined);
      return { owner, token: reply.token };
    };
    const storedData = async (token: string): Promise<Record<string, string> | undefined> =>
      (await store.get(hashToken(token), Date.now()))?.data;
    /** The only client of a session created after `token` died must not see its data. */
    const assertFreshAnonymous = async (reply: Reply, key: string): Promise<void> => {
      assert.ok(reply.token !== undefined);
      assert.deepEqual(await dataOf(reply.token), { user: null, data: { [key]: key } });
    };

    it('60 writers held until all loaded, and 10 clients counting 5 times, lose nothing', async () => {
      const { owner, token } = await login('writer');
      app.gate = new Gate(60);
      // Every writer has loaded the same snapshot before any commits: a store or core saving
      // whole records would keep one writer's key and lose the other 59.
      void app.gate.full.then(app.gate.open);
      const writers = range(60).map((i) => send(owner.clone(), `/write?key=w${i}&hold=1`));
      const counters = range(10).map(async (j) => {
        const client = owner.clone();
        const replies: Reply[] = [];
        for (let round = 0; round < 5; round++) {
          replies.push(await send(client, `/inc?key=c${j}&wait=${round * 2}`));
        }
        return replies;
      });
      const replies = [...(await Promise.all(writers)), ...(await Promise.all(counters)).flat()];

      for (const reply of replies) {
        assert.equal(reply.status, 200);
        assert.equal(reply.setCookie, false, 'the token never changes');
      }
      const expected: Record<string, unknown> = { rotator: 'rotator' };
      for (const i of range(60)) expected[`w${i}`] = `w${i}`;
      for (const j of range(10)) expected[`c${j}`] = 5;
      assert.deepEqual(await dataOf(token), { user: 'writer', data: expected });
      // Persisted in the store, not just visible through some cache.
      const stored = await storedData(token);
      assert.equal(Object.keys(stored ?? {}).length, 71);
      const mine = app.store.updates.filter((u) => u.id === hashToken(token));
      assert.equal(mine.length, 110);
      assert.ok(mine.every((u) => u.applied));
    });

    it('logout with 40 writers in flight and 40 racing it is final: nothing comes back', async () => {
      const { owner, token } = await login('leaver');
      const id = hashToken(token);
      const reported: string[] = [];
      const onRefused = ({ session }: { session: string }): void => {
        reported.push(session);
      };
      app.sessions.on('write-refused', onRefused);
      app.gate = new Gate(40);
      const held = range(40).map((i) => send(owner.clone(), `/write?key=h${i}&hold=1`));
      await app.gate.full; // all 40 loaded the live session and are about to write to it
      const racing = range(40).map((i) => send(owner.clone(), `/write?key=x${i}&wait=${i % 8}`));
      const logout = await send(owner, '/logout', 'POST');
      app.gate.open();
      const heldReplies = await Promise.all(held);
      const racingReplies = await Promise.all(racing);
      app.sessions.off('write-refused', onRefused);

      assert.equal(logout.status, 200);
      assert.equal(logout.setCookie, true);
      assert.equal(logout.token, undefined, 'the cookie is cleared');
      for (const reply of heldReplies) {
        assert.equal(reply.status, 200);
        assert.equal(reply.setCookie, false, 'no cookie for a write to a dead session');
      }
      const refused = app.store.updates.filter((u) => u.id === id && u.keys[0]?.startsWith('h'));
      assert.equal(refused.length, 40);
      assert.ok(
        refused.every((u) => !u.applied),
        'every write after the logout was refused',
      );
      // ...and each refusal was reported, so an app can tell its user the change did not stick.
      const allRefused = app.store.updates.filter((u) => u.id === id && !u.applied);
      assert.deepEqual(
        reported,
        allRefused.map(() => publicIdOf(id)),
      );
      for (const [i, reply] of racingReplies.entries()) {
        assert.equal(reply.status, 200);
        // Loaded after the delete: a brand-new anonymous session holding only its own write.
        if (reply.token !== token) await assertFreshAnonymous(reply, `x${i}`);
      }

      assert.equal(await store.get(id, Date.now()), null);
      assert.deepEqual(await app.sessions.listByUser('leaver'), []);
      assert.deepEqual(await dataOf(token), { user: null, data: {} });
    });

    for (const via of ['regenerate', 'login'] as const) {
      it(`rotation by ${via} under 60 racing writers: one live token, committed writes kept`, async (t) => {
        const user = `rotated-by-${via}`;
        const owner = new Client(app.url);
        if (via === 'regenerate') await send(owner, `/login?user=${user}`, 'POST');
        assert.equal((await send(owner, '/write?key=before')).status, 200);
        const oldToken = owner.cookies.get(COOKIE)!;
        const oldId = hashToken(oldToken);
        const committed = await Promise.all(
          range(20).map((i) => send(owner.clone(), `/write?key=a${i}`)),
        );
        assert.ok(committed.every((r) => r.status === 200));

        // Ten writers load the old session now and write only after the rotation has answered;
        // sixty more load at once and write after 0-59 ms, the rotation starting in the middle.
        app.gate = new Gate(10);
        const late = range(10).map((i) => send(owner.clone(), `/write?key=z${i}&hold=1`));
        await app.gate.full;
        const racing = range(60).map((i) => send(owner.clone(), `/write?key=r${i}&wait=${i}`));
        await new Promise((resolve) => setTimeout(resolve, 20));
        const path = via === 'login' ? `/login?user=${user}` : '/regenerate';
        const rotation = await send(owner, path, 'POST');
        app.gate.open();
        const replies = await Promise.all(racing);
        const lateReplies = await Promise.all(late);

        assert.equal(rotation.status, 200);
        const newToken = rotation.token!;
        assert.notEqual(newToken, oldToken);
        // Exactly one live token: the new one, bound to the user; the old one reads as anonymous.
        const sessions = await app.sessions.listByUser(user);
        assert.deepEqual(
          sessions.map((s) => s.publicId),
          [publicIdOf(hashToken(newToken))],
        );
        assert.equal(await store.get(oldId, Date.now()), null);
        assert.deepEqual(await dataOf(oldToken), { user: null, data: {} });

        const { user: bound, data } = await dataOf(newToken);
        assert.equal(bound, user);
        // Guaranteed: what committed before the rotation began, the rotating request's own write,
        // and every write the store had applied before the rotation re-read the old record.
        for (const key of ['before', 'rotator', ...range(20).map((i) => `a${i}`)]) {
          assert.equal(data[key], key, `${key} carried over`);
        }
        const beforeReread = app.store.updates
          .slice(0, app.rotationMark)
          .filter((u) => u.id === oldId && u.applied);
        for (const { keys } of beforeReread) for (const key of keys) assert.equal(data[key], key);
        // Also those it applied after the re-read: the old record's delete returns them, and
        // the rotation carries them over (the test below pins the window down).
        const lost = app.store.updates.filter(
          (u) => u.id === oldId && u.applied && u.keys.some((key) => data[key] !== key),
        );
        const mine = app.store.updates.filter((u) => u.id === oldId);
        const afterReread = app.store.updates.slice(app.rotationMark).filter((u) => u.id === oldId);
        t.diagnostic(
          `writes to the old record: ${beforeReread.length} applied before the re-read, ` +
            `${afterReread.filter((u) => u.applied).length} after it (${lost.length} of them lost), ` +
            `${mine.filter((u) => !u.applied).length} refused`,
        );
        assert.deepEqual(lost, [], 'every write the store applied to the old record is kept');
        // Nothing else gets in: keys are only those of this session's writers.
        for (const key of Object.keys(data)) assert.match(key, /^(before|rotator|a\d+|r\d+)$/);

        for (const reply of lateReplies) {
          assert.equal(reply.status, 200);
          assert.equal(reply.token, oldToken, 'no cookie for a write to a dead session');
        }
        const lateUpdates = app.store.updates.filter(
          (u) => u.id === oldId && u.keys[0]?.startsWith('z'),
        );
        assert.deepEqual(
          lateUpdates.map((u) => u.applied),
          range(10).map(() => false),
          'writes to the old token after the rotation are refused',
        );
        for (const [i, reply] of replies.entries()) {
          assert.equal(reply.status, 200);
          // A writer that loaded after the old record was deleted: a stale cookie never reaches
          // the rotated (logged-in) session; it gets a fresh anonymous one.
          if (reply.token !== oldToken) await assertFreshAnonymous(reply, `r${i}`);
        }
        assert.equal(
          await store.get(oldId, Date.now()),
          null,
          'no late write revived the old token',
        );
      });
    }

    it('a write the store applied while a rotation was between its re-read and its delete is kept', async () => {
      const { owner, token } = await login('raced');
      const hold = app.store.holdNextCreate();
      const rotation = send(owner, '/regenerate', 'POST');
      let late: Reply;
      try {
        await hold.reached; // the old record is re-read; its successor is not created yet
        late = await send(holding(app.url, token), '/write?key=late');
      } finally {
        hold.release();
      }
      const rotated = await rotation;
      assert.equal(late.status, 200);
      const entry = app.store.updates.find((u) => u.keys.includes('late'));
      assert.deepEqual(entry, { id: hashToken(token), keys: ['late'], applied: true });
      assert.equal(
        (await dataOf(rotated.token!)).data.late,
        'late',
        'the acknowledged write is kept',
      );
    });
  });
}
