import { EventEmitter } from 'node:events';

/**
 * Events of the auth module, for audit logs and alerting. They name sessions by public id and
 * accounts by user id or by a keyed hash of the login name typed (`account`); never passwords,
 * tokens or raw login names.
 */
export interface AuthEvents {
  'login-succeeded': {
    readonly userId: string;
    readonly session: string | null;
    readonly method: string;
    readonly rememberMe: boolean;
    /** True when the stored hash was upgraded to the current parameters (SEC-50). */
    readonly rehashed: boolean;
  };
  /**
   * A login (or password confirmation) failed. The caller always gets the same answer; the reason
   * is for the operator only. `session-limit` is the refusal of `maxSessionsPerUser`.
   */
  'login-failed': {
    readonly reason:
      | 'unknown-user'
      | 'bad-password'
      | 'disabled'
      | 'no-password'
      | 'invalid-input'
      | 'session-limit';
    readonly userId: string | null;
    readonly account: string;
  };
  /** An attempt was refused by throttling (SEC-46/53). `retryAfter` in seconds. */
  throttled: {
    readonly scope: 'account' | 'ip';
    readonly retryAfter: number;
    readonly account: string;
  };
  logout: { readonly userId: string | null; readonly session: string | null };
  'password-changed': { readonly userId: string; readonly by: 'user' | 'reset' };
  /**
   * Sessions of a user were ended on purpose; `count` may include already-expired ones, and is
   * null when the session manager cannot count them (sealed cookies).
   */
  'sessions-revoked': {
    readonly userId: string;
    readonly count: number | null;
    readonly reason:
      | 'logout-everywhere'
      | 'password-changed'
      | 'user-disabled'
      | 'revoke'
      | 'session-limit'
      | 'credential-mismatch'
      | 'user-gone'
      | 'binding';
  };
  /** A session was used from another User-Agent or network than it was created from (SEC-48). */
  'binding-changed': {
    readonly userId: string;
    readonly session: string | null;
    readonly changed: readonly ('userAgent' | 'network')[];
    readonly action: 'log' | 'rotate' | 'end';
  };
}

export type AuthEventName = keyof AuthEvents;
export type AuthEventListener<E extends AuthEventName> = (event: AuthEvents[E]) => void;

/** @internal Typed emitter; a listener that throws becomes a process warning, never a failed request. */
export class AuthEventEmitter {
  readonly #emitter = new EventEmitter();

  on<E extends AuthEventName>(event: E, listener: AuthEventListener<E>): void {
    this.#emitter.on(event, listener);
  }

  off<E extends AuthEventName>(event: E, listener: AuthEventListener<E>): void {
    this.#emitter.off(event, listener);
  }

  emit<E extends AuthEventName>(event: E, payload: AuthEvents[E]): void {
    if (this.#emitter.listenerCount(event) === 0) return;
    try {
      this.#emitter.emit(event, payload);
    } catch (error) {
      process.emitWarning(`latchkey: an auth "${event}" listener threw: ${String(error)}`, {
        code: 'LATCHKEY_LISTENER_ERROR',
      });
    }
  }
}
