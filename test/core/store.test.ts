import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPatch, type SessionRecord } from '../../src/core/store.js';

function record(data: Record<string, string>): SessionRecord {
  return Object.freeze({
    id: 'a'.repeat(64),
    userId: null,
    data: Object.freeze(data),
    createdAt: 1,
    lastSeenAt: 2,
    absoluteExpiresAt: 1000,
    expiresAt: 500,
    idleTimeout: 498,
    persistent: false,
    meta: Object.freeze({ ip: '127.0.0.1' }),
  });
}

describe('applyPatch', () => {
  it('sets and removes keys, keeps the others, and leaves the record as it was', () => {
    const before = record({ a: '1', b: '2', c: '3' });
    const after = applyPatch(before, {
      set: { b: '20', d: '4' },
      unset: ['c'],
      lastSeenAt: 10,
      expiresAt: 508,
    });
    assert.deepEqual(after.data, { a: '1', b: '20', d: '4' });
    assert.deepEqual(before.data, { a: '1', b: '2', c: '3' });
    assert.equal(after.lastSeenAt, 10);
    assert.equal(after.expiresAt, 508);
    assert.equal(after.absoluteExpiresAt, 1000);
    assert.equal(after.meta, before.meta);
  });

  it('clears everything before setting, and takes new timeouts when given', () => {
    const after = applyPatch(record({ a: '1', b: '2' }), {
      clear: true,
      set: { c: '3' },
      lastSeenAt: 10,
      expiresAt: 60,
      absoluteExpiresAt: 60,
      idleTimeout: 50,
    });
    assert.deepEqual(after.data, { c: '3' });
    assert.equal(after.absoluteExpiresAt, 60);
    assert.equal(after.idleTimeout, 50);
  });

  it('copies a "__proto__" key as an own value, never as a prototype', () => {
    // JSON.parse makes "__proto__" an own key, as a store reading a hostile row would see it.
    const data = JSON.parse('{"__proto__":"{\\"polluted\\":true}","a":"1"}') as Record<
      string,
      string
    >;
    const set = JSON.parse('{"__proto__":"2"}') as Record<string, string>;
    const after = applyPatch(record(data), { set, lastSeenAt: 3, expiresAt: 4 });
    assert.equal(Object.getPrototypeOf(after.data), Object.prototype);
    assert.deepEqual(Object.keys(after.data).sort(), ['__proto__', 'a']);
    assert.equal(Object.getOwnPropertyDescriptor(after.data, '__proto__')?.value, '2');
  });
});
