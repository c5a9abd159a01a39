import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { generateToken, hashToken, isWellFormedToken, publicIdOf } from '../../src/core/token.js';
import { BASE64URL, fuzzProperty, hostileString, tokenShaped, type FuzzSuite } from './harness.js';

/**
 * Tokens (src/core/token.ts). The session layer never decodes a token: it accepts exactly the
 * 43-character base64url shape of what it issues and looks up only the SHA-256 of it. So a wrong
 * shape check would send attacker strings to the store, and a nondeterministic or colliding hash
 * would lose or mix up sessions.
 */

/** Spelled out independently of the implementation's regular expression. */
function tokenShape(value: string): boolean {
  if (value.length !== 43) return false;
  for (let i = 0; i < value.length; i++) if (!BASE64URL.includes(value.charAt(i))) return false;
  return true;
}

const anyString = fc.oneof(
  hostileString(120),
  tokenShaped,
  // Near misses of the shape: one character short or long, a newline where a regex `$` might
  // still match, padding, the standard base64 alphabet.
  tokenShaped.map((t) => t.slice(1)),
  tokenShaped.map((t) => `${t}A`),
  tokenShaped.map((t) => `${t}\n`),
  tokenShaped.map((t) => `${t.slice(1)}=`),
  tokenShaped.map((t) => t.replace(/[-_]/, '+')),
  fc.uint8Array({ minLength: 31, maxLength: 33 }).map((b) => Buffer.from(b).toString('base64')),
);

export const tokenSuite: FuzzSuite = {
  name: 'session tokens',
  start() {
    return Promise.resolve({
      properties: [
        fuzzProperty(
          'isWellFormedToken accepts exactly 43 base64url characters and never throws',
          'pure',
          fc.property(anyString, (value) => {
            assert.equal(isWellFormedToken(value), tokenShape(value), JSON.stringify(value));
          }),
        ),
        fuzzProperty(
          'hashToken is deterministic, 64 hex digits, the SHA-256 of the UTF-8 text',
          'pure',
          fc.property(anyString, (value) => {
            const hash = hashToken(value);
            assert.match(hash, /^[0-9a-f]{64}$/);
            assert.equal(hashToken(value), hash);
            assert.equal(createHash('sha256').update(value, 'utf8').digest('hex'), hash);
            assert.equal(publicIdOf(hash), hash.slice(0, 16));
          }),
        ),
        fuzzProperty(
          'distinct well-formed tokens have distinct store keys',
          'pure',
          fc.property(tokenShaped, tokenShaped, (a, b) => {
            fc.pre(a !== b);
            assert.notEqual(hashToken(a), hashToken(b));
          }),
        ),
        fuzzProperty(
          'generated tokens are well-formed, decode to 32 bytes and never repeat',
          'pure',
          fc.property(fc.constant(null), () => {
            const a = generateToken();
            const b = generateToken();
            assert.ok(isWellFormedToken(a) && isWellFormedToken(b));
            assert.equal(Buffer.from(a, 'base64url').length, 32);
            assert.equal(Buffer.from(a, 'base64url').toString('base64url'), a);
            assert.notEqual(a, b);
          }),
        ),
      ],
      close: () => Promise.resolve(),
    });
  },
};
