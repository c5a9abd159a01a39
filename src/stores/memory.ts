import { allJsonText, markChecksData } from '../core/checked-data.js';
import { applyPatch, type SessionPatch, type SessionRecord, type Store } from '../core/store.js';

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Upper bound on stored sessions. When a create would exceed it, the least recently written
   * session is evicted (its user is logged out). Reads do not reorder (that would cost a write per
   * read); an active session is rewritten at least once per touch interval, so "least recently
   * written" is "least recently used" to within that interval. Default 100 000 (roughly 100 MB of small sessions).
   * Eviction makes a flood of new sessions able to push real users out: put a rate limit in front of
   * session creation if that matters, or use a persistent store.
   */
  readonly maxSessions?: number;
}

/** A memory store plus the sweep control only it has. */
export interface MemoryStore extends Store {
  /** Number of records held, expired ones not yet swept included. */
  readonly size: number;
  /**
   * Starts sweeping expired records every `intervalMs` (timer unref'd, so it never keeps the process
   * alive). Returns a function that stops it. Optional: expiry is enforced on every read anyway.
   */
  startSweep(intervalMs: number, now?: () => number): () => void;
}

/**
 * Records are stored deeply frozen and replaced, never mutated, so `get` can hand out the stored
 * object itself: no copy per read, and no caller can change what is stored.
 */
function frozen(record: SessionRecord): SessionRecord {
  return Object.freeze({
    ...record,
    data: Object.freeze({ ...record.data }),
    meta: Object.freeze({ ...record.meta }),
  });
}

/**
 * Refuses data values that are not JSON text. The core only ever writes JSON texts; this catches
 * code that writes to the store directly, and lets the core skip checking every value on every
 * read (see `checksData`).
 * @throws TypeError naming the operation.
 */
function assertJsonText(
  data: Readonly<Record<string, string>> | undefined,
  operation: string,
): void {
  if (!allJsonText(data)) {
    throw new TypeError(
      `memoryStore.${operation}: every session data value must be JSON text (what JSON.stringify returns)`,
    );
  }
}

/**
 * Sessions in this process's memory: for tests, development and single-process apps that accept
 * losing every session on restart. The request-path operations answer synchronously (see
 * {@link Store}), so patches are atomic by construction. Records handed out are frozen: callers
 * can never mutate stored state. No timer is started unless you call `startSweep`.
 *
 * `create` and `update` throw a TypeError for a data value that is not JSON text (the core never
 * writes one; code writing to the store directly might), so reads need not check the values.
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const maxSessions = options.maxSessions ?? 100_000;
  if (!Number.isInteger(maxSessions) || maxSessions < 1) {
    throw new TypeError(
      `memoryStore: maxSessions must be a positive integer, got ${String(maxSessions)}`,
    );
  }
  // Map iteration order is insertion order; re-inserting on every write keeps the least recently
  // written record first.
  const records = new Map<string, SessionRecord>();
  const byUser = new Map<string, Set<string>>();

  function live(id: string, now: number): SessionRecord | undefined {
    const record = records.get(id);
    if (record === undefined) return undefined;
    if (record.expiresAt <= now) {
      remove(id);
      return undefined;
    }
    return record;
  }

  /** Removes the record; returns it (frozen, as stored), or undefined when there was none. */
  function remove(id: string): SessionRecord | undefined {
    const record = records.get(id);
    if (record === undefined) return undefined;
    records.delete(id);
    if (record.userId !== null) {
      const ids = byUser.get(record.userId);
      ids?.delete(id);
      if (ids?.size === 0) byUser.delete(record.userId);
    }
    return record;
  }

  function put(record: SessionRecord): void {
    records.delete(record.id);
    records.set(record.id, record);
  }

  const store: MemoryStore = {
    get size() {
      return records.size;
    },

    get(id, now) {
      return live(id, now) ?? null;
    },

    create(record, now) {
      assertJsonText(record.data, 'create');
      if (live(record.id, now) !== undefined) return false;
      while (records.size >= maxSessions) {
        const oldest = records.keys().next().value;
        if (oldest === undefined) break;
        remove(oldest);
      }
      put(frozen(record));
      if (record.userId !== null) {
        let ids = byUser.get(record.userId);
        if (ids === undefined) byUser.set(record.userId, (ids = new Set()));
        ids.add(record.id);
      }
      return true;
    },

    update(id: string, patch: SessionPatch, now: number) {
      assertJsonText(patch.set, 'update');
      const record = live(id, now);
      if (record === undefined) return false;
      // applyPatch returns a new record and data object; meta is shared with the frozen original.
      const next = applyPatch(record, patch);
      Object.freeze(next.data);
      // Move the record to the young end of the LRU order at most once a second: a Map delete and
      // re-insert on every write is measurable, and eviction needs no finer order than that.
      if (next.lastSeenAt - record.lastSeenAt >= 1000) records.delete(id);
      records.set(id, Object.freeze(next));
      return true;
    },

    delete(id) {
      return remove(id) ?? null;
    },

    listByUser(userId, now) {
      const result: SessionRecord[] = [];
      for (const id of byUser.get(userId) ?? []) {
        const record = live(id, now);
        if (record !== undefined) result.push(record);
      }
      return Promise.resolve(result);
    },

    deleteByUser(userId, exceptId) {
      let count = 0;
      for (const id of [...(byUser.get(userId) ?? [])]) {
        if (id !== exceptId && remove(id) !== undefined) count++;
      }
      return Promise.resolve(count);
    },

    deleteExpired(now, limit = Infinity) {
      let count = 0;
      for (const [id, record] of records) {
        if (count >= limit) break;
        if (record.expiresAt <= now && remove(id) !== undefined) count++;
      }
      return Promise.resolve(count);
    },

    list(now, { cursor, limit }) {
      // Ordered by id (insertion order changes on every write): sorts the ids after the cursor on
      // each page, fine for the sizes a memory store holds and for an administration tool.
      const after = cursor ?? '';
      const ids = [...records.keys()].filter((id) => id > after).sort();
      const page: SessionRecord[] = [];
      let last: string | undefined;
      for (const id of ids) {
        if (page.length >= limit) return Promise.resolve({ records: page, cursor: last ?? null });
        last = id;
        const record = records.get(id);
        if (record !== undefined && record.expiresAt > now) page.push(record);
      }
      return Promise.resolve({ records: page, cursor: null });
    },

    count(now) {
      let live = 0;
      let expired = 0;
      const users = new Set<string>();
      for (const record of records.values()) {
        if (record.expiresAt <= now) {
          expired++;
          continue;
        }
        live++;
        if (record.userId !== null) users.add(record.userId);
      }
      return Promise.resolve({ live, expired, users: users.size });
    },

    startSweep(intervalMs, now = Date.now) {
      const timer = setInterval(() => void store.deleteExpired?.(now()), intervalMs);
      timer.unref();
      return () => {
        clearInterval(timer);
      };
    },
  };
  // Every value is checked on write above, so the core need not check them on every read.
  markChecksData(store);
  return store;
}
