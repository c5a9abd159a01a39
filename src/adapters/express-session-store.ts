import { EventEmitter } from 'node:events';
import { restoreCookie } from './express-session-cookie.js';
import {
  later,
  operationsOf,
  type Callback,
  type SessionRequest,
} from './express-session-context.js';
import { Session } from './express-session-session.js';

/** A session as a store saves it: the data plus the cookie's attributes (JSON-compatible). */
export interface SessionDataLike {
  cookie: object;
  [property: string]: unknown;
}

/**
 * Base class of express-session-style stores: an EventEmitter. A store subclasses it and
 * implements `get(sid, cb)`, `set(sid, session, cb)` and `destroy(sid, cb)` (required), `touch`
 * (recommended: without it every request that changes nothing leaves the idle timer alone), and
 * optionally `all`, `clear` and `length`. Emit `disconnect` when the backend goes away (requests
 * then run without `req.session`) and `connect` when it is back.
 */
export class Store extends EventEmitter {
  /** Builds `req.session` from what `get` returned, and returns it. */
  createSession(req: SessionRequest, saved: SessionDataLike): Session {
    const session = new Session(req, saved);
    session.cookie = restoreCookie(saved.cookie);
    req.session = session;
    return session;
  }

  /** Reads a session into a detached `Session` (`fn()` with nothing when it is missing). */
  load(sid: string, fn: (error?: unknown, session?: Session) => void): void {
    const self = this as unknown as {
      get?: (sid: string, cb: (e: unknown, s?: unknown) => void) => void;
    };
    if (typeof self.get !== 'function') {
      fn(new Error('store does not implement get()'));
      return;
    }
    self.get(sid, (error, saved) => {
      if (error) fn(error);
      else if (saved === null || typeof saved !== 'object') fn();
      else
        fn(
          undefined,
          this.createSession(
            { sessionID: sid, sessionStore: this } as unknown as SessionRequest,
            saved as SessionDataLike,
          ),
        );
    });
  }

  /** Destroys `req.session` and gives the request a new, empty one (see `Session#regenerate`). */
  regenerate(req: SessionRequest, fn: Callback): void {
    const ops = operationsOf(req);
    if (ops === undefined || req.session === null || req.session === undefined) {
      fn(new Error('regenerate() needs a request handled by session()'));
      return;
    }
    ops.regenerate(req.session, fn);
  }
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** Clock for expiry checks (ms since epoch). Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * Sessions in this process's memory, as JSON text. For development and tests only: every restart
 * logs everyone out, it does not scale past one process, and expired sessions are removed only
 * when read (a warning is emitted when it is used with NODE_ENV=production). Callbacks are
 * always asynchronous, like a real store's.
 */
export class MemoryStore extends Store {
  readonly #sessions = new Map<string, string>();
  readonly #now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    super();
    this.#now = options.now ?? Date.now;
  }

  #live(sid: string): SessionDataLike | undefined {
    const text = this.#sessions.get(sid);
    if (text === undefined) return undefined;
    const session = JSON.parse(text) as SessionDataLike;
    const expires = (session.cookie as { expires?: unknown }).expires;
    if (typeof expires === 'string' && Date.parse(expires) <= this.#now()) {
      this.#sessions.delete(sid);
      return undefined;
    }
    return session;
  }

  get(sid: string, callback: (error: unknown, session?: SessionDataLike | null) => void): void {
    const session = this.#live(sid);
    later(() => {
      callback(null, session);
    });
  }

  set(sid: string, session: object, callback?: Callback): void {
    this.#sessions.set(sid, JSON.stringify(session));
    if (callback)
      later(() => {
        callback();
      });
  }

  /** Moves the stored cookie's expiry (what the middleware calls when nothing else changed). */
  touch(sid: string, session: { cookie: object }, callback?: Callback): void {
    const current = this.#live(sid);
    if (current !== undefined) {
      current.cookie = session.cookie;
      this.#sessions.set(sid, JSON.stringify(current));
    }
    if (callback)
      later(() => {
        callback();
      });
  }

  destroy(sid: string, callback?: Callback): void {
    this.#sessions.delete(sid);
    if (callback)
      later(() => {
        callback();
      });
  }

  /** Every live session, by id. */
  all(callback: (error: unknown, sessions?: Record<string, SessionDataLike>) => void): void {
    const result: Record<string, SessionDataLike> = {};
    for (const sid of [...this.#sessions.keys()]) {
      const session = this.#live(sid);
      if (session !== undefined) result[sid] = session;
    }
    later(() => {
      callback(null, result);
    });
  }

  clear(callback?: Callback): void {
    this.#sessions.clear();
    if (callback)
      later(() => {
        callback();
      });
  }

  length(callback: (error: unknown, length?: number) => void): void {
    this.all((error, sessions) => {
      callback(error, sessions === undefined ? 0 : Object.keys(sessions).length);
    });
  }
}
