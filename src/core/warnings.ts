import type { ResolvedCookieOptions } from './options.js';
import type { RequestInfo } from './session.js';

const LOCAL_HOSTS = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

/** Emits the start-up warnings `resolveOptions` collected (risky but legal choices), once each. */
export function emitOptionWarnings(warnings: readonly string[]): void {
  for (const warning of warnings) {
    process.emitWarning(`latchkey: ${warning}`, { code: 'LATCHKEY_INSECURE_OPTION' });
  }
}

/**
 * SEC-17: browsers drop Secure cookies set over plain HTTP (except on localhost), so login would
 * silently fail. Returns a function that says so once per provider, with the fix, the first time a
 * cookie is set on such a request.
 */
export function insecureTransportWarning(
  cookie: ResolvedCookieOptions,
): (request: RequestInfo) => void {
  let warned = false;
  return (request) => {
    if (warned || !cookie.secure || request.secure !== false) return;
    if (request.host === undefined || LOCAL_HOSTS.test(request.host)) return;
    warned = true;
    process.emitWarning(
      `latchkey: a Secure session cookie was sent over plain HTTP to ${request.host}; browsers will drop it. ` +
        'Serve the app over HTTPS, or set trustProxy: true if a TLS proxy in front of it sets X-Forwarded-Proto.',
      { code: 'LATCHKEY_INSECURE_TRANSPORT' },
    );
  };
}
