import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { StoreUnavailableError } from '../core/errors.js';
import type { RequestInfo, Session, SessionData, SessionProvider } from '../core/session.js';
import { commitBeforeHeaders } from './commit-response.js';
import { DeferredRequestInfo, type RequestFacts } from './deferred-request-info.js';
import { rawCookieHeader } from './raw-cookie.js';

/** A node:http request with its session attached by {@link withSession}. */
export type SessionRequest<Data extends object = SessionData> = IncomingMessage & {
  readonly session: Session<Data>;
};

export type SessionHandler<Data extends object = SessionData> = (
  req: SessionRequest<Data>,
  res: ServerResponse,
) => void | Promise<void>;

/** Options of {@link withSession}. */
export interface NodeAdapterOptions {
  /**
   * Renders an error thrown by the handler or by the session commit, when the response has not
   * started. Default: 503 for StoreUnavailableError (with Retry-After: 1), otherwise 500 and the
   * error logged with console.error. Bodies are plain text and never echo request data.
   */
  readonly onError?: (error: unknown, req: IncomingMessage, res: ServerResponse) => void;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * What the core needs to know about a node:http request. With `trustProxy`, the scheme comes from
 * X-Forwarded-Proto and the client address from the last X-Forwarded-For hop (the one the proxy
 * added; earlier hops are whatever the client claimed).
 */
export function requestInfo(req: IncomingMessage, trustProxy: boolean): RequestInfo {
  const { headers } = req;
  let secure = (req.socket as Partial<TLSSocket>).encrypted === true;
  let ip = req.socket.remoteAddress;
  if (trustProxy) {
    const proto = first(headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
    if (proto !== undefined) secure = proto === 'https';
    const forwarded = first(headers['x-forwarded-for'])?.split(',').pop()?.trim();
    if (forwarded) ip = forwarded;
  }
  return {
    cookie: headers.cookie,
    ip,
    userAgent: first(headers['user-agent']),
    secure,
    host: headers.host,
  };
}

/**
 * The same facts as {@link requestInfo}, read only when the core asks for them. The Cookie header
 * comes straight from `rawHeaders`, so a request never builds node's `headers` object on our
 * account (a measurable cost on a server that would not otherwise touch it); the client address,
 * user agent, host and scheme are read only when a session is created or a cookie is set.
 */
export class LazyRequestInfo extends DeferredRequestInfo {
  readonly #req: IncomingMessage;
  readonly #trustProxy: boolean;
  readonly #resolve: (req: IncomingMessage, trustProxy: boolean) => RequestFacts;

  /**
   * @param resolve computes every fact but the cookie when first needed (default
   *   {@link requestInfo}); frameworks pass their own to use their proxy settings.
   */
  constructor(
    req: IncomingMessage,
    trustProxy: boolean,
    resolve: (req: IncomingMessage, trustProxy: boolean) => RequestFacts = requestInfo,
  ) {
    super();
    this.#req = req;
    this.#trustProxy = trustProxy;
    this.#resolve = resolve;
  }

  get cookie(): string | undefined {
    return rawCookieHeader(this.#req.rawHeaders);
  }

  protected facts(): RequestFacts {
    return this.#resolve(this.#req, this.#trustProxy);
  }
}

/** The default error response: 503 for store outages, 500 otherwise. */
export function sendError(error: unknown, res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy(error instanceof Error ? error : undefined);
    return;
  }
  const unavailable = error instanceof StoreUnavailableError;
  if (!unavailable) console.error(error);
  for (const name of res.getHeaderNames()) res.removeHeader(name);
  res.statusCode = unavailable ? 503 : 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  if (unavailable) res.setHeader('Retry-After', '1');
  res.end(unavailable ? 'Service Unavailable' : 'Internal Server Error');
}

/**
 * Wraps a node:http handler so it finds its session at `req.session`. The session is loaded
 * lazily (only if the handler uses it) and committed before the response headers are sent, so
 * Set-Cookie always lands; a store failure becomes a 503 instead of a response sent as if saved.
 *
 * @example
 * http.createServer(withSession(sessions, async (req, res) => {
 *   const views = ((await req.session.get('views')) ?? 0) + 1;
 *   await req.session.set('views', views);
 *   res.end(`views: ${views}`);
 * }));
 */
export function withSession<Data extends object = SessionData>(
  sessions: SessionProvider<Data>,
  handler: SessionHandler<Data>,
  options: NodeAdapterOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const onError =
    options.onError ??
    ((error, _req, res) => {
      sendError(error, res);
    });
  const { trustProxy } = sessions;
  return (req, res) => {
    const session = sessions.fromRequest(new LazyRequestInfo(req, trustProxy));
    (req as { session?: Session<Data> }).session = session;
    commitBeforeHeaders(
      res,
      () => sessions.commit(session),
      (error) => {
        onError(error, req, res);
      },
    );
    let result: void | Promise<void>;
    try {
      result = handler(req as SessionRequest<Data>, res);
    } catch (error) {
      onError(error, req, res);
      return;
    }
    if (result instanceof Promise) {
      result.catch((error: unknown) => {
        onError(error, req, res);
      });
    }
  };
}
