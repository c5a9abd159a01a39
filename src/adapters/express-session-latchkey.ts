import { SessionEventEmitter } from '../core/events.js';
import { guardStore } from '../core/guarded-store.js';
import type {
  Awaitable,
  SessionPatch,
  SessionRecord,
  Store as LatchkeyStore,
} from '../core/store.js';
import { hashToken } from '../core/token.js';
import type { Backend } from './express-session-backend.js';
import { restoreCookie } from './express-session-cookie.js';
import type { Callback } from './express-session-context.js';
import { Session } from './express-session-session.js';

/**
 * Latchkey stores behind the express-session surface. Each top-level property of `req.session` is
 * one data key (its JSON text); the cookie's attributes live under the key `cookie` (a name
 * express-session reserves, so no data property can take it), without `expires`, which is the
 * record's `expiresAt`. The store key is the SHA-256 of the session id, so a store dump holds no
 * usable cookie.
 *
 * A save writes a patch (keys set, changed or deleted since the load) with `update`, which
 * applies only to a live record: two requests writing different properties both persist, and a
 * request still in flight when another destroys the session cannot bring it back (its write is
 * dropped). A new session is written with `create`, which never overwrites a live record.
 *
 * Store failures and operations slower than 2 s reach the app as `StoreUnavailableError` (status
 * 503): while loading through `next(error)`; while saving at the end of the response, after it
 * (express-session's behaviour: the response is sent, the error goes to `next`).
 */

/** Deadline of one store operation, as the core's default `storeTimeout`. */
const STORE_TIMEOUT = 2000;
/** Server-side lifetime of a browser-session cookie (no maxAge), renewed by activity: 24 hours. */
export const BROWSER_SESSION_TTL = 24 * 60 * 60 * 1000;
/** A request that changes nothing moves the expiry at most this often (or a tenth of the ttl). */
const TOUCH_INTERVAL = 60_000;

export function isLatchkeyStore(store: unknown): store is LatchkeyStore {
  const s = store as Partial<Record<keyof LatchkeyStore, unknown>> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.get === 'function' &&
    typeof s.create === 'function' &&
    typeof s.update === 'function' &&
    typeof s.delete === 'function'
  );
}

/** What was last read from or written to the store for one Session object. */
interface Baseline {
  texts: Map<string, string>;
  cookie: string;
  expiresAt: number;
}

/** JSON text of each data property (undefined values and functions count as absent). */
function texts(session: Session): Map<string, string> {
  const result = new Map<string, string>();
  for (const key of Object.keys(session)) {
    if (key === 'cookie') continue;
    const text = JSON.stringify(session[key]) as string | undefined;
    if (text !== undefined) result.set(key, text);
  }
  return result;
}

function cookieText(session: Session): string {
  return JSON.stringify({ ...session.cookie.data, expires: undefined });
}

function expiryOf(session: Session, now: number): number {
  const expires = session.cookie.expires;
  return expires === null ? now + BROWSER_SESSION_TTL : expires.getTime();
}

/**
 * Runs a store operation and hands its outcome to a node-style callback, always on a later tick
 * (as express-session's callers expect) and outside any promise chain. A synchronous answer (an
 * in-process store) takes no promise at all.
 */
function settle<T>(run: () => Awaitable<T>, done: (error: unknown, value?: T) => void): void {
  let result: Awaitable<T>;
  try {
    result = run();
  } catch (error) {
    process.nextTick(done, error);
    return;
  }
  if (!(result instanceof Promise)) {
    process.nextTick(done, null, result);
    return;
  }
  result.then(
    (value) => {
      process.nextTick(done, null, value);
    },
    (error: unknown) => {
      process.nextTick(done, error);
    },
  );
}

export function latchkeyBackend(raw: LatchkeyStore, now: () => number = Date.now): Backend {
  const baselines = new WeakMap<Session, Baseline>();
  const guarded = guardStore(raw, STORE_TIMEOUT, new SessionEventEmitter());
  const store = {
    get: (id: string, t: number) => guarded('get', (s) => s.get(id, t)),
    create: (record: SessionRecord, t: number) => guarded('create', (s) => s.create(record, t)),
    update: (id: string, patch: SessionPatch, t: number) =>
      guarded('update', (s) => s.update(id, patch, t)),
    delete: (id: string) => guarded('delete', (s) => s.delete(id)),
  };

  function restore(record: SessionRecord, session: Session): void {
    let saved: { originalMaxAge?: unknown } = {};
    for (const [key, text] of Object.entries(record.data)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue; // an unreadable value reads as absent
      }
      if (key === 'cookie') saved = typeof value === 'object' && value !== null ? value : {};
      else if (!(key in session)) session[key] = value;
    }
    const persistent = typeof saved.originalMaxAge === 'number';
    session.cookie = restoreCookie({ ...saved, expires: persistent ? record.expiresAt : null });
    baselines.set(session, {
      texts: texts(session),
      cookie: cookieText(session),
      expiresAt: record.expiresAt,
    });
  }

  function write(session: Session, done: Callback): void {
    const t = now();
    const expiresAt = expiryOf(session, t);
    const idleTimeout = Math.max(1, expiresAt - t);
    const current = texts(session);
    const cookie = cookieText(session);
    const baseline = baselines.get(session);
    const next: Baseline = { texts: current, cookie, expiresAt };
    if (baseline === undefined) {
      const record: SessionRecord = {
        id: hashToken(session.id),
        userId: null,
        data: { ...Object.fromEntries(current), cookie },
        createdAt: t,
        lastSeenAt: t,
        absoluteExpiresAt: expiresAt,
        expiresAt,
        idleTimeout,
        persistent: session.cookie.expires !== null,
        meta: {},
      };
      settle(
        () => store.create(record, t),
        (error, created) => {
          if (error) done(error);
          else if (created === false)
            done(new Error('session id collision: genid returned the id of a live session'));
          else {
            baselines.set(session, next);
            done();
          }
        },
      );
      return;
    }
    const set: Record<string, string> = {};
    const unset: string[] = [];
    for (const [key, text] of current) if (baseline.texts.get(key) !== text) set[key] = text;
    for (const key of baseline.texts.keys()) if (!current.has(key)) unset.push(key);
    if (cookie !== baseline.cookie) set.cookie = cookie;
    const patch = {
      set,
      unset,
      lastSeenAt: t,
      expiresAt,
      absoluteExpiresAt: expiresAt,
      idleTimeout,
    };
    settle(
      () => store.update(hashToken(session.id), patch, t),
      (error) => {
        // update() === false: destroyed or expired meanwhile. Dropping the write is the point.
        if (!error) baselines.set(session, next);
        done(error);
      },
    );
  }

  return {
    touchable: true,
    events: undefined,
    load(sid, req, done) {
      settle(
        () => store.get(hashToken(sid), now()),
        (error, record) => {
          if (error) done(error, null);
          else if (record === null || record === undefined) done(null, null);
          else {
            const session = new Session(req);
            restore(record, session);
            done(null, session);
          }
        },
      );
    },
    save(_sid, session, done) {
      write(session, done);
    },
    touch(_sid, session, done) {
      const baseline = baselines.get(session);
      if (baseline === undefined) {
        process.nextTick(done);
        return;
      }
      const t = now();
      const expiresAt = expiryOf(session, t);
      const interval = Math.min(TOUCH_INTERVAL, (expiresAt - t) / 10);
      const moved = expiresAt - baseline.expiresAt;
      // Skip only a small step forward with the same cookie attributes; a shorter lifetime or a
      // changed cookie (app set maxAge) is always written.
      if (moved >= 0 && moved < interval && cookieText(session) === baseline.cookie) {
        process.nextTick(done);
      } else write(session, done);
    },
    destroy(sid, done) {
      settle(
        () => store.delete(hashToken(sid)),
        (error) => {
          done(error);
        },
      );
    },
  };
}
