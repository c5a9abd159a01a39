/**
 * Session values as JSON text, with a shortcut for the commonest small values. A call of
 * `JSON.parse` or `JSON.stringify` has a fixed cost of several hundred instructions, far more than
 * the work for a counter or a flag, and a request that reads and writes one value makes three such
 * calls (the read, the write, and the memory store's check of what it is given). Integers and the
 * literals `true`, `false` and `null` take a shortcut with the same result; everything else goes
 * through JSON.
 */

const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;
/**
 * True when `text` is a JSON integer, `-?(0|[1-9][0-9]*)`: `Number()` reads such a text exactly as
 * `JSON.parse` does (both round a decimal to the nearest double).
 */
function isInteger(text: string): boolean {
  const length = text.length;
  let index = text.charCodeAt(0) === MINUS ? 1 : 0;
  const digits = length - index;
  if (digits < 1) return false;
  if (text.charCodeAt(index) === ZERO) return digits === 1; // JSON has no leading zeros.
  for (; index < length; index++) {
    const code = text.charCodeAt(index);
    if (code < ZERO || code > NINE) return false;
  }
  return true;
}

/** `JSON.parse(text)`. @throws SyntaxError when `text` is not JSON. */
export function parseJsonText(text: string): unknown {
  if (isInteger(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  return JSON.parse(text);
}

/** True when `text` is JSON text (what `JSON.parse` accepts). */
export function isJsonText(text: string): boolean {
  if (isInteger(text) || text === 'true' || text === 'false' || text === 'null') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * `JSON.stringify(value)`: undefined for what JSON cannot represent (undefined, functions,
 * symbols). Numbers and booleans need no `toJSON` lookup (the spec looks for one only on objects),
 * so their text is the shortcut's.
 */
export function jsonTextOf(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value);
}
