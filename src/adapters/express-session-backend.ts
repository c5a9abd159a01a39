import { restoreCookie } from './express-session-cookie.js';
import { later, type Callback, type SessionRequest } from './express-session-context.js';
import { Session } from './express-session-session.js';

/**
 * How the middleware talks to a store. Two implementations: express-session-style stores
 * (whole-session writes, below) and Latchkey stores (patches, express-session-latchkey.ts).
 */
export interface Backend {
  /** True when the store can move a session's expiry without rewriting it. */
  readonly touchable: boolean;
  /** The store's events (express-session stores are EventEmitters), if any. */
  readonly events: { on(event: string, listener: () => void): unknown } | undefined;
  /** The saved session as a new `Session` for `req`, or null when it is missing. */
  load(
    sid: string,
    req: SessionRequest,
    done: (error: unknown, session: Session | null) => void,
  ): void;
  save(sid: string, session: Session, done: Callback): void;
  touch(sid: string, session: Session, done: Callback): void;
  destroy(sid: string, done: Callback): void;
}

/** The methods an express-session store has (connect-redis, connect-pg-simple, ours). */
export interface ClassicStore {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): void;
  set(sid: string, session: object, callback?: Callback): void;
  destroy(sid: string, callback?: Callback): void;
  touch?(sid: string, session: object, callback?: Callback): void;
  on?(event: string, listener: () => void): unknown;
}

export function isClassicStore(store: unknown): store is ClassicStore {
  const s = store as Partial<Record<keyof ClassicStore, unknown>> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.get === 'function' &&
    typeof s.set === 'function' &&
    typeof s.destroy === 'function'
  );
}

/** Builds a request's `Session` from a saved object (data plus `cookie`). */
export function inflate(req: SessionRequest, saved: object): Session {
  const session = new Session(req, saved);
  session.cookie = restoreCookie((saved as { cookie?: unknown }).cookie);
  return session;
}

/** express-session semantics: the store gets and sets whole sessions. */
export function classicBackend(store: ClassicStore): Backend {
  const touch = store.touch?.bind(store);
  return {
    touchable: touch !== undefined,
    events:
      typeof store.on === 'function' ? (store as Required<Pick<ClassicStore, 'on'>>) : undefined,
    load(sid, req, done) {
      store.get(sid, (error, saved) => {
        // A store that reports "not found" as ENOENT (file stores) means no session, not a failure.
        if (error && (error as { code?: unknown }).code !== 'ENOENT') done(error, null);
        else if (error || typeof saved !== 'object' || saved === null) done(null, null);
        else done(null, inflate(req, saved));
      });
    },
    save(sid, session, done) {
      store.set(sid, session, done);
    },
    touch(sid, session, done) {
      if (touch !== undefined) touch(sid, session, done);
      else later(done);
    },
    destroy(sid, done) {
      store.destroy(sid, done);
    },
  };
}
