import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  argon2Hasher,
  checkPassword,
  normalizePassword,
  MAX_PASSWORD_LENGTH,
} from '../../src/auth/password.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { fastHasher } from './app.js';

describe('argon2Hasher', () => {
  it('defaults to argon2id with the OWASP parameters in a PHC string (SEC-49)', async () => {
    const hash = await argon2Hasher().hash('correct horse battery staple');
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    assert.equal(await argon2Hasher().verify(hash, 'correct horse battery staple'), true);
  });

  it('salts every hash', async () => {
    const a = await fastHasher.hash('same password');
    const b = await fastHasher.hash('same password');
    assert.notEqual(a, b);
  });

  it('verify answers false for a wrong password and for malformed hashes, never throws', async () => {
    const hash = await fastHasher.hash('correct horse battery staple');
    assert.equal(await fastHasher.verify(hash, 'correct horse battery stapl'), false);
    for (const bad of ['', 'garbage', '$2b$10$abcdefghijklmnopqrstuu', hash.slice(0, -5)]) {
      assert.equal(await fastHasher.verify(bad, 'x'), false);
    }
  });

  it('needsRehash compares the parameters inside the hash with the current ones (SEC-50)', async () => {
    const weak = await fastHasher.hash('password123');
    const strong = argon2Hasher({ memoryCost: 128, timeCost: 2 });
    assert.equal(fastHasher.needsRehash(weak), false);
    assert.equal(strong.needsRehash(weak), true);
    assert.equal(strong.needsRehash(await strong.hash('password123')), false);
    assert.equal(strong.needsRehash('$2b$10$bcryptbcryptbcryptbcryuH0hZ1'), true, 'other schemes');
  });

  it('does not truncate: a long password differing only at the end fails', async () => {
    const base = 'x'.repeat(1000);
    const hash = await fastHasher.hash(`${base}a`);
    assert.equal(await fastHasher.verify(hash, `${base}a`), true);
    assert.equal(await fastHasher.verify(hash, `${base}b`), false);
  });

  it('refuses parameters that are not integers in range', () => {
    assert.throws(() => argon2Hasher({ memoryCost: 4 }), ConfigurationError);
    assert.throws(() => argon2Hasher({ timeCost: 0 }), ConfigurationError);
    assert.throws(() => argon2Hasher({ parallelism: 1.5 }), ConfigurationError);
  });
});

describe('password rules (SEC-51)', () => {
  it('8 to 1024 characters, counted in code points after normalisation', () => {
    assert.equal(checkPassword('1234567'), 'too-short');
    assert.equal(checkPassword('12345678'), null);
    assert.equal(checkPassword('😀'.repeat(7)), 'too-short', 'an emoji is one character');
    assert.equal(checkPassword('😀'.repeat(8)), null);
    assert.equal(checkPassword('a'.repeat(MAX_PASSWORD_LENGTH)), null);
    assert.equal(checkPassword('a'.repeat(MAX_PASSWORD_LENGTH + 1)), 'too-long');
    assert.equal(checkPassword('😀'.repeat(MAX_PASSWORD_LENGTH)), null);
    assert.equal(checkPassword('a'.repeat(1_000_000)), 'too-long');
  });

  it('no composition rules: any Unicode is fine, including spaces only', () => {
    for (const ok of ['aaaaaaaa', '        ', 'пароль пароль', '密码密码密码密码', 'ÄÖÜäöüß!']) {
      assert.equal(checkPassword(ok), null, ok);
    }
  });

  it('refuses non-strings and unpaired surrogates', () => {
    assert.equal(checkPassword(12345678), 'not-text');
    assert.equal(checkPassword(null), 'not-text');
    assert.equal(checkPassword('abcdefgh\ud800'), 'not-text');
  });

  it('normalises with NFKC: composed, decomposed and full-width forms are one password', async () => {
    assert.equal(normalizePassword('e\u0301tudiant!'), normalizePassword('\u00e9tudiant!'));
    assert.equal(normalizePassword('ｐａｓｓｗｏｒｄ'), 'password');
    const hash = await fastHasher.hash(normalizePassword('\u00e9tudiant!'));
    assert.equal(await fastHasher.verify(hash, normalizePassword('e\u0301tudiant!')), true);
  });
});
