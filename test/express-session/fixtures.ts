/**
 * Shared by the express-session tests: the real express-session and connect-redis (loaded without
 * their type declarations, which would augment Express's Request for this whole program), both
 * Express majors, and an app written the way express-session's README writes apps.
 */
import { createRequire } from 'node:module';
import express5 from 'express';
import session from '../../src/adapters/express-session.js';
import { Client, listen, parseSetCookie, type TestServer } from '../helpers/http.js';

const require = createRequire(import.meta.url);

export type Express = typeof express5;
export type App = ReturnType<Express>;
type Handler = Parameters<App['use']>[0];

/** `session(options)` of either implementation. */
export type SessionFactory = (options: object) => Handler;

/** The real express-session 1.x (the reference we must match). */
export const real = require('express-session') as SessionFactory & {
  MemoryStore: new () => object;
};
export const ours = session as unknown as SessionFactory;
export const express4 = require('express4') as Express;
export { express5 };
export const EXPRESSES: readonly (readonly [string, Express])[] = [
  ['express 5', express5],
  ['express 4', express4],
];

/** connect-redis 9 (an express-session store), constructed with a node-redis client. */
export const RedisStore = (require('connect-redis') as { RedisStore: new (o: object) => object })
  .RedisStore;

/** `req.session` as an app written for express-session uses it. */
export interface Sess {
  [key: string]: unknown;
  readonly id: string;
  cookie: { maxAge: number | null; originalMaxAge: number | null; expires: Date | null | false };
  regenerate(cb: (error?: unknown) => void): void;
  destroy(cb: (error?: unknown) => void): void;
  reload(cb: (error?: unknown) => void): void;
  save(cb?: (error?: unknown) => void): void;
  touch(): void;
}

export interface SessReq {
  session?: Sess | null;
  sessionID?: string;
  sessionStore?: unknown;
  query: Record<string, unknown>;
}

export const sreq = (req: unknown): SessReq => req as SessReq;
export const sess = (req: unknown): Sess => {
  const s = sreq(req).session;
  if (s === undefined || s === null) throw new Error('no session');
  return s;
};

/**
 * A small app written for express-session, in the README's callback style: a view counter, login
 * with regenerate + save, logout, destroy, reload, touch, and a page that leaves the session alone.
 */
export function readmeApp(express: Express, factory: SessionFactory, options: object): App {
  const app = express();
  app.use(factory(options));
  app.get('/views', (req, res) => {
    const s = sess(req);
    s.views = typeof s.views === 'number' ? s.views + 1 : 1;
    res.json({ views: s.views, id: sreq(req).sessionID, same: s.id === sreq(req).sessionID });
  });
  // To 10 s: the two apps compared run a moment apart, and with a fixed `expires` the remaining
  // lifetime differs by that moment; every configured lifetime is 5 s from a bucket boundary.
  const toTenSeconds = (ms: number): number => Math.round(ms / 10_000) * 10;
  app.get('/peek', (req, res) => {
    const s = sreq(req).session;
    res.json({
      hasSession: s !== undefined && s !== null,
      views: s?.views ?? null,
      user: s?.user ?? null,
      maxAge:
        s?.cookie.maxAge === null || s === null || s === undefined
          ? null
          : toTenSeconds(s.cookie.maxAge ?? 0),
      originalMaxAge:
        s?.cookie.originalMaxAge == null ? null : toTenSeconds(s.cookie.originalMaxAge),
      storeIsSet: sreq(req).sessionStore !== undefined,
    });
  });
  app.get('/noop', (_req, res) => {
    res.send('ok');
  });
  app.post('/login', (req, res, next) => {
    const user = typeof req.query.user === 'string' ? req.query.user : '';
    sess(req).regenerate((error) => {
      if (error) {
        next(error);
        return;
      }
      sess(req).user = user;
      sess(req).save((error2) => {
        if (error2) next(error2);
        else res.redirect('/');
      });
    });
  });
  app.post('/logout', (req, res, next) => {
    sess(req).user = null;
    sess(req).save((error) => {
      if (error) {
        next(error);
        return;
      }
      sess(req).regenerate((error2) => {
        if (error2) next(error2);
        else res.redirect('/');
      });
    });
  });
  app.post('/destroy', (req, res, next) => {
    sess(req).destroy((error) => {
      if (error) next(error);
      else res.json({ gone: sreq(req).session === undefined });
    });
  });
  app.get('/reload', (req, res) => {
    const s = sess(req);
    s.views = 1000; // dropped by the reload
    s.reload((error) => {
      res.json({
        error: error instanceof Error ? error.message : null,
        views: sreq(req).session?.views ?? null,
      });
    });
  });
  app.get('/unset', (req, res) => {
    sess(req).views = 'changed';
    delete sreq(req).session;
    res.send('unset');
  });
  app.get('/touch', (req, res) => {
    const s = sess(req);
    s.cookie.maxAge = 5000;
    s.touch();
    res.json({ maxAge: Math.round((s.cookie.maxAge ?? 0) / 1000) });
  });
  return app;
}

/** Starts `app` on a real server; the caller closes it. */
export function serve(app: App): Promise<TestServer> {
  return listen(app);
}

/** Lets `count` requests reach a handler, then releases them together (a deterministic race). */
export class Barrier {
  #waiting: (() => void)[] = [];
  #needed = 0;
  #arrived: (() => void) | undefined;

  /** Arms the barrier for `count` requests; resolves when they have all arrived (and run). */
  arm(count: number): Promise<void> {
    this.#needed = count;
    return new Promise((resolve) => {
      this.#arrived = resolve;
    });
  }

  /** Called by a handler: runs `go` now when unarmed, else when the last request arrives. */
  pass(go: () => void): void {
    if (this.#needed === 0) {
      go();
      return;
    }
    this.#waiting.push(go);
    if (this.#waiting.length === this.#needed) {
      const all = this.#waiting;
      this.#waiting = [];
      this.#needed = 0;
      for (const run of all) run();
      this.#arrived?.();
    }
  }
}

export const SECRET = 'keyboard cat, but 32 bytes long!!';

/** Requests of the script every configuration runs. */
export const SCRIPT: readonly (readonly [string, string, Record<string, string>?])[] = [
  ['GET', '/noop'],
  ['GET', '/views'],
  ['GET', '/views'],
  ['GET', '/peek'],
  ['GET', '/noop'],
  ['GET', '/touch'],
  ['GET', '/reload'],
  ['POST', '/login?user=ada'],
  ['GET', '/peek'],
  ['GET', '/unset'],
  ['GET', '/peek'],
  ['POST', '/logout'],
  ['GET', '/peek'],
  ['GET', '/views', { 'x-forwarded-proto': 'https' }],
  ['POST', '/destroy'],
  ['GET', '/peek'],
  ['GET', '/views'],
];

/** What a response shows, with session ids replaced by their order of appearance. */
export async function trace(
  express: Express,
  factory: SessionFactory,
  options: object,
  trustProxy: boolean,
): Promise<string[]> {
  const app = readmeApp(express, factory, options);
  if (trustProxy) app.set('trust proxy', 1);
  const server = await serve(app);
  const client = new Client(server.url);
  const ids = new Map<string, string>();
  const alias = (id: string): string => {
    if (!ids.has(id)) ids.set(id, `id${String(ids.size + 1)}`);
    return ids.get(id) ?? id;
  };
  const lines: string[] = [];
  try {
    for (const [method, path, headers] of SCRIPT) {
      const response = await client.request(path, { method, headers: headers ?? {} });
      const body = (await response.text())
        // An error page: keep the message, drop the stack (file paths differ).
        .replace(/^<!DOCTYPE[\s\S]*?<pre>([^<]*)[\s\S]*$/, '$1')
        .replace(/"id":"[^"]+"/g, (m) => `"id":"${alias(m.slice(6, -1))}"`);
      const cookies = response.headers.getSetCookie().map((line) => {
        const { name, value, attributes } = parseSetCookie(line);
        const id = /^s%3A(.*)\.[^.]+$/.exec(value)?.[1] ?? '?';
        const attrs = [...attributes]
          .map(([k, v]) =>
            k === 'expires'
              ? `expires~${String(Math.round((Date.parse(v) - Date.now()) / 10_000))}`
              : `${k}=${v}`,
          )
          .sort();
        return `${name}=${alias(decodeURIComponent(id))} ${attrs.join(' ')}`;
      });
      lines.push(
        `${method} ${path} -> ${String(response.status)} ${body} | ${cookies.join(' | ')}`,
      );
    }
  } finally {
    await server.close();
  }
  return lines;
}

/** Holds one request inside its handler until the test opens the gate. */
export class Gate {
  #go: (() => void) | undefined;
  #arrived: (() => void) | undefined;

  /** Resolves when a request is held. */
  arm(): Promise<void> {
    return new Promise((resolve) => {
      this.#arrived = resolve;
    });
  }

  hold(go: () => void): void {
    if (this.#arrived === undefined) {
      go();
      return;
    }
    this.#go = go;
    this.#arrived();
    this.#arrived = undefined;
  }

  open(): void {
    this.#go?.();
    this.#go = undefined;
  }
}

/** The session id inside a `connect.sid` cookie value (`s%3A<id>.<mac>`). */
export function idOf(cookieValue: string | undefined): string {
  const match = /^s:(.*)\.[^.]+$/.exec(decodeURIComponent(cookieValue ?? ''));
  if (match?.[1] === undefined)
    throw new Error(`not a signed session cookie: ${String(cookieValue)}`);
  return match[1];
}

/**
 * An app where concurrent requests of one session each write their own property (`/write`, with
 * a {@link Barrier} so they all load before any saves), one can be held in flight (`/slow`, with
 * a {@link Gate}), and the session can be destroyed and listed.
 */
export function raceApp(
  factory: SessionFactory,
  options: object,
  barrier: Barrier,
  gate: Gate,
): App {
  const app = express5();
  app.use(factory({ secret: SECRET, resave: false, saveUninitialized: false, ...options }));
  app.get('/write', (req, res) => {
    const key = typeof req.query.key === 'string' ? req.query.key : 'none';
    barrier.pass(() => {
      sess(req)[key] = true;
      res.json({ wrote: key });
    });
  });
  app.get('/remove', (req, res) => {
    const key = typeof req.query.key === 'string' ? req.query.key : 'none';
    barrier.pass(() => {
      Reflect.deleteProperty(sess(req), key);
      res.json({ removed: key });
    });
  });
  app.get('/slow', (req, res) => {
    gate.hold(() => {
      sess(req).late = true;
      res.json({ wrote: 'late' });
    });
  });
  app.get('/all', (req, res) => {
    res.json(
      Object.keys(sess(req))
        .filter((k) => k !== 'cookie')
        .sort(),
    );
  });
  app.post('/destroy', (req, res, next) => {
    sess(req).destroy((error) => {
      if (error) next(error);
      else res.send('bye');
    });
  });
  return app;
}
