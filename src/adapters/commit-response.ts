import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CommitResult } from '../core/session.js';
import { changesResponse } from './commit-result.js';
import { headerText, varyWithCookie } from './vary.js';

/**
 * Shared by the adapters built on node's ServerResponse (node:http, Express): holds the response
 * until the session is committed, so the store write finishes, and Set-Cookie lands, before any
 * header leaves the process. If the commit fails, nothing of the app's response has been sent and
 * `onFailure` can answer 503 instead.
 */

/** Adds `Cookie` to the Vary header, keeping what is there. */
export function addVaryCookie(res: ServerResponse): void {
  const vary = varyWithCookie(headerText(res.getHeader('Vary')));
  if (vary !== null) res.setHeader('Vary', vary);
}

/** Puts a commit's headers on a response that has not started. */
export function applyCommit(res: ServerResponse, result: CommitResult): void {
  if (result.setCookie !== null) res.appendHeader('Set-Cookie', result.setCookie);
  if (result.vary) addVaryCookie(res);
  if (result.cacheControl !== null) res.setHeader('Cache-Control', result.cacheControl);
}

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders';

/** Moves headers passed to writeHead() onto the response, so ours merge with them instead of losing. */
function liftWriteHeadHeaders(res: ServerResponse, args: unknown[]): unknown[] {
  const [status, second, third] = args;
  const message = typeof second === 'string' ? second : undefined;
  const headers = (typeof second === 'string' ? third : second) as
    OutgoingHttpHeaders | unknown[] | undefined;
  const put = (name: string, value: unknown): void => {
    if (name.toLowerCase() === 'set-cookie')
      res.appendHeader('Set-Cookie', value as string | string[]);
    else res.setHeader(name, value as string | number | readonly string[]);
  };
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) put(String(headers[i]), headers[i + 1]);
  } else if (headers !== undefined && headers !== null) {
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) put(name, value);
  }
  return message === undefined ? [status] : [status, message];
}

type Call = { readonly method: Method; readonly args: unknown[] };
type Fn = (...args: unknown[]) => unknown;

/**
 * Intercepts the response's first writeHead/write/end/flushHeaders and runs `commit` then (unless
 * the response is a 5xx: a failed request saves nothing). A synchronous commit (nothing to write,
 * the common case) is applied at once and the call goes straight through. An asynchronous one
 * holds that call and any later ones until it settles, then replays them in order; if it fails,
 * nothing has been sent and `onFailure` answers instead.
 *
 * Hazard: after a failed commit the original methods are back in place; a stream still piping into
 * the response would write into the error response. Touch the session before starting a pipe.
 */
export function commitBeforeHeaders(
  res: ServerResponse,
  commit: () => CommitResult | Promise<CommitResult>,
  onFailure: (error: unknown) => void,
): void {
  // Whatever is installed now (the prototype's methods, or another middleware's wrappers) is put
  // back untouched once the commit is done.
  const target = res as unknown as Record<Method, Fn>;
  const writeHead = target.writeHead;
  const write = target.write;
  const end = target.end;
  const flushHeaders = target.flushHeaders;
  const originalOf = (method: Method): Fn =>
    method === 'writeHead'
      ? writeHead
      : method === 'write'
        ? write
        : method === 'end'
          ? end
          : flushHeaders;
  let held: Call[] | undefined;
  let pending: CommitResult | null = null;

  const restore = (): void => {
    target.writeHead = writeHead;
    target.write = write;
    target.end = end;
    target.flushHeaders = flushHeaders;
  };

  /** Calls the original method, applying the commit's headers first if they are still due. */
  const send = (method: Method, args: unknown[]): unknown => {
    let callArgs = args;
    if (pending !== null && !res.headersSent) {
      if (method === 'writeHead') callArgs = liftWriteHeadHeaders(res, args);
      applyCommit(res, pending);
      pending = null;
    }
    return originalOf(method).apply(res, callArgs);
  };

  const intercept = (method: Method): Fn =>
    function intercepted(...args: unknown[]): unknown {
      if (held !== undefined) {
        held.push({ method, args });
        return method === 'write' ? true : res;
      }
      const status =
        method === 'writeHead' && typeof args[0] === 'number' ? args[0] : res.statusCode;
      let outcome: CommitResult | Promise<CommitResult> | null = null;
      try {
        if (status < 500) outcome = commit();
      } catch (error) {
        restore();
        onFailure(error);
        return method === 'write' ? false : res;
      }
      if (!(outcome instanceof Promise)) {
        restore();
        if (outcome !== null && changesResponse(outcome)) pending = outcome;
        return send(method, args);
      }
      held = [{ method, args }];
      outcome.then(
        (result) => {
          restore();
          if (changesResponse(result)) pending = result;
          const calls = held ?? [];
          held = undefined;
          for (const call of calls) send(call.method, call.args);
        },
        (error: unknown) => {
          restore();
          held = undefined;
          onFailure(error);
        },
      );
      // While the commit runs, behave as if written: chaining and stream backpressure keep working.
      return method === 'write' ? true : res;
    };

  target.writeHead = intercept('writeHead');
  target.write = intercept('write');
  target.end = intercept('end');
  target.flushHeaders = intercept('flushHeaders');
}
