import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ConfigurationError } from '../core/errors.js';
import type { Session, SessionData } from '../core/session.js';
import type { Csrf } from './csrf.js';
import { pathOf, rejection, type CsrfWrapperOptions } from './response.js';

/** A request whose session was attached by `withSession` (latchkey/node). */
type RequestWithSession<D extends object = SessionData> = IncomingMessage & {
  readonly session: Session<D>;
};

/** Reads a node:http header by lower-case name, first value only. */
export function nodeHeader(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * CSRF protection for node:http handlers wrapped in `withSession`. The returned function checks
 * the request and, when it is refused, sends the 403 and resolves to false: stop handling then.
 * Pass the `_csrf` field of the form you parsed as `bodyToken`; fetch callers send the
 * `x-csrf-token` header instead. Safe methods always resolve to true without touching the session.
 *
 * The scheme used to derive the app's origin (when `origin` is not configured) is the socket's:
 * behind a TLS-terminating proxy configure `origin`.
 *
 * @example
 * const protect = csrfNode(csrf);
 * http.createServer(withSession(sessions, async (req, res) => {
 *   const form = await readForm(req);
 *   if (!(await protect(req, res, form.get('_csrf')))) return;
 *   // ... the request is genuine
 * }));
 * @throws (rejects with) StoreUnavailableError when the session cannot be read (withSession
 *   answers 503), and ConfigurationError when `req.session` is missing (not wrapped in withSession).
 */
export function csrfNode(
  csrf: Csrf,
  options: CsrfWrapperOptions = {},
): <D extends object>(
  req: RequestWithSession<D>,
  res: ServerResponse,
  bodyToken?: unknown,
) => Promise<boolean> {
  const json = options.json === true;
  return async (req, res, bodyToken) => {
    const session = (req as Partial<RequestWithSession>).session;
    if (typeof session !== 'object' || session === null || typeof session.get !== 'function') {
      throw new ConfigurationError(
        'csrfNode: req.session is not a Latchkey session; wrap the handler with withSession(sessions, handler) from latchkey/node',
      );
    }
    const verdict = await csrf.verify({
      method: req.method ?? 'GET',
      header: (name) => nodeHeader(req, name),
      secure: (req.socket as Partial<TLSSocket>).encrypted === true,
      path: pathOf(req.url),
      bodyToken,
      json,
      session,
    });
    if (verdict.ok) return true;
    const reply = rejection(verdict.reason, nodeHeader(req, 'accept'));
    res.statusCode = reply.status;
    res.setHeader('Content-Type', reply.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(reply.body);
    return false;
  };
}
