import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parse } from 'cookie';
import { Cookie, type CookieOptions } from './express-session-cookie.js';
import {
  attachOperations,
  later,
  type Callback,
  type SessionRequest,
} from './express-session-context.js';
import {
  normalizeOptions,
  secretsOf,
  warnInsecureDefaults,
  type Config,
  type SessionOptions,
} from './express-session-options.js';
import { Session } from './express-session-session.js';
import { signId, unsignId, type Secret } from './express-session-signature.js';

/**
 * Connect/Express middleware, typed on node's request so it fits Express 4 and 5 and Connect
 * whatever `req.session` type the app declares (`@types/express-session` included).
 */
export type SessionMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The session's data without its cookie, as one string: a change of it is a modification. */
function fingerprint(session: Session): string {
  return JSON.stringify(session, function (this: unknown, key, value: unknown) {
    return this === session && key === 'cookie' ? undefined : value;
  });
}

/** Whether the request came over TLS, by the `proxy` option (or Express's `trust proxy`). */
function isSecure(req: SessionRequest, proxy: boolean | undefined): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted === true) return true;
  if (proxy === false) return false;
  if (proxy !== true) return req.secure === true;
  const header = req.headers['x-forwarded-proto'];
  const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0];
  return first?.trim().toLowerCase() === 'https';
}

/** The session id from the signed cookie, or undefined (absent, unsigned or forged). */
function readId(req: SessionRequest, name: string, secrets: readonly Secret[]): string | undefined {
  const header = req.headers.cookie;
  if (header === undefined) return undefined;
  const raw = parse(header)[name];
  return raw === undefined ? undefined : unsignId(raw, secrets);
}

function pathname(req: SessionRequest): string {
  const url = req.originalUrl ?? req.url ?? '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Builds the middleware; see `session()` in express-session.ts. */
export function createSessionMiddleware(options: SessionOptions = {}): SessionMiddleware {
  const config = normalizeOptions(options);
  warnInsecureDefaults(config);
  let storeReady = true;
  config.backend.events?.on('disconnect', () => {
    storeReady = false;
  });
  config.backend.events?.on('connect', () => {
    storeReady = true;
  });
  return function session(message, res, next) {
    // Typed loosely on purpose: an app's Request may carry another package's `session` type.
    const req = message as SessionRequest;
    if (req.session) {
      next();
      return;
    }
    // Requests while the store is away run without a session, as in express-session.
    if (!storeReady) {
      next();
      return;
    }
    const cookieOptions = typeof config.cookie === 'function' ? config.cookie(req) : config.cookie;
    if (!pathname(req).startsWith(cookieOptions.path ?? '/')) {
      next();
      return;
    }
    let secrets: readonly Secret[] | undefined;
    try {
      secrets = config.secrets ?? secretsOf(req.secret);
    } catch (error) {
      next(error);
      return;
    }
    if (secrets === undefined) {
      next(new Error('secret option required for sessions'));
      return;
    }
    handle(config, cookieOptions, secrets, req, res, next);
  };
}

/** One request: load or create the session, set the cookie with the headers, save at the end. */
function handle(
  config: Config,
  cookieOptions: CookieOptions,
  secrets: readonly Secret[],
  req: SessionRequest,
  res: ServerResponse,
  next: (error?: unknown) => void,
): void {
  const { backend } = config;
  req.sessionStore = config.store;
  const cookieId = readId(req, config.name, secrets);
  req.sessionID = cookieId;
  let originalId: string | undefined;
  let originalHash: string | undefined;
  let savedHash: string | undefined;
  let touched = false;

  const generate = (): void => {
    req.sessionID = config.genid(req);
    const fresh = new Session(req);
    fresh.cookie = new Cookie(cookieOptions);
    if (cookieOptions.secure === 'auto') fresh.cookie.secure = isSecure(req, config.proxy);
    if (cookieOptions.sameSite === 'auto') {
      fresh.cookie.sameSite = isSecure(req, config.proxy) ? 'none' : 'lax';
    }
    req.session = fresh;
  };
  const isModified = (s: Session): boolean =>
    originalId !== s.id || originalHash !== fingerprint(s);
  const isSaved = (s: Session): boolean => originalId === s.id && savedHash === fingerprint(s);
  const hasId = (): boolean => typeof req.sessionID === 'string';
  const shouldSave = (s: Session): boolean =>
    hasId() &&
    (!config.saveUninitialized && cookieId !== req.sessionID ? isModified(s) : !isSaved(s));
  const shouldSetCookie = (s: Session): boolean => {
    if (!hasId()) return false;
    if (cookieId !== req.sessionID) return config.saveUninitialized || isModified(s);
    return config.rolling || (s.cookie.expires !== null && isModified(s));
  };

  const save = (s: Session, done: Callback): void => {
    if (s === req.session) savedHash = fingerprint(s);
    backend.save(s.id, s, done);
  };
  attachOperations(req, {
    save,
    reload(s, done) {
      backend.load(s.id, req, (error, loaded) => {
        if (error) done(error);
        else if (loaded === null) done(new Error('failed to load session'));
        else {
          req.session = loaded;
          done();
        }
      });
    },
    destroy(s, done) {
      delete req.session;
      backend.destroy(s.id, done);
    },
    regenerate(s, done) {
      backend.destroy(req.sessionID ?? s.id, (error) => {
        generate();
        done(error);
      });
    },
  });

  // Set-Cookie is decided when the headers go out (every header path goes through writeHead).
  const writeHead = res.writeHead.bind(res);
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    res.writeHead = writeHead;
    const s = req.session;
    if (s && shouldSetCookie(s) && !(s.cookie.secure === true && !isSecure(req, config.proxy))) {
      if (!touched) {
        s.touch();
        touched = true;
      }
      const [signer] = secrets;
      if (signer !== undefined && typeof req.sessionID === 'string') {
        res.appendHeader(
          'Set-Cookie',
          s.cookie.serialize(config.name, signId(req.sessionID, signer)),
        );
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse)(...args);
  };

  // The store write finishes before the response does, so the next request sees it.
  const end = res.end.bind(res);
  let ending = false;
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    if (ending) return this;
    ending = true;
    const finish = (error?: unknown): void => {
      res.end = end;
      if (error)
        later(() => {
          next(error);
        });
      (end as (...a: unknown[]) => ServerResponse)(...args);
    };
    const s = req.session;
    if (hasId() && config.unsetDestroy && (s === undefined || s === null)) {
      backend.destroy(req.sessionID as string, finish);
    } else if (!s) {
      finish();
    } else {
      if (!touched) {
        s.touch();
        touched = true;
      }
      if (shouldSave(s)) save(s, finish);
      else if (backend.touchable && hasId() && cookieId === req.sessionID)
        backend.touch(s.id, s, finish);
      else finish();
    }
    return this;
  } as ServerResponse['end'];

  const start = (): void => {
    originalId = req.sessionID;
    originalHash = req.session ? fingerprint(req.session) : undefined;
  };
  if (cookieId === undefined) {
    generate();
    start();
    next();
    return;
  }
  backend.load(cookieId, req, (error, loaded) => {
    if (error) {
      next(error);
      return;
    }
    if (loaded === null) generate();
    else req.session = loaded;
    start();
    if (loaded !== null && !config.resave) savedHash = originalHash;
    next();
  });
}
