import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isJsonText, jsonTextOf, parseJsonText } from '../../src/core/json-text.js';

/** What JSON itself says of a text: its value, or that it is not JSON. */
function reference(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Texts near the shortcut's edges: signs, leading zeros, long integers, exponents, blanks. */
const numberish = fc.string({
  unit: fc.constantFrom('-', '0', '1', '9', '5', '.', 'e', '+', ' ', 'x'),
  maxLength: 18,
});
const literalish = fc.constantFrom(
  'true',
  'false',
  'null',
  'True',
  'nul',
  ' true',
  'true ',
  '-0',
  '00',
  '-',
  '',
  '999999999999999',
  '9999999999999999',
  '-999999999999999',
  '9007199254740993',
  '1e3',
  '"1"',
);

describe('JSON text of session values', () => {
  it('parses and checks every text exactly as JSON does', () => {
    fc.assert(
      fc.property(
        fc.oneof(numberish, literalish, fc.json(), fc.string({ maxLength: 12 })),
        (text) => {
          const expected = reference(text);
          assert.equal(isJsonText(text), expected.ok, text);
          if (expected.ok) {
            // Strict deep equality compares numbers with Object.is: -0 and 0 differ.
            assert.deepEqual(parseJsonText(text), expected.value, text);
          } else {
            assert.throws(() => parseJsonText(text), SyntaxError);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('writes every value exactly as JSON.stringify does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.double(),
          fc.integer(),
          fc.boolean(),
          fc.constantFrom(undefined, null, -0, NaN, Infinity, -Infinity, 1e21, 5e-324),
        ),
        (value) => {
          assert.equal(jsonTextOf(value), JSON.stringify(value));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('reads -0 as -0 and long integers as JSON rounds them', () => {
    assert.ok(Object.is(parseJsonText('-0'), -0));
    assert.equal(parseJsonText('9007199254740993'), JSON.parse('9007199254740993'));
    const huge = `1${'0'.repeat(400)}`;
    assert.equal(parseJsonText(huge), Infinity);
  });
});
