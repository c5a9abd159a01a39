import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawCookieHeader } from '../../src/adapters/raw-cookie.js';

describe('rawCookieHeader', () => {
  it('joins every Cookie header, whatever the case of its name, with "; "', () => {
    const raw = ['Host', 'x', 'COOKIE', 'a=1', 'cookie', 'b=2', 'Cookie', 'c=3', 'CoOkIe', 'd=4'];
    assert.equal(rawCookieHeader(raw), 'a=1; b=2; c=3; d=4');
  });

  it('ignores other headers, even ones whose name contains "cookie"', () => {
    assert.equal(
      rawCookieHeader(['Set-Cookie', 'a=1', 'Cookies', 'b=2', 'X-Cookie', 'c=3']),
      undefined,
    );
    assert.equal(rawCookieHeader([]), undefined);
  });
});
