import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { maskSecret, tokenMatches } from '../../src/csrf/token.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('CSRF token encoding', () => {
  it('accepts each masked token in exactly one spelling', () => {
    const secret = randomBytes(32);
    const token = maskSecret(secret);
    assert.equal(tokenMatches(token, secret), true);
    // 86 base64url characters carry 516 bits for 512: the last character's low four bits are
    // spare. A lenient decoder ignores them, giving 16 spellings of one token; only the canonical
    // one (spare bits zero) may pass.
    const last = BASE64URL.indexOf(token.at(-1) ?? '');
    const variants = Array.from({ length: 16 }, (_, spare) => (last & ~15) | spare)
      .filter((index) => index !== last)
      .map((index) => token.slice(0, -1) + BASE64URL.charAt(index));
    assert.equal(variants.length, 15);
    for (const variant of variants) {
      assert.deepEqual(Buffer.from(variant, 'base64url'), Buffer.from(token, 'base64url'));
      assert.equal(tokenMatches(variant, secret), false, variant);
    }
  });
});
