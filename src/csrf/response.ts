import type { CsrfReason } from './csrf.js';

/** Words for people; the machine-readable reason is the `reason` field. */
const EXPLANATION: Record<CsrfReason, string> = {
  'cross-site': 'the request came from another site',
  'origin-mismatch': 'the request came from an origin this app does not trust',
  'missing-token': 'the form or request carried no CSRF token',
  'bad-token': 'the CSRF token is invalid or expired; reload the page and try again',
  'simple-content-type': 'this endpoint only accepts application/json',
};

/** A 403 response for a refused request. */
export interface CsrfRejection {
  readonly status: 403;
  readonly contentType: string;
  readonly body: string;
}

/**
 * The 403 every wrapper sends: JSON `{ "error": "csrf", "reason": "<reason>" }`, or a short text for
 * a client that asks for HTML. Built only from the reason, so it never echoes the submitted token
 * or any other request data.
 */
export function rejection(reason: CsrfReason, accept: string | undefined): CsrfRejection {
  const wantsHtml = accept !== undefined && /\btext\/html\b/i.test(accept);
  if (wantsHtml) {
    return {
      status: 403,
      contentType: 'text/plain; charset=utf-8',
      body: `Forbidden: ${EXPLANATION[reason]} (csrf: ${reason}).`,
    };
  }
  return {
    status: 403,
    contentType: 'application/json; charset=utf-8',
    body: JSON.stringify({ error: 'csrf', reason }),
  };
}

/** Options shared by the framework wrappers. */
export interface CsrfWrapperOptions {
  /** The routes accept only JSON bodies (SEC-44); see `CsrfRequest.json`. Default false. */
  readonly json?: boolean;
}

/** The path of a request target without its query string (events must not carry query data). */
export function pathOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const end = url.search(/[?#]/);
  return end === -1 ? url : url.slice(0, end);
}
