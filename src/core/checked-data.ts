import type { SessionRecord } from './store.js';

/**
 * Which stored session data the core may read without checking it again. A record read from a
 * store is adopted only if every data value is JSON text (bad data, from a corrupt row or an older
 * schema, reads as "no session"). Checking costs a `JSON.parse` of every value on every read; a
 * store that checks what it is given when it is written (the memory store, whose records never
 * leave the process) marks its records instead, so a read-mostly request costs no parse and a
 * write costs a parse of the values it changed only.
 *
 * @internal Not part of the public API: a store outside this package cannot set the mark.
 */
export const CHECKED_DATA: unique symbol = Symbol('latchkey.checkedData');

/** A record that may carry the mark. */
export type MaybeChecked = SessionRecord & { readonly [CHECKED_DATA]?: true };

/** True when every value of `data` (absent: none) is JSON text. */
export function allJsonText(data: Readonly<Record<string, string>> | undefined): boolean {
  if (data === undefined) return true;
  try {
    for (const key in data) JSON.parse(data[key] as string);
  } catch {
    return false;
  }
  return true;
}

/** True when `record`'s data may be adopted: marked by its store, or checked now. */
export function isReadable(record: MaybeChecked): boolean {
  if (record[CHECKED_DATA] === true) return true;
  const { data } = record as { data: unknown };
  if (typeof data !== 'object' || data === null) return false;
  return allJsonText(data as Record<string, string>);
}
