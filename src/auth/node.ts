import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestInfo } from '../adapters/node.js';
import type { Session } from '../core/session.js';
import type { GuardDenial, GuardRequest } from './guards.js';

/**
 * node:http glue for the guards: build the request-like object from a `withSession` request, and
 * write a denial out.
 *
 * @example
 * const result = await requireUser(guardRequest(req, sessions.trustProxy));
 * if (!result.ok) return sendDenial(res, result);
 */
export function guardRequest<D extends object>(
  req: IncomingMessage & { readonly session: Session<D> },
  trustProxy = false,
): GuardRequest<Session<D>> {
  const info = requestInfo(req, trustProxy);
  return {
    session: req.session,
    method: req.method,
    url: req.url,
    accept: req.headers.accept,
    ip: info.ip,
    userAgent: info.userAgent,
  };
}

/** Writes a guard's denial (401 JSON or 303 redirect) and ends the response. */
export function sendDenial(res: ServerResponse, denial: GuardDenial): void {
  res.statusCode = denial.status;
  for (const [name, value] of Object.entries(denial.headers)) res.setHeader(name, value);
  res.end(denial.body);
}
