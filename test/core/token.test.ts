import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateToken, hashToken, isWellFormedToken, publicIdOf } from '../../src/core/token.js';

describe('tokens', () => {
  it('are 32 random bytes in base64url, with no repeats in 10 000 (SEC-01)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = generateToken();
      assert.equal(Buffer.from(token, 'base64url').length, 32);
      assert.ok(isWellFormedToken(token));
      seen.add(token);
    }
    assert.equal(seen.size, 10_000);
  });

  it('carry nothing readable (SEC-02): bytes look uniformly random', () => {
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 2000; i++)
      for (const byte of Buffer.from(generateToken(), 'base64url')) counts[byte]!++;
    // 64 000 bytes over 256 values: every value should appear, none wildly often.
    assert.ok(
      Math.min(...counts) > 150 && Math.max(...counts) < 360,
      `byte counts ${Math.min(...counts)}..${Math.max(...counts)}`,
    );
  });

  it('are stored only as their SHA-256', () => {
    const token = generateToken();
    const id = hashToken(token);
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.ok(!id.includes(token));
    assert.equal(publicIdOf(id), id.slice(0, 16));
  });

  it('reject anything that is not exactly a token we could have issued', () => {
    for (const bad of [
      '',
      'a'.repeat(42),
      'a'.repeat(44),
      `${'a'.repeat(42)}=`,
      `${'a'.repeat(42)}+`,
      `${'a'.repeat(42)}/`,
      `${'a'.repeat(42)}\n`,
    ]) {
      assert.equal(isWellFormedToken(bad), false, JSON.stringify(bad));
    }
  });
});
