/**
 * `latchkey/csrf`: CSRF protection in two layers, on by default for every unsafe method.
 *
 * 1. Fetch Metadata / Origin: cross-site requests are refused with no work from the app.
 * 2. Session-bound masked tokens (`_csrf` field or `x-csrf-token` header), rotated at login.
 *
 * See docs/csrf.md.
 */
export { createCsrf } from './csrf.js';
export type {
  Csrf,
  CsrfOptions,
  CsrfReason,
  CsrfRejectedEvent,
  CsrfRequest,
  CsrfVerdict,
  ResolvedCsrfOptions,
} from './csrf.js';
export { rejection } from './response.js';
export type { CsrfRejection, CsrfWrapperOptions } from './response.js';
export { SECRET_KEY } from './token.js';
export { csrfNode } from './node.js';
export { csrfExpress } from './express.js';
export { csrfFastify } from './fastify.js';
export { csrfHono } from './hono.js';
