/**
 * `latchkey/cookie-sessions`: stateless sessions sealed in an AES-256-GCM cookie, with the same
 * `Session` API as server-side sessions. See docs/cookie-sessions.md for when to choose them and
 * their limits (cookie size; a copied cookie is valid until expiry unless revocation is on).
 */
export { createCookieSessions } from './provider.js';
export type { CookieSessions } from './provider.js';
export type { CookieSessionOptions, RevocationOptions } from './options.js';
export type { SecretInput } from './keyring.js';
export { MIN_SECRET_BYTES } from './keyring.js';
export { CookieTooLargeError } from './errors.js';
export type {
  CookieSessionEvents,
  CookieSessionEventName,
  CookieSessionEventListener,
} from './events.js';
export { SealedSession } from './session.js';
