import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { SessionRecord, Store } from '../core/store.js';

/** How the suite gets a store to test. */
export interface ConformanceOptions {
  /** Called once before the suite; return the store under test (connected, schema ready). */
  readonly setup: () => Store | Promise<Store>;
  /** Called once after the suite, e.g. to close the client. */
  readonly teardown?: (store: Store) => void | Promise<void>;
  /** Skip the whole suite with this message (e.g. "Redis not reachable"). */
  readonly skip?: string | false;
  /**
   * Whether `delete` returns the removed record (default true), as the {@link Store} contract
   * asks. Set false for a store whose `delete` returns nothing: the cases checking the returned
   * record are skipped, and session rotation may then lose a write that lands during it.
   */
  readonly deleteReturnsRecord?: boolean;
}

const MINUTE = 60_000;

function newId(): string {
  return randomBytes(32).toString('hex');
}

/**
 * A record that is live for the next hour in real time, so stores with native expiry (which use
 * the backend's clock) keep it too. Tests that need expiry pass a later `now` instead of waiting.
 */
export function sampleRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: newId(),
    userId: null,
    data: { greeting: JSON.stringify('hello') },
    createdAt: now,
    lastSeenAt: now,
    absoluteExpiresAt: now + 60 * MINUTE,
    expiresAt: now + 30 * MINUTE,
    idleTimeout: 30 * MINUTE,
    persistent: false,
    meta: { ip: '192.0.2.1', userAgent: 'conformance/1.0' },
    ...overrides,
  };
}

/**
 * The behavioural suite every Latchkey store must pass, run with node:test:
 *
 * ```ts
 * import { storeConformance } from 'latchkey/testing';
 * storeConformance('my store', { setup: () => myStore(client) });
 * ```
 *
 * It creates records with random ids, so it can share a backend with other data, and it never
 * sleeps: expiry is tested by passing a later `now`.
 */
export function storeConformance(name: string, options: ConformanceOptions): void {
  describe(`store conformance: ${name}`, { skip: options.skip ?? false }, () => {
    let store: Store;
    before(async () => {
      store = await options.setup();
    });
    after(async () => {
      await options.teardown?.(store);
    });

    describe('get / create', () => {
      it('returns null for an id that was never stored', async () => {
        assert.equal(await store.get(newId(), Date.now()), null);
      });

      it('returns what create stored, field for field', async () => {
        const record = sampleRecord({
          userId: 'user-1',
          persistent: true,
          data: { a: '1', 'ключ ✓': JSON.stringify({ nested: ['x', null, 2.5] }), empty: '""' },
          meta: {
            ip: '2001:db8::1',
            userAgent: 'UA',
            authTime: 1_700_000_000_000,
            authMethod: 'password',
          },
        });
        assert.equal(await store.create(record, Date.now()), true);
        assert.deepEqual(await store.get(record.id, Date.now()), record);
      });

      it('stores a record with no data', async () => {
        const record = sampleRecord({ data: {} });
        assert.equal(await store.create(record, Date.now()), true);
        assert.deepEqual((await store.get(record.id, Date.now()))?.data, {});
      });

      it('refuses to create over a live record and leaves it untouched', async () => {
        const record = sampleRecord({ userId: 'owner' });
        await store.create(record, Date.now());
        const intruder = { ...record, userId: 'intruder', data: { stolen: 'true' } };
        assert.equal(await store.create(intruder, Date.now()), false);
        assert.deepEqual(await store.get(record.id, Date.now()), record);
      });

      it('may create over an expired record', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        const later = record.expiresAt + 1;
        const replacement = sampleRecord({
          id: record.id,
          data: { fresh: 'true' },
          expiresAt: later + MINUTE,
          absoluteExpiresAt: later + MINUTE,
        });
        assert.equal(await store.create(replacement, later), true);
        assert.deepEqual((await store.get(record.id, later))?.data, { fresh: 'true' });
      });

      it('hands out copies or frozen records: mutating one changes nothing stored', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        const first = await store.get(record.id, Date.now());
        assert.ok(first);
        try {
          (first.data as Record<string, string>).greeting = '"mutated"';
        } catch {
          // A frozen record refuses the write: equally good.
        }
        assert.equal((await store.get(record.id, Date.now()))?.data.greeting, '"hello"');
      });
    });

    describe('expiry', () => {
      it('makes a record invisible the moment it expires', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        assert.notEqual(await store.get(record.id, record.expiresAt - 1), null);
        assert.equal(await store.get(record.id, record.expiresAt), null);
      });

      it('refuses to update an expired record', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        const late = record.expiresAt + 1;
        const ok = await store.update(
          record.id,
          { set: { x: '1' }, lastSeenAt: late, expiresAt: late + MINUTE },
          late,
        );
        assert.equal(ok, false);
        assert.equal(await store.get(record.id, late), null);
      });

      it('keeps a record alive past its old expiry after an update moved it', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        const t = record.expiresAt - 1000;
        assert.equal(
          await store.update(record.id, { lastSeenAt: t, expiresAt: t + 10 * MINUTE }, t),
          true,
        );
        const seen = await store.get(record.id, record.expiresAt + 1000);
        assert.equal(seen?.lastSeenAt, t);
        assert.equal(seen?.expiresAt, t + 10 * MINUTE);
      });
    });

    describe('update', () => {
      it('sets and removes keys and moves the timestamps', async () => {
        const record = sampleRecord({ data: { keep: '1', drop: '2', change: '3' } });
        await store.create(record, Date.now());
        const now = Date.now() + 1000;
        const ok = await store.update(
          record.id,
          {
            set: { change: '"changed"', added: 'true' },
            unset: ['drop'],
            lastSeenAt: now,
            expiresAt: now + MINUTE,
          },
          now,
        );
        assert.equal(ok, true);
        const seen = await store.get(record.id, now);
        assert.deepEqual(seen?.data, { keep: '1', change: '"changed"', added: 'true' });
        assert.equal(seen?.lastSeenAt, now);
        assert.equal(seen?.expiresAt, now + MINUTE);
        assert.equal(seen?.createdAt, record.createdAt);
        assert.equal(seen?.absoluteExpiresAt, record.absoluteExpiresAt);
      });

      it('clears every key before applying set when clear is true', async () => {
        const record = sampleRecord({ data: { a: '1', b: '2' } });
        await store.create(record, Date.now());
        const now = Date.now();
        await store.update(
          record.id,
          { clear: true, set: { c: '3' }, lastSeenAt: now, expiresAt: now + MINUTE },
          now,
        );
        assert.deepEqual((await store.get(record.id, now))?.data, { c: '3' });
      });

      it('changes timeouts only when the patch carries them', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        const now = Date.now();
        await store.update(
          record.id,
          {
            lastSeenAt: now,
            expiresAt: now + MINUTE,
            idleTimeout: MINUTE,
            absoluteExpiresAt: now + 2 * MINUTE,
          },
          now,
        );
        const seen = await store.get(record.id, now);
        assert.equal(seen?.idleTimeout, MINUTE);
        assert.equal(seen?.absoluteExpiresAt, now + 2 * MINUTE);
      });

      it('returns false for a missing record and does not create it (no upsert)', async () => {
        const id = newId();
        const now = Date.now();
        assert.equal(
          await store.update(
            id,
            { set: { a: '1' }, lastSeenAt: now, expiresAt: now + MINUTE },
            now,
          ),
          false,
        );
        assert.equal(await store.get(id, now), null);
      });

      it('merges patches of different keys: neither erases the other', async () => {
        const record = sampleRecord({ data: {} });
        await store.create(record, Date.now());
        const now = Date.now();
        await store.update(
          record.id,
          { set: { a: '1' }, lastSeenAt: now, expiresAt: now + MINUTE },
          now,
        );
        await store.update(
          record.id,
          { set: { b: '2' }, lastSeenAt: now, expiresAt: now + MINUTE },
          now,
        );
        assert.deepEqual((await store.get(record.id, now))?.data, { a: '1', b: '2' });
      });

      it('loses none of 50 concurrent patches to different keys', async () => {
        const record = sampleRecord({ data: {} });
        await store.create(record, Date.now());
        const now = Date.now();
        const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
        const results = await Promise.all(
          keys.map(async (k) =>
            store.update(
              record.id,
              { set: { [k]: `"${k}"` }, lastSeenAt: now, expiresAt: now + MINUTE },
              now,
            ),
          ),
        );
        assert.ok(results.every(Boolean));
        const data = (await store.get(record.id, now))?.data ?? {};
        assert.deepEqual(Object.keys(data).sort(), [...keys].sort());
      });
    });

    describe('delete', () => {
      it('removes the record', async () => {
        const record = sampleRecord();
        await store.create(record, Date.now());
        await store.delete(record.id);
        assert.equal(await store.get(record.id, Date.now()), null);
      });

      it('is a no-op for a missing record', async () => {
        await store.delete(newId());
      });

      const returned = {
        skip:
          options.deleteReturnsRecord === false
            ? 'deleteReturnsRecord: false (delete returns nothing)'
            : false,
      };

      it('returns the record it removed, with every patch applied before', returned, async () => {
        const record = sampleRecord({
          userId: `user-${newId().slice(0, 8)}`,
          persistent: true,
          data: { keep: '1', drop: '2' },
        });
        await store.create(record, Date.now());
        const now = Date.now() + 1000;
        const patch = {
          set: { added: JSON.stringify({ late: true }) },
          unset: ['drop'],
          lastSeenAt: now,
          expiresAt: now + MINUTE,
        };
        assert.equal(await store.update(record.id, patch, now), true);
        const stored = await store.get(record.id, now);
        assert.deepEqual(stored?.data, { keep: '1', added: '{"late":true}' });
        assert.deepEqual(await store.delete(record.id), stored, 'what get returned a moment ago');
        assert.equal(await store.get(record.id, now), null, 'and it is gone');
      });

      it('returns null for a missing or already deleted record', returned, async () => {
        assert.equal(await store.delete(newId()), null);
        const record = sampleRecord();
        await store.create(record, Date.now());
        assert.equal((await store.delete(record.id))?.id, record.id);
        assert.equal(await store.delete(record.id), null, 'the second delete finds nothing');
      });

      it('returns exactly the patches that won the race against it', returned, async () => {
        // Rotation relies on this: an update that reported success before the delete must be in
        // the returned record, and one that lost (false) must not. A store that reads and then
        // deletes in two steps drops a write that lands in between.
        const record = sampleRecord({ data: {} });
        await store.create(record, Date.now());
        const now = Date.now();
        const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
        const patch = (k: string) => ({
          set: { [k]: '1' },
          lastSeenAt: now,
          expiresAt: now + MINUTE,
        });
        const updates = keys.map(async (k) => store.update(record.id, patch(k), now));
        // Called between the two batches of updates (an async function runs synchronously up to
        // its first await), so on a store that works on several at once they overlap.
        const removal = (async () => store.delete(record.id))();
        const late = keys.map(async (k) => store.update(record.id, patch(`${k}-late`), now));
        const [applied, removed, appliedLate] = await Promise.all([
          Promise.all(updates),
          removal,
          Promise.all(late),
        ]);
        assert.ok(removed, 'the record existed when delete ran');
        const succeeded = [...applied, ...appliedLate];
        const won = [...keys, ...keys.map((k) => `${k}-late`)].filter((_, i) => succeeded[i]);
        assert.deepEqual(Object.keys(removed.data).sort(), won.sort());
        assert.equal(await store.get(record.id, now), null, 'no update brought it back');
      });

      it('never lets a later update bring a deleted record back', async () => {
        const record = sampleRecord({ userId: 'resurrect-user' });
        await store.create(record, Date.now());
        await store.delete(record.id);
        const now = Date.now();
        assert.equal(
          await store.update(
            record.id,
            { set: { a: '1' }, lastSeenAt: now, expiresAt: now + MINUTE },
            now,
          ),
          false,
        );
        assert.equal(await store.get(record.id, now), null);
        assert.deepEqual(await store.listByUser('resurrect-user', now), []);
      });
    });

    describe('per-user index', () => {
      it('lists the live sessions of one user only', async () => {
        const user = `user-${newId().slice(0, 8)}`;
        const a = sampleRecord({ userId: user });
        const b = sampleRecord({ userId: user });
        const other = sampleRecord({ userId: `${user}-other` });
        const anonymous = sampleRecord();
        for (const r of [a, b, other, anonymous]) await store.create(r, Date.now());
        const listed = await store.listByUser(user, Date.now());
        assert.deepEqual(listed.map((r) => r.id).sort(), [a.id, b.id].sort());
        assert.deepEqual(
          listed.find((r) => r.id === a.id),
          a,
        );
      });

      it('leaves expired and deleted sessions out of the list', async () => {
        const user = `user-${newId().slice(0, 8)}`;
        const now = Date.now();
        const short = sampleRecord({ userId: user, expiresAt: now + 1000 });
        const long = sampleRecord({ userId: user });
        const deleted = sampleRecord({ userId: user });
        for (const r of [short, long, deleted]) await store.create(r, now);
        await store.delete(deleted.id);
        const listed = await store.listByUser(user, now + 2000);
        assert.deepEqual(
          listed.map((r) => r.id),
          [long.id],
        );
      });

      it('deletes every session of a user except the one named', async () => {
        const user = `user-${newId().slice(0, 8)}`;
        const keep = sampleRecord({ userId: user });
        const drop1 = sampleRecord({ userId: user });
        const drop2 = sampleRecord({ userId: user });
        const bystander = sampleRecord({ userId: `${user}-bystander` });
        for (const r of [keep, drop1, drop2, bystander]) await store.create(r, Date.now());
        assert.equal(await store.deleteByUser(user, keep.id), 2);
        const now = Date.now();
        assert.equal(await store.get(drop1.id, now), null);
        assert.equal(await store.get(drop2.id, now), null);
        assert.notEqual(await store.get(keep.id, now), null);
        assert.notEqual(await store.get(bystander.id, now), null);
        assert.equal(await store.deleteByUser(user), 1);
        assert.equal(await store.get(keep.id, now), null);
        assert.equal(await store.deleteByUser(`${user}-nobody`), 0);
      });

      it('finds sessions created concurrently for one user', async () => {
        const user = `user-${newId().slice(0, 8)}`;
        const records = Array.from({ length: 20 }, () => sampleRecord({ userId: user }));
        await Promise.all(records.map(async (r) => store.create(r, Date.now())));
        assert.equal((await store.listByUser(user, Date.now())).length, 20);
        assert.equal(await store.deleteByUser(user), 20);
        assert.deepEqual(await store.listByUser(user, Date.now()), []);
      });
    });

    describe('sweep', () => {
      it('removes expired records, keeps live ones, and counts what it removed', async (t) => {
        if (store.deleteExpired === undefined) {
          t.skip('store has no deleteExpired (native expiry)');
          return;
        }
        const now = Date.now();
        const expiring = sampleRecord({ expiresAt: now + 1000 });
        const live = sampleRecord({ expiresAt: now + 10 * MINUTE });
        await store.create(expiring, now);
        await store.create(live, now);
        const removed = await store.deleteExpired(now + 2000);
        assert.ok(removed >= 1, `expected at least 1 removed, got ${removed}`);
        assert.equal(await store.get(expiring.id, now), null, 'expired record is physically gone');
        assert.notEqual(await store.get(live.id, now + 2000), null);
      });
    });

    describe('administration (optional list, count, deleteExpired with a limit)', () => {
      /** Every record a full walk lists at `now`, by id, pages of `limit`. */
      async function walk(now: number, limit: number) {
        const seen = new Map<string, SessionRecord>();
        let cursor: string | undefined;
        for (let pages = 0; ; pages++) {
          assert.ok(pages < 100_000, 'the walk ends');
          if (store.list === undefined) throw new Error('the store lost its list method');
          const page = await store.list(now, { cursor, limit });
          for (const record of page.records) seen.set(record.id, record);
          if (page.cursor === null) return seen;
          cursor = page.cursor;
        }
      }

      it('list walks every live record page by page, and no expired or deleted one', async (t) => {
        if (store.list === undefined) {
          t.skip('store has no list (optional)');
          return;
        }
        const t0 = Date.now();
        const later = t0 + 2 * MINUTE;
        const user = `user-${newId().slice(0, 8)}`;
        const mine = [sampleRecord({ userId: user }), sampleRecord({ userId: user })];
        const anonymous = sampleRecord();
        const expired = sampleRecord({ userId: user, expiresAt: t0 + MINUTE });
        const deleted = sampleRecord({ userId: user });
        for (const r of [...mine, anonymous, expired, deleted]) await store.create(r, t0);
        await store.delete(deleted.id);
        const seen = await walk(later, 5);
        for (const r of [...mine, anonymous]) assert.deepEqual(seen.get(r.id), r);
        assert.equal(seen.has(expired.id), false, 'an expired record is not listed');
        assert.equal(seen.has(deleted.id), false, 'a deleted record is not listed');
        for (const r of seen.values()) assert.ok(r.expiresAt > later, 'only live records');
        // A page size larger than the store finds the same records in one or a few pages.
        const big = await walk(later, 10_000);
        for (const r of [...mine, anonymous]) assert.ok(big.has(r.id));
      });

      it('count reports live and expired records and distinct live users', async (t) => {
        if (store.count === undefined) {
          t.skip('store has no count (optional)');
          return;
        }
        const t0 = Date.now();
        const at = t0 + 2 * MINUTE;
        const before = await store.count(at);
        const user = `user-${newId().slice(0, 8)}`;
        const live = [sampleRecord({ userId: user }), sampleRecord({ userId: user })];
        const expiredUser = `user-${newId().slice(0, 8)}`;
        const expired = sampleRecord({ userId: expiredUser, expiresAt: t0 + MINUTE });
        for (const r of [...live, sampleRecord(), expired]) await store.create(r, t0);
        const after = await store.count(at);
        assert.deepEqual(
          { live: after.live - before.live, users: after.users - before.users },
          { live: 3, users: 1 },
          'two sessions of one user and one anonymous are live; one of another user has expired',
        );
        if (store.deleteExpired === undefined) {
          // Native expiry: the backend may drop other expired records between the two counts.
          assert.ok(after.expired >= 1, 'the expired record still present is counted');
        } else {
          assert.equal(after.expired - before.expired, 1, 'the expired record is counted');
        }
      });

      it('deleteExpired with a limit removes one batch at a time, and only expired records', async (t) => {
        if (store.deleteExpired === undefined) {
          t.skip('store has no deleteExpired (native expiry)');
          return;
        }
        const t0 = Date.now();
        const at = t0 + 2 * MINUTE;
        const expiring = Array.from({ length: 3 }, () => sampleRecord({ expiresAt: t0 + MINUTE }));
        const live = sampleRecord();
        for (const r of [...expiring, live]) await store.create(r, t0);
        assert.equal(await store.deleteExpired(at, 2), 2, 'a batch of exactly the limit');
        let rounds = 0;
        while ((await store.deleteExpired(at, 2)) === 2) assert.ok(++rounds < 100_000);
        for (const r of expiring) {
          assert.equal(await store.get(r.id, t0), null, 'expired record is physically gone');
        }
        assert.notEqual(await store.get(live.id, at), null, 'a live record stays');
        assert.equal(await store.deleteExpired(at, 2), 0, 'nothing left to remove');
      });
    });
  });
}
