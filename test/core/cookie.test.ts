import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readCookie } from '../../src/core/cookie.js';

const NAME = '__Host-sid';

describe('readCookie', () => {
  it('finds the cookie among others, trimmed of spaces and tabs', () => {
    assert.equal(readCookie(`${NAME}=abc`, NAME), 'abc');
    assert.equal(readCookie(`theme=dark; ${NAME}=abc; lang=en`, NAME), 'abc');
    assert.equal(readCookie(`theme=dark;\t ${NAME} = abc \t;lang=en`, NAME), 'abc');
  });

  it('keeps the first of duplicates (browsers send the most specific path first)', () => {
    assert.equal(readCookie(`${NAME}=first; ${NAME}=second`, NAME), 'first');
  });

  it('matches whole names only, wherever else the name appears', () => {
    assert.equal(readCookie(`x${NAME}=1; ${NAME}x=2; a=${NAME}; ${NAME}=3`, NAME), '3');
    assert.equal(readCookie(`x${NAME}=1; a=${NAME}`, NAME), undefined);
    assert.equal(readCookie('__host-sid=1', NAME), undefined, 'names are case-sensitive');
  });

  it('skips pairs without "=" and goes on with the next one', () => {
    assert.equal(readCookie(`${NAME}; ${NAME}=abc`, NAME), 'abc');
    assert.equal(readCookie(`junk;${NAME}=abc`, NAME), 'abc');
    assert.equal(readCookie(NAME, NAME), undefined);
  });

  it('decodes valid percent escapes and keeps invalid ones as sent', () => {
    assert.equal(readCookie(`${NAME}=a%20b`, NAME), 'a b');
    assert.equal(readCookie(`${NAME}=a%zzb`, NAME), 'a%zzb');
    assert.equal(readCookie(`${NAME}=%E0%A4`, NAME), '%E0%A4');
  });

  it('keeps quotes and empty values as sent', () => {
    assert.equal(readCookie(`${NAME}="abc"`, NAME), '"abc"');
    assert.equal(readCookie(`${NAME}=; b=1`, NAME), '');
  });

  it('reads no header, an empty one or one without the name as absent', () => {
    assert.equal(readCookie(undefined, NAME), undefined);
    assert.equal(readCookie('', NAME), undefined);
    assert.equal(readCookie('a=1; b=2', NAME), undefined);
  });
});
