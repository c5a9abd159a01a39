import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCookieSessions } from '../../src/cookie-sessions/index.js';
import { createKeyRing } from '../../src/cookie-sessions/keyring.js';
import { seal, unseal } from '../../src/cookie-sessions/seal.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { COOKIE, KEY_A, KEY_B, KEY_C } from './fixtures.js';

describe('key ring configuration', () => {
  it('refuses a missing key ring, naming the option', () => {
    assert.throws(
      () => createCookieSessions({} as never),
      (e: unknown) => e instanceof ConfigurationError && /"keys" is required/.test(e.message),
    );
    assert.throws(() => createCookieSessions({ keys: [] }), ConfigurationError);
  });

  it('refuses a secret shorter than 32 bytes, naming its size and position', () => {
    assert.throws(
      () => createCookieSessions({ keys: [KEY_A, 'short-secret'] }),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        /keys\[1\] is 12 bytes/.test(e.message) &&
        /32/.test(e.message),
    );
    assert.throws(
      () => createCookieSessions({ keys: Buffer.alloc(31, 1) }),
      /keys\[0\] is 31 bytes/,
    );
  });

  it('refuses repeated secrets and duplicate ids', () => {
    assert.throws(
      () => createCookieSessions({ keys: [KEY_A, KEY_A] }),
      /repeats an earlier secret/,
    );
    assert.throws(
      () =>
        createCookieSessions({
          keys: [
            { id: 'k1', secret: KEY_A },
            { id: 'k1', secret: KEY_B },
          ],
        }),
      /id "k1" of an earlier key/,
    );
    assert.throws(
      () => createCookieSessions({ keys: [{ id: 'has.dot', secret: KEY_A }] }),
      /keys\[0\]\.id must be/,
    );
  });

  it('accepts strings, Buffers and { id, secret }; the first key seals', () => {
    const sessions = createCookieSessions({
      keys: [{ id: 'new', secret: Buffer.from(KEY_B) }, KEY_A],
    });
    assert.equal(sessions.keyIds[0], 'new');
    assert.equal(sessions.keyIds.length, 2);
  });

  it('validates the options shared with server sessions, under its own name', () => {
    assert.throws(
      () => createCookieSessions({ keys: KEY_A, idleTimeout: '2h', absoluteTimeout: '1h' }),
      (e: unknown) =>
        e instanceof ConfigurationError &&
        /^createCookieSessions: idleTimeout .* is longer than absoluteTimeout/.test(e.message),
    );
    assert.throws(
      () => createCookieSessions({ keys: KEY_A, cookie: { name: '__Host-x', domain: 'a.test' } }),
      /cannot have a Domain/,
    );
    assert.throws(
      () => createCookieSessions({ keys: KEY_A, revocation: { store: {} as never } }),
      /"revocation.store" has no get\(\) method/,
    );
  });

  it('derives a stable id for a bare secret, whatever its position in the ring', () => {
    const alone = createKeyRing([KEY_A]);
    const second = createKeyRing([KEY_B, KEY_A]);
    assert.equal(second.ids[1], alone.ids[0]);
    assert.match(alone.ids[0] ?? '', /^[A-Za-z0-9_-]{8}$/);
  });
});

describe('seal / unseal', () => {
  const ring = createKeyRing([KEY_A]);

  it('round-trips, with a fresh IV every time and nothing readable in the cookie (SEC-02)', () => {
    const a = seal(ring, COOKIE, '{"secret":"hunter2"}');
    const b = seal(ring, COOKIE, '{"secret":"hunter2"}');
    assert.notEqual(a, b);
    assert.match(a, /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    assert.ok(
      !Buffer.from(a.split('.')[2] ?? '', 'base64url')
        .toString('latin1')
        .includes('hunter2'),
    );
    assert.deepEqual(unseal(ring, COOKIE, a), {
      ok: true,
      plaintext: '{"secret":"hunter2"}',
      keyId: ring.current.id,
    });
  });

  it('rejects a value sealed for another cookie name (AAD binding)', () => {
    const value = seal(ring, 'other-cookie', '{}');
    assert.deepEqual(unseal(ring, COOKIE, value), {
      ok: false,
      reason: 'tampered',
      keyId: ring.current.id,
    });
  });

  it('rejects every single-bit change at every position, and every truncation', () => {
    const value = seal(ring, COOKIE, '{"n":"x","d":{}}');
    for (let i = 0; i < value.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const changed =
          value.slice(0, i) +
          String.fromCharCode(value.charCodeAt(i) ^ (1 << bit)) +
          value.slice(i + 1);
        const result = unseal(ring, COOKIE, changed);
        assert.equal(result.ok, false, `bit ${bit} of position ${i} changed and still opened`);
      }
    }
    for (let length = 0; length < value.length; length++) {
      assert.equal(
        unseal(ring, COOKIE, value.slice(0, length)).ok,
        false,
        `truncated to ${length}`,
      );
    }
  });

  it('rejects non-canonical base64 (spare bits of the last character)', () => {
    // 12 + 3 + 16 = 31 bytes: 42 characters, the last one carrying 4 spare bits.
    const value = seal(ring, COOKIE, 'abc');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = value.at(-1) ?? '';
    const index = alphabet.indexOf(last);
    const alias = alphabet[index ^ 1] ?? '';
    const aliased = value.slice(0, -1) + alias;
    // Node decodes both to the same bytes; we must still refuse the alias.
    assert.deepEqual(
      Buffer.from(aliased.split('.')[2] ?? '', 'base64url'),
      Buffer.from(value.split('.')[2] ?? '', 'base64url'),
    );
    assert.deepEqual(unseal(ring, COOKIE, aliased), { ok: false, reason: 'malformed' });
  });

  it('wrong key: an unknown id is "unknown-key"; the same id with another secret is "tampered"', () => {
    const value = seal(createKeyRing([KEY_B]), COOKIE, '{}');
    assert.equal(unseal(ring, COOKIE, value).ok, false);
    assert.equal((unseal(ring, COOKIE, value) as { reason: string }).reason, 'unknown-key');
    const mine = createKeyRing([{ id: 'k', secret: KEY_A }]);
    const theirs = createKeyRing([{ id: 'k', secret: KEY_C }]);
    assert.deepEqual(unseal(mine, COOKIE, seal(theirs, COOKIE, '{}')), {
      ok: false,
      reason: 'tampered',
      keyId: 'k',
    });
  });

  it('a rotated ring opens values of every key it holds and seals with the first', () => {
    const old = createKeyRing([KEY_A]);
    const rotated = createKeyRing([KEY_B, KEY_A]);
    const sealedOld = seal(old, COOKIE, '"old"');
    assert.equal((unseal(rotated, COOKIE, sealedOld) as { plaintext: string }).plaintext, '"old"');
    const sealedNew = seal(rotated, COOKIE, '"new"');
    assert.equal(sealedNew.split('.')[1], rotated.ids[0]);
    assert.equal(
      unseal(old, COOKIE, sealedNew).ok,
      false,
      'the old ring does not know the new key',
    );
  });

  it('refuses absurdly long values without decoding them', () => {
    assert.deepEqual(unseal(ring, COOKIE, `v1.x.${'A'.repeat(100_000)}`), {
      ok: false,
      reason: 'malformed',
    });
  });
});
