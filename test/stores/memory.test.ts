import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { memoryStore } from '../../src/stores/memory.js';
import type { SessionRecord } from '../../src/core/store.js';
import { sampleRecord, storeConformance } from '../../src/testing/conformance.js';

storeConformance('memory', { setup: () => memoryStore() });

describe('memory store', () => {
  it('evicts the least recently written session beyond maxSessions', async () => {
    const store = memoryStore({ maxSessions: 3 });
    const now = Date.now();
    // Records last seen at `now` exactly: sampleRecord() reads the clock itself, and a millisecond
    // later would put the touch below one second after it (the store reorders at most once a second).
    const [a, b, c, d] = [1, 2, 3, 4].map(() => sampleRecord({ lastSeenAt: now })) as [
      SessionRecord,
      SessionRecord,
      SessionRecord,
      SessionRecord,
    ];
    for (const r of [a, b, c]) await store.create(r, now);
    // A touch (an update) marks a as recently used; reads alone do not reorder.
    await store.update(a.id, { lastSeenAt: now + 1000, expiresAt: a.expiresAt }, now + 1000);
    await store.create(d, now);
    assert.equal(store.size, 3);
    assert.equal(await store.get(b.id, now), null, 'b was least recently written');
    assert.notEqual(await store.get(a.id, now), null);
    assert.notEqual(await store.get(d.id, now), null);
  });

  it('drops evicted sessions from the per-user index', async () => {
    const store = memoryStore({ maxSessions: 1 });
    const now = Date.now();
    await store.create(sampleRecord({ userId: 'u' }), now);
    await store.create(sampleRecord({ userId: 'v' }), now);
    assert.deepEqual(await store.listByUser('u', now), []);
  });

  it('delete hands back the removed record synchronously, expired or not', () => {
    const store = memoryStore();
    const now = Date.now();
    // Already expired by the app's clock, not swept yet: delete has no clock and hands it back
    // as it was (the core decides what an expired record means).
    const record = sampleRecord({ userId: 'u', expiresAt: now - 1 });
    assert.equal(store.create(record, now), true);
    const removed = store.delete(record.id);
    assert.ok(!(removed instanceof Promise), 'answered synchronously');
    assert.deepEqual(removed, record);
    assert.equal(store.size, 0);
    assert.equal(store.delete(record.id), null);
  });

  it('rejects a nonsensical bound', () => {
    assert.throws(() => memoryStore({ maxSessions: 0 }), /maxSessions/);
  });

  it('sweeps on a timer only when asked, and stops', async () => {
    const store = memoryStore();
    let time = Date.now();
    await store.create(sampleRecord({ expiresAt: time + 10 }), time);
    const stop = store.startSweep(5, () => time);
    time += 1000;
    await new Promise((r) => setTimeout(r, 30));
    stop();
    assert.equal(store.size, 0);
  });
});
