import { EventEmitter } from 'node:events';

/**
 * Events the session manager emits. Sessions are named by their public id (a prefix of the
 * SHA-256 of the token), never by the token itself (SEC-07, SEC-47).
 */
export interface SessionEvents {
  /** A new session was written to the store. */
  created: { readonly session: string; readonly userId: string | null };
  /** A session got a new token (login, privilege change); the old one is dead. */
  rotated: {
    readonly from: string;
    readonly to: string;
    readonly userId: string | null;
    readonly reason: 'regenerate' | 'bind-user';
  };
  /** A session was destroyed (logout) or revoked. */
  destroyed: {
    readonly session: string;
    readonly userId: string | null;
    readonly reason: 'destroy' | 'revoke';
  };
  /** A request presented the token of an expired session, or a sweep removed expired sessions. */
  expired: { readonly session?: string; readonly count: number };
  /**
   * A request carried a session cookie we will not use: `malformed` (not a token we could have
   * issued), `unknown` (no live session: forged, revoked or expired and already removed), or
   * `corrupt` (the store holds data we cannot read).
   */
  'rejected-token': {
    readonly reason: 'malformed' | 'unknown' | 'corrupt';
    readonly session?: string;
  };
  /**
   * A request's changes were not saved because its session had ended meanwhile (logout or
   * rotation in a concurrent request). By design: an ended session is never brought back.
   */
  'write-refused': { readonly session: string };
  /** A store operation failed; the request failed with StoreUnavailableError. */
  'store-error': { readonly operation: string; readonly error: unknown };
}

export type SessionEventName = keyof SessionEvents;
export type SessionEventListener<E extends SessionEventName> = (event: SessionEvents[E]) => void;

/**
 * A typed event emitter. A listener that throws does not break the request that triggered the
 * event (hostile input must never surface as a 500): the error becomes a process warning.
 * Shared by every part that emits events (sessions, sealed-cookie sessions).
 */
export class TypedEmitter<Events extends object> {
  readonly #emitter = new EventEmitter();

  on<E extends keyof Events & string>(event: E, listener: (event: Events[E]) => void): this {
    this.#emitter.on(event, listener);
    return this;
  }

  off<E extends keyof Events & string>(event: E, listener: (event: Events[E]) => void): this {
    this.#emitter.off(event, listener);
    return this;
  }

  /** @internal */
  emit<E extends keyof Events & string>(event: E, payload: Events[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return;
    try {
      this.#emitter.emit(event, payload);
    } catch (error) {
      process.emitWarning(`latchkey: a "${event}" event listener threw: ${String(error)}`, {
        code: 'LATCHKEY_LISTENER_ERROR',
      });
    }
  }
}

/** The session manager's emitter. */
export class SessionEventEmitter extends TypedEmitter<SessionEvents> {}
