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
  // Lowercase, as node stores header names: it then finds the name without making a lowercase copy.
  const vary = varyWithCookie(headerText(res.getHeader('vary')));
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
type Hooks = Readonly<Record<Method, Fn>>;

const HOLD = Symbol('latchkey.commitHold');
type Hooked = Record<Method, Fn> & { [HOLD]?: Hold };

/**
 * One response's commit: the methods it replaced, the calls held while an asynchronous commit
 * runs, and the commit's headers until they are applied.
 *
 * The first hold on a response installs hook functions shared by every response, which find their
 * hold through a symbol property of the response: no closures per request. A second hold on the
 * same response (two session layers) gets hooks of its own, since shared ones could not tell the
 * two apart.
 */
class Hold {
  readonly #res: ServerResponse;
  readonly #commit: () => CommitResult | Promise<CommitResult>;
  readonly #onFailure: (error: unknown) => void;
  readonly #hooks: Hooks;
  // What was installed before (the prototype's methods, or another middleware's wrappers).
  readonly #writeHead: Fn;
  readonly #write: Fn;
  readonly #end: Fn;
  readonly #flushHeaders: Fn;
  /** Calls made while an asynchronous commit runs, replayed in order when it settles. */
  #held: Call[] | undefined;
  #pending: CommitResult | null = null;
  #done = false;

  constructor(
    res: ServerResponse,
    commit: () => CommitResult | Promise<CommitResult>,
    onFailure: (error: unknown) => void,
  ) {
    const target = res as unknown as Hooked;
    this.#res = res;
    this.#commit = commit;
    this.#onFailure = onFailure;
    this.#writeHead = target.writeHead;
    this.#write = target.write;
    this.#end = target.end;
    this.#flushHeaders = target.flushHeaders;
    if (target[HOLD] === undefined) {
      target[HOLD] = this;
      this.#hooks = SHARED_HOOKS;
    } else {
      this.#hooks = ownHooks(this);
    }
  }

  /** Puts the hooks in place of the response's methods. */
  install(): void {
    const target = this.#res as unknown as Hooked;
    target.writeHead = this.#hooks.writeHead;
    target.write = this.#hooks.write;
    target.end = this.#hooks.end;
    target.flushHeaders = this.#hooks.flushHeaders;
  }

  /** A call of one of the hooked methods. */
  call(method: Method, args: unknown[]): unknown {
    // Once done, a hook still reachable (through a wrapper installed after it) passes straight on.
    return this.#done ? this.#send(method, args) : this.#intercept(method, args);
  }

  /** The response's first writeHead/write/end/flushHeaders: commit, then let it through or hold it. */
  #intercept(method: Method, args: unknown[]): unknown {
    const res = this.#res;
    if (this.#held !== undefined) {
      this.#held.push({ method, args });
      return method === 'write' ? true : res;
    }
    const status = method === 'writeHead' && typeof args[0] === 'number' ? args[0] : res.statusCode;
    let outcome: CommitResult | Promise<CommitResult> | null = null;
    try {
      if (status < 500) outcome = this.#commit();
    } catch (error) {
      this.#restore();
      this.#onFailure(error);
      return method === 'write' ? false : res;
    }
    if (!(outcome instanceof Promise)) {
      this.#restore();
      if (outcome !== null && changesResponse(outcome)) this.#pending = outcome;
      return this.#send(method, args);
    }
    this.#held = [{ method, args }];
    outcome.then(
      (result) => {
        this.#restore();
        if (changesResponse(result)) this.#pending = result;
        const calls = this.#held ?? [];
        this.#held = undefined;
        for (const call of calls) this.#send(call.method, call.args);
      },
      (error: unknown) => {
        this.#restore();
        this.#held = undefined;
        this.#onFailure(error);
      },
    );
    // While the commit runs, behave as if written: chaining and stream backpressure keep working.
    return method === 'write' ? true : res;
  }

  /**
   * Puts back the methods the hooks replaced, where they are still in place: a wrapper another
   * middleware installed after this hold stays, and calls through to the hook, which passes on.
   */
  #restore(): void {
    this.#done = true;
    const target = this.#res as unknown as Hooked;
    const hooks = this.#hooks;
    if (target.writeHead === hooks.writeHead) target.writeHead = this.#writeHead;
    if (target.write === hooks.write) target.write = this.#write;
    if (target.end === hooks.end) target.end = this.#end;
    if (target.flushHeaders === hooks.flushHeaders) target.flushHeaders = this.#flushHeaders;
  }

  #original(method: Method): Fn {
    return method === 'writeHead'
      ? this.#writeHead
      : method === 'write'
        ? this.#write
        : method === 'end'
          ? this.#end
          : this.#flushHeaders;
  }

  /** Calls the original method, applying the commit's headers first if they are still due. */
  #send(method: Method, args: unknown[]): unknown {
    const res = this.#res;
    let callArgs = args;
    if (this.#pending !== null && !res.headersSent) {
      if (method === 'writeHead') callArgs = liftWriteHeadHeaders(res, args);
      applyCommit(res, this.#pending);
      this.#pending = null;
    }
    return this.#original(method).apply(res, callArgs);
  }
}

/** A shared hook: finds the response's first hold through `this`, the response. */
function sharedHook(method: Method): Fn {
  return function hooked(this: Hooked, ...args: unknown[]): unknown {
    const hold = this[HOLD];
    if (hold === undefined) {
      throw new TypeError(`res.${method}() must be called on the response`);
    }
    return hold.call(method, args);
  };
}

const SHARED_HOOKS: Hooks = {
  writeHead: sharedHook('writeHead'),
  write: sharedHook('write'),
  end: sharedHook('end'),
  flushHeaders: sharedHook('flushHeaders'),
};

/** Hooks bound to one hold, for a second hold on the same response. */
function ownHooks(hold: Hold): Hooks {
  return {
    writeHead: (...args) => hold.call('writeHead', args),
    write: (...args) => hold.call('write', args),
    end: (...args) => hold.call('end', args),
    flushHeaders: (...args) => hold.call('flushHeaders', args),
  };
}

/**
 * Intercepts the response's first writeHead/write/end/flushHeaders and runs `commit` then (unless
 * the response is a 5xx: a failed request saves nothing). A synchronous commit (nothing to write,
 * the common case) is applied at once and the call goes straight through. An asynchronous one
 * holds that call and any later ones until it settles, then replays them in order; if it fails,
 * nothing has been sent and `onFailure` answers instead.
 *
 * Once committed, the original methods are put back unless another middleware has wrapped them
 * since; its wrapper stays and keeps working.
 *
 * Hazard: after a failed commit the original methods are back in place; a stream still piping into
 * the response would write into the error response. Touch the session before starting a pipe.
 */
export function commitBeforeHeaders(
  res: ServerResponse,
  commit: () => CommitResult | Promise<CommitResult>,
  onFailure: (error: unknown) => void,
): void {
  new Hold(res, commit, onFailure).install();
}
