import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { CommitResult } from '../core/session.js';

/**
 * Shared by the adapters built on node's ServerResponse (node:http, Express): holds the response
 * until the session is committed, so the store write finishes, and Set-Cookie lands, before any
 * header leaves the process. If the commit fails, nothing of the app's response has been sent and
 * `onFailure` can answer 503 instead.
 */

/** Adds `Cookie` to the Vary header, keeping what is there. */
export function addVaryCookie(res: ServerResponse): void {
  const current = res.getHeader('Vary');
  const value = Array.isArray(current)
    ? current.join(', ')
    : current === undefined
      ? ''
      : String(current);
  if (value.trim() === '*' || /(^|,)\s*cookie\s*(,|$)/i.test(value)) return;
  res.setHeader('Vary', value === '' ? 'Cookie' : `${value}, Cookie`);
}

/** Puts a commit's headers on a response that has not started. */
export function applyCommit(res: ServerResponse, result: CommitResult): void {
  if (result.setCookie !== null) res.appendHeader('Set-Cookie', result.setCookie);
  if (result.vary) addVaryCookie(res);
  if (result.cacheControl !== null) res.setHeader('Cache-Control', result.cacheControl);
}

type Method = 'writeHead' | 'write' | 'end' | 'flushHeaders';
const METHODS: readonly Method[] = ['writeHead', 'write', 'end', 'flushHeaders'];

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

/**
 * Intercepts the response's first writeHead/write/end/flushHeaders, runs `commit` (unless the
 * response is a 5xx: a failed request saves nothing), then replays the calls in order.
 */
export function commitBeforeHeaders(
  res: ServerResponse,
  commit: () => CommitResult | Promise<CommitResult>,
  onFailure: (error: unknown) => void,
): void {
  // Whatever is installed now (the prototype's methods, or another middleware's wrappers) is put
  // back untouched once the commit is done.
  const target = res as unknown as Record<Method, (...args: unknown[]) => unknown>;
  const original = Object.fromEntries(METHODS.map((m) => [m, target[m]])) as Record<
    Method,
    (...args: unknown[]) => unknown
  >;
  const queue: { method: Method; args: unknown[] }[] = [];
  let state: 'waiting' | 'committing' | 'done' = 'waiting';

  const restore = (): void => {
    for (const method of METHODS) target[method] = original[method];
  };

  const replay = (result: CommitResult | null): void => {
    restore();
    state = 'done';
    let applied = false;
    const applyOnce = (): void => {
      if (applied || result === null || res.headersSent) return;
      applied = true;
      applyCommit(res, result);
    };
    for (const { method, args } of queue.splice(0)) {
      const callArgs = method === 'writeHead' ? liftWriteHeadHeaders(res, args) : args;
      applyOnce();
      original[method].apply(res, callArgs);
    }
  };

  const fail = (error: unknown): void => {
    restore();
    state = 'done';
    queue.length = 0;
    onFailure(error);
  };

  const start = (status: number): void => {
    state = 'committing';
    if (status >= 500) {
      replay(null);
      return;
    }
    let result: CommitResult | Promise<CommitResult>;
    try {
      result = commit();
    } catch (error) {
      fail(error);
      return;
    }
    if (result instanceof Promise) result.then(replay, fail);
    else replay(result);
  };

  for (const method of METHODS) {
    target[method] = function intercepted(...args: unknown[]): unknown {
      if (state === 'done') return original[method].apply(res, args);
      queue.push({ method, args });
      if (state === 'waiting')
        start(method === 'writeHead' && typeof args[0] === 'number' ? args[0] : res.statusCode);
      // While the commit runs, behave as if written: chaining and stream backpressure keep working.
      return method === 'write' ? true : res;
    };
  }
}
