import { LatchkeyError } from '../core/errors.js';

/**
 * The sealed session does not fit in one cookie (browsers drop a Set-Cookie over 4096 bytes,
 * SEC-14). Thrown by `commit`, so the adapter answers 500 and sends no cookie: the client keeps
 * its previous one rather than silently losing the session. The message names the size.
 * Keep large values server-side (`createSessions` with a store) and only small ones in the cookie.
 */
export class CookieTooLargeError extends LatchkeyError {
  override name = 'CookieTooLargeError';
}
