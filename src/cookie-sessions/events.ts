import { TypedEmitter } from '../core/events.js';

/**
 * Events of sealed-cookie sessions. Same names and shapes as the server-side manager's where the
 * meaning is the same, so listeners carry over when an app switches; `rejected-token` has finer
 * reasons. Sessions are named by their public id (a prefix of a SHA-256 of the random session
 * id), never by cookie contents.
 */
export interface CookieSessionEvents {
  /** A new session was sealed into a cookie for the first time. */
  created: { readonly session: string; readonly userId: string | null };
  /** A session got a new id (login, regenerate). */
  rotated: {
    readonly from: string;
    readonly to: string;
    readonly userId: string | null;
    readonly reason: 'regenerate' | 'bind-user';
  };
  /** A session was destroyed (logout), or every session of a user was revoked (`session: "*"`). */
  destroyed: {
    readonly session: string;
    readonly userId: string | null;
    readonly reason: 'destroy' | 'revoke';
  };
  /** A request presented a sealed session past its idle or absolute deadline. */
  expired: { readonly session?: string; readonly count: number };
  /**
   * A request carried a session cookie we will not use; it reads as an empty anonymous session.
   * `malformed`: not in our format. `unknown-key`: sealed with a key no longer in the ring (or
   * never in it). `tampered`: authentication failed (a changed byte, the wrong key, or a value
   * sealed for another cookie name). `corrupt`: opened but unreadable (a bug or a future format).
   * `revoked`: ended by logout, rotation or revokeUser (only with `revocation` configured).
   */
  'rejected-token': {
    readonly reason: 'malformed' | 'unknown-key' | 'tampered' | 'corrupt' | 'revoked';
    readonly session?: string;
    readonly keyId?: string;
  };
  /** A revocation store operation failed; the request failed with StoreUnavailableError. */
  'store-error': { readonly operation: string; readonly error: unknown };
}

export type CookieSessionEventName = keyof CookieSessionEvents;
export type CookieSessionEventListener<E extends CookieSessionEventName> = (
  event: CookieSessionEvents[E],
) => void;

/** The sealed-cookie provider's emitter (the core's typed emitter over these events). */
export class CookieSessionEmitter extends TypedEmitter<CookieSessionEvents> {}
