import { jsonTextOf, parseJsonText } from './json-text.js';

/**
 * The dictionary half of a session, shared by server-side and sealed-cookie sessions: serialized
 * values by key, what this request changed, and the async dictionary methods of the `Session`
 * interface on top of two hooks each session kind provides (load for reading, load-and-check for
 * writing).
 */

function nullObject(source?: Readonly<Record<string, string>>): Record<string, string> {
  const target = Object.create(null) as Record<string, string>;
  return source === undefined ? target : Object.assign(target, source);
}

/** JSON text of a session value. @throws TypeError for values JSON cannot represent. */
export function serializeValue(key: string, value: unknown): string {
  const text = jsonTextOf(value);
  if (text === undefined) {
    throw new TypeError(`session.set("${key}"): value is not JSON-serializable (${typeof value})`);
  }
  return text;
}

/** @throws TypeError for a key that is not a string, or `__proto__`. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key === '__proto__') {
    throw new TypeError(
      `session key must be a string other than "__proto__", got ${JSON.stringify(key)}`,
    );
  }
}

/**
 * One request's view of a session's values, and the changes it made: keys set, keys deleted,
 * whether it cleared everything first. The changes are what a store patch carries, so a
 * concurrent request's writes to other keys survive.
 *
 * The view is the loaded values (a store record's data, never modified and never copied: most
 * requests only read) with this request's changes laid over them. Keys of the loaded values count
 * only as own properties, so nothing inherited (a polluted `Object.prototype`) reads as a value.
 */
export class SessionValues {
  /** The values as loaded, or null for none (a new session, or after `clear()`). */
  #base: Readonly<Record<string, string>> | null;
  // Created on the first change.
  #set: Map<string, string> | undefined;
  #unset: Set<string> | undefined;
  #cleared = false;

  constructor(base?: Readonly<Record<string, string>>) {
    this.#base = base ?? null;
  }

  get size(): number {
    if (this.#base === null) return this.#set?.size ?? 0;
    return this.keys().length;
  }

  /** True when this request set, deleted or cleared anything since the last `forget()`. */
  get changed(): boolean {
    return this.#cleared || (this.#set?.size ?? 0) > 0 || (this.#unset?.size ?? 0) > 0;
  }

  get cleared(): boolean {
    return this.#cleared;
  }

  /** The JSON text of `key` in the current view. */
  #text(key: string): string | undefined {
    const set = this.#set?.get(key);
    if (set !== undefined) return set;
    const base = this.#base;
    if (base === null || this.#unset?.has(key) === true || !Object.hasOwn(base, key)) {
      return undefined;
    }
    return base[key];
  }

  get(key: string): unknown {
    const text = this.#text(key);
    return text === undefined ? undefined : parseJsonText(text);
  }

  has(key: string): boolean {
    return this.#text(key) !== undefined;
  }

  /** Stores an already serialized value (see {@link serializeValue}). */
  setText(key: string, text: string): void {
    (this.#set ??= new Map()).set(key, text);
    this.#unset?.delete(key);
  }

  /**
   * Removes `key`; returns whether it was there. The deletion is recorded even for a key this
   * request does not see, so a value a concurrent request wrote is removed too.
   */
  delete(key: string): boolean {
    const existed = this.#text(key) !== undefined;
    this.#set?.delete(key);
    if (!this.#cleared) (this.#unset ??= new Set()).add(key);
    return existed;
  }

  clear(): void {
    this.#base = null;
    this.#set = undefined;
    this.#unset = undefined;
    this.#cleared = true;
  }

  /** The current view as one prototype-less object (for the less frequent whole-session reads). */
  #merged(): Record<string, string> {
    const merged = nullObject(this.#base ?? undefined);
    if (this.#unset !== undefined) for (const key of this.#unset) delete merged[key];
    if (this.#set !== undefined) for (const [key, text] of this.#set) merged[key] = text;
    return merged;
  }

  keys(): string[] {
    return Object.keys(this.#merged());
  }

  entries(): [string, unknown][] {
    return Object.entries(this.#merged()).map(([key, text]) => [key, parseJsonText(text)]);
  }

  /** A plain copy of the current values, for a new record or a sealed payload. */
  snapshot(): Record<string, string> {
    return { ...this.#merged() };
  }

  /** The keys this request set, with their texts, as a store patch's `set` (undefined: none). */
  setChanges(): Record<string, string> | undefined {
    if (this.#set === undefined || this.#set.size === 0) return undefined;
    // A plain loop: Object.fromEntries goes through the iterator protocol, measurably slower.
    const set: Record<string, string> = {};
    for (const [key, text] of this.#set) set[key] = text;
    return set;
  }

  /** The keys this request deleted, as a store patch's `unset` (undefined: none). */
  unsetChanges(): string[] | undefined {
    return this.#unset !== undefined && this.#unset.size > 0 ? [...this.#unset] : undefined;
  }

  /**
   * Re-applies this request's changes on top of `base` (the values as the store holds them now,
   * including concurrent writes): used when the session moves to a new record. After `clear()`
   * the base is ignored.
   */
  rebase(base: Readonly<Record<string, string>>): void {
    if (!this.#cleared) this.#base = base;
  }

  /** Keys this request set or deleted, or `'all'` after `clear()`. */
  touchedKeys(): ReadonlySet<string> | 'all' {
    return this.#cleared ? 'all' : new Set([...(this.#set?.keys() ?? []), ...(this.#unset ?? [])]);
  }

  /** Takes in values already saved by someone else: changes the view, records no change. */
  absorb(set: Readonly<Record<string, string>>, unset: readonly string[]): void {
    const base = nullObject(this.#base ?? undefined);
    for (const key of unset) delete base[key];
    this.#base = Object.assign(base, set);
  }

  /** Keeps the values, forgets the changes (they are saved now). */
  forget(): void {
    this.#base = this.#merged();
    this.#set = undefined;
    this.#unset = undefined;
    this.#cleared = false;
  }
}

/**
 * Applies `fn` to what `source` gives, as a promise: at once when `source` answers synchronously
 * (a loaded session), after it settles otherwise. A synchronous throw becomes a rejection, so a
 * method fails the same way whether or not the session was loaded.
 */
function after<T, R>(source: () => T | Promise<T>, fn: (value: T) => R): Promise<R> {
  try {
    const value = source();
    return value instanceof Promise ? value.then(fn) : Promise.resolve(fn(value));
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * The dictionary methods of the `Session` interface, for session classes that provide the two
 * hooks: `readable()` loads the session, `writable(operation)` loads it and throws
 * SessionStateError when the response was already sent. The hooks answer synchronously once the
 * session is loaded, so a loaded session's methods cost no extra promise hops. Keys and values are
 * checked before the session is loaded, so a programming error surfaces even without a store.
 */
export abstract class DictionarySession<Data extends object> {
  protected abstract readable(): SessionValues | Promise<SessionValues>;
  protected abstract writable(operation: string): SessionValues | Promise<SessionValues>;

  // get and set run on nearly every request: written out rather than through `after`, so a loaded
  // session's call makes no closures.
  get<K extends keyof Data & string>(key: K): Promise<Data[K] | undefined> {
    try {
      const values = this.readable();
      if (values instanceof Promise) return values.then((v) => v.get(key) as Data[K] | undefined);
      return Promise.resolve(values.get(key) as Data[K] | undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  set<K extends keyof Data & string>(key: K, value: Data[K]): Promise<void> {
    let text: string | undefined;
    try {
      assertKey(key);
      if (value !== undefined) text = serializeValue(key, value);
    } catch (error) {
      return Promise.reject(error);
    }
    if (text === undefined) return this.delete(key).then(() => undefined);
    const serialized = text;
    try {
      const values = this.writable('set');
      if (values instanceof Promise)
        return values.then((v) => {
          v.setText(key, serialized);
        });
      values.setText(key, serialized);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  has(key: keyof Data & string): Promise<boolean> {
    return after(
      () => this.readable(),
      (values) => values.has(key),
    );
  }

  delete(key: keyof Data & string): Promise<boolean> {
    return after(
      () => {
        assertKey(key);
        return this.writable('delete');
      },
      (values) => values.delete(key),
    );
  }

  async pop<K extends keyof Data & string>(key: K): Promise<Data[K] | undefined> {
    const value = await this.get(key);
    if (value !== undefined) await this.delete(key);
    return value;
  }

  clear(): Promise<void> {
    return after(
      () => this.writable('clear'),
      (values) => {
        values.clear();
      },
    );
  }

  keys(): Promise<(keyof Data & string)[]> {
    return after(
      () => this.readable(),
      (values) => values.keys() as (keyof Data & string)[],
    );
  }

  entries(): Promise<[keyof Data & string, Data[keyof Data & string]][]> {
    return after(
      () => this.readable(),
      (values) => values.entries() as [keyof Data & string, Data[keyof Data & string]][],
    );
  }
}
