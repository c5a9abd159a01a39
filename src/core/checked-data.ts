import { isJsonText } from './json-text.js';
import type { Store } from './store.js';

/**
 * Whether stored session data needs checking on read. A record read from a store is adopted only
 * if every data value is JSON text (bad data, from a corrupt row or an older schema, reads as "no
 * session"). Checking costs a `JSON.parse` of every value on every read. A store that refuses
 * anything else when it is written (the memory store, whose records never leave the process)
 * carries this mark, and the core then skips the check for its records.
 *
 * @internal Not part of the public API. The mark is a non-enumerable property of the store object,
 * so a store built by spreading a marked one (`{ ...memoryStore(), get }`) does not inherit it.
 */
const CHECKS_DATA: unique symbol = Symbol('latchkey.checksData');

/** Marks `store` as one that only ever holds JSON-text data values. */
export function markChecksData(store: Store): void {
  Object.defineProperty(store, CHECKS_DATA, { value: true });
}

/** True when `store` only ever holds JSON-text data values: its records need no check on read. */
export function checksData(store: Store): boolean {
  return (store as { [CHECKS_DATA]?: unknown })[CHECKS_DATA] === true;
}

/** True when every value of `data` (absent: none) is JSON text. */
export function allJsonText(data: Readonly<Record<string, string>> | undefined): boolean {
  if (data === undefined) return true;
  for (const key in data) {
    const text: unknown = data[key];
    if (typeof text !== 'string' || !isJsonText(text)) return false;
  }
  return true;
}

/** True when `record`'s data is an object of JSON texts. */
export function isReadable(record: { readonly data: unknown }): boolean {
  const { data } = record;
  if (typeof data !== 'object' || data === null) return false;
  return allJsonText(data as Record<string, string>);
}
