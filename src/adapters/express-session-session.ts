import { Cookie } from './express-session-cookie.js';
import { operationsOf, type Callback, type SessionRequest } from './express-session-context.js';

const noop: Callback = () => undefined;

/**
 * `req.session`: the session's data as plain properties, its `cookie`, its read-only `id` (the same
 * as `req.sessionID`), and callback-style methods. `req` and `id` are non-enumerable, so
 * `JSON.stringify(req.session)` is exactly what a store saves: the data plus `cookie`.
 */
export class Session {
  declare readonly id: string;
  declare readonly req: SessionRequest;
  cookie!: Cookie;
  [property: string]: unknown;

  constructor(req: SessionRequest, data?: object | null) {
    Object.defineProperty(this, 'req', { value: req });
    Object.defineProperty(this, 'id', { value: req.sessionID, enumerable: false });
    if (typeof data === 'object' && data !== null) {
      for (const [key, value] of Object.entries(data)) {
        if (!(key in this)) this[key] = value;
      }
    }
  }

  /** Resets `cookie.maxAge` to `originalMaxAge` (done for you when the response starts). */
  touch(): this {
    return this.resetMaxAge();
  }

  resetMaxAge(): this {
    this.cookie.maxAge = this.cookie.originalMaxAge;
    return this;
  }

  /**
   * Saves now (normally done for you at the end of the response). With a Latchkey store only the
   * properties changed since the load are written, and a destroyed session is never brought back.
   */
  save(callback?: Callback): this {
    this.#ops().save(this, callback ?? noop);
    return this;
  }

  /** Re-reads the session from the store into a new `req.session`; errors if it is gone. */
  reload(callback?: Callback): this {
    this.#ops().reload(this, callback ?? noop);
    return this;
  }

  /** Deletes the session from the store and unsets `req.session`. */
  destroy(callback?: Callback): this {
    this.#ops().destroy(this, callback ?? noop);
    return this;
  }

  /**
   * Replaces the session with a new, empty one under a new id (the old one is destroyed). Call it
   * at login, before storing who the user is, so an id planted before login is worthless
   * (session fixation, OWASP Session Management Cheat Sheet).
   */
  regenerate(callback?: Callback): this {
    this.#ops().regenerate(this, callback ?? noop);
    return this;
  }

  #ops() {
    const ops = operationsOf(this.req);
    if (ops === undefined)
      throw new Error('this session does not belong to a request handled by session()');
    return ops;
  }
}
