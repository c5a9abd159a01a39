import { EventEmitter } from 'node:events';
import { ConfigurationError } from '../core/errors.js';
import type { Session, SessionData } from '../core/session.js';
import { isSimpleContentType } from './content-type.js';
import { checkOrigin, normalizeOrigin, type OriginPolicy } from './origin.js';
import { currentSecret, ensureSecret, maskSecret, tokenMatches } from './token.js';

/** Options of {@link createCsrf}. Every one has a safe default. */
export interface CsrfOptions {
  /**
   * The app's own origin(s), e.g. `"https://app.example.com"`: what `Origin` / `Referer` must equal
   * (scheme, host and port, exactly) when a browser sends no Fetch Metadata.
   * Default: derived per request from the Host header and the transport's scheme, which a
   * cross-site page cannot influence. Configure it behind a proxy that terminates TLS or rewrites
   * Host; Latchkey never reads X-Forwarded-* headers for this.
   * @throws ConfigurationError (from createCsrf) for anything but a bare http(s) origin.
   */
  readonly origin?: string | readonly string[];
  /**
   * Other origins allowed to send unsafe requests even though they are cross-site, e.g. a separate
   * front end at `https://admin.example.org`. Exact origins only, no wildcards. Default none.
   */
  readonly trustedOrigins?: readonly string[];
  /**
   * Accept requests a browser labels `Sec-Fetch-Site: same-site` (another subdomain of the same
   * registrable domain). Default false: a sibling subdomain (user content, a forgotten staging
   * host) is a different origin and is refused.
   */
  readonly allowSameSite?: boolean;
  /**
   * Require a token on unsafe requests (layer 2). Default true. Turning it off leaves only the
   * Fetch-Metadata/Origin check, which lets through clients that send neither header (very old
   * browsers); combine it with `json: true` routes if you do.
   */
  readonly requireToken?: boolean;
  /** Form field carrying the token. Default `"_csrf"`. */
  readonly field?: string;
  /** Header carrying the token (lower case). Default `"x-csrf-token"`. */
  readonly header?: string;
}

/** Why a request was refused. */
export type CsrfReason =
  'cross-site' | 'origin-mismatch' | 'missing-token' | 'bad-token' | 'simple-content-type';

/** The outcome of {@link Csrf.verify}. */
export type CsrfVerdict =
  { readonly ok: true } | { readonly ok: false; readonly reason: CsrfReason };

/** What {@link Csrf.verify} needs from a request; adapters build it. */
export interface CsrfRequest<D extends object = SessionData> {
  /** The HTTP method, any case. */
  readonly method: string;
  /** Reads a request header by lower-case name (the first value if repeated). */
  readonly header: (name: string) => string | undefined;
  /** True when the request arrived over TLS, as the framework sees it. Default false. */
  readonly secure?: boolean | undefined;
  /** The request path, reported in events only (never with the query string). */
  readonly path?: string | undefined;
  /** The token form field from a parsed body, when the app parsed one. */
  readonly bodyToken?: unknown;
  /**
   * The route only accepts JSON: unsafe requests with a body type a cross-site page can send
   * (text/plain, form, multipart, none) are refused as `simple-content-type` (SEC-44). Default false.
   */
  readonly json?: boolean | undefined;
  /** The request's session. Read only when a token must be checked; never written. */
  readonly session: Session<D>;
}

/** Payload of the `rejected` event. Carries no token and no session id. */
export interface CsrfRejectedEvent {
  readonly reason: CsrfReason;
  readonly method: string;
  readonly path: string | undefined;
}

/** The protection returned by {@link createCsrf}. */
export interface Csrf {
  /** The options in force, validated and frozen. */
  readonly options: ResolvedCsrfOptions;
  /**
   * Checks a request. GET, HEAD, OPTIONS and TRACE always pass without touching the session (so
   * they must not change state, SEC-41). Unsafe methods pass layer 1 (Fetch Metadata / Origin),
   * the JSON content-type rule when `json` is set, then layer 2 (token). Never throws for hostile
   * input; rejects only if the session store fails (StoreUnavailableError: answer 503).
   */
  verify<D extends object>(request: CsrfRequest<D>): Promise<CsrfVerdict>;
  /**
   * A fresh masked token for `session`: different on every call (BREACH), all valid until the
   * session ends or its user logs in again. Put it in a hidden `_csrf` field or a `<meta>` tag;
   * never in a URL. Creates the session's secret on first use, which stores an anonymous session:
   * call it on pages with forms (including the login form, SEC-45), before sending the response.
   * @throws SessionStateError after the response was sent.
   */
  token<D extends object>(session: Session<D>): Promise<string>;
  /** Listens for refused requests (for logging and alerting). A throwing listener is ignored. */
  on(event: 'rejected', listener: (event: CsrfRejectedEvent) => void): this;
  off(event: 'rejected', listener: (event: CsrfRejectedEvent) => void): this;
}

/** {@link CsrfOptions} after validation. */
export interface ResolvedCsrfOptions {
  readonly origins: readonly string[] | null;
  readonly trustedOrigins: readonly string[];
  readonly allowSameSite: boolean;
  readonly requireToken: boolean;
  readonly field: string;
  readonly header: string;
}

/** Methods that must not change state, so they need no protection. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

const DEFAULTS = {
  allowSameSite: false,
  requireToken: true,
  field: '_csrf',
  header: 'x-csrf-token',
};

function resolve(options: CsrfOptions): ResolvedCsrfOptions {
  const origin = options.origin;
  const origins =
    origin === undefined
      ? null
      : (typeof origin === 'string' ? [origin] : origin).map((o) => normalizeOrigin(o, 'origin'));
  if (origins?.length === 0) {
    throw new ConfigurationError(
      'csrf origin: the list is empty; omit the option to derive it from Host',
    );
  }
  const trustedOrigins = (options.trustedOrigins ?? []).map((o) =>
    normalizeOrigin(o, 'trustedOrigins'),
  );
  const header = (options.header ?? DEFAULTS.header).toLowerCase();
  if (!/^[a-z0-9-]+$/.test(header)) {
    throw new ConfigurationError(
      `csrf header: ${JSON.stringify(options.header)} is not a header name`,
    );
  }
  const field = options.field ?? DEFAULTS.field;
  if (typeof field !== 'string' || field === '') {
    throw new ConfigurationError('csrf field: must be a non-empty string');
  }
  return Object.freeze({
    origins: origins === null ? null : Object.freeze(origins),
    trustedOrigins: Object.freeze(trustedOrigins),
    allowSameSite: options.allowSameSite ?? DEFAULTS.allowSameSite,
    requireToken: options.requireToken ?? DEFAULTS.requireToken,
    field,
    header,
  });
}

/**
 * Creates CSRF protection: a Fetch-Metadata/Origin check that needs no work from the app, plus
 * session-bound masked tokens (OWASP CSRF Prevention Cheat Sheet: both, defence in depth). Options
 * are validated once here; a mistake throws ConfigurationError saying what to change.
 * Framework wrappers: `csrfNode`, `csrfExpress`, `csrfFastify`, `csrfHono`.
 *
 * @example
 * const csrf = createCsrf({ origin: 'https://app.example.com' });
 * // in a page handler:   `<input type="hidden" name="_csrf" value="${await csrf.token(session)}">`
 * // in a POST handler:   const verdict = await csrf.verify({ method, header, bodyToken, session });
 */
export function createCsrf(options: CsrfOptions = {}): Csrf {
  const resolved = resolve(options);
  const policy: OriginPolicy = {
    origins: resolved.origins === null ? null : new Set(resolved.origins),
    trusted: new Set(resolved.trustedOrigins),
    allowSameSite: resolved.allowSameSite,
  };
  const emitter = new EventEmitter();

  const refuse = (
    request: Pick<CsrfRequest, 'path'>,
    method: string,
    reason: CsrfReason,
  ): CsrfVerdict => {
    if (emitter.listenerCount('rejected') > 0) {
      const event: CsrfRejectedEvent = { reason, method, path: request.path };
      try {
        emitter.emit('rejected', event);
      } catch (error) {
        process.emitWarning(`latchkey: a csrf "rejected" listener threw: ${String(error)}`, {
          code: 'LATCHKEY_LISTENER_ERROR',
        });
      }
    }
    return { ok: false, reason };
  };

  const header = (request: Pick<CsrfRequest, 'header'>, name: string): string | undefined => {
    try {
      const value = request.header(name);
      return typeof value === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  };

  const csrf: Csrf = {
    options: resolved,

    async verify(request) {
      const method = request.method.toUpperCase();
      if (SAFE_METHODS.has(method)) return { ok: true };
      const read = (name: string): string | undefined => header(request, name);
      const failure = checkOrigin(policy, { header: read, secure: request.secure === true });
      if (failure !== null) return refuse(request, method, failure);
      if (request.json === true && isSimpleContentType(method, read('content-type'))) {
        return refuse(request, method, 'simple-content-type');
      }
      if (!resolved.requireToken) return { ok: true };
      const headerToken = read(resolved.header);
      const token =
        headerToken !== undefined && headerToken !== '' ? headerToken : request.bodyToken;
      if (token === undefined || token === null || token === '') {
        return refuse(request, method, 'missing-token');
      }
      const secret = await currentSecret(request.session as unknown as Session);
      if (secret === null || !tokenMatches(token, secret)) {
        return refuse(request, method, 'bad-token');
      }
      return { ok: true };
    },

    async token(session) {
      // The secret lives under a reserved key outside the app's data type.
      return maskSecret(await ensureSecret(session as unknown as Session));
    },

    on(event, listener) {
      emitter.on(event, listener);
      return this;
    },

    off(event, listener) {
      emitter.off(event, listener);
      return this;
    },
  };
  return csrf;
}
