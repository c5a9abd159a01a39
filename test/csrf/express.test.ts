import { createRequire } from 'node:module';
import type { RequestListener } from 'node:http';
import express, { type Request } from 'express';
import { sessionMiddleware } from '../../src/adapters/express.js';
import type { Session } from '../../src/core/session.js';
import { csrfExpress } from '../../src/csrf/index.js';
import { listen } from '../helpers/http.js';
import { csrfScenarios, formPage, type AppFactory } from './scenarios.js';

/** Express 4, installed under the npm alias `express4`; its API is the one typed for Express 5. */
const express4 = createRequire(import.meta.url)('express4') as typeof express;

const sessionOf = (req: Request): Session => (req as unknown as { session: Session }).session;

function expressApp(framework: typeof express): AppFactory {
  return async (sessions, csrf) => {
    const app = framework();
    app.use(sessionMiddleware(sessions));
    // JSON routes: parse JSON only, and require it (SEC-44).
    app.use('/api', framework.json(), csrfExpress(csrf, { json: true }));
    app.use(framework.urlencoded({ extended: false }), csrfExpress(csrf));
    // Express 4 does not catch rejected promises: hand them to next() (Express 5 would).
    const route =
      (handler: (req: Request, session: Session) => Promise<unknown>) =>
      (req: Request, res: express.Response, next: express.NextFunction): void => {
        handler(req, sessionOf(req)).then((body) => {
          if (typeof body === 'string') res.type('html').send(body);
          else res.json(body);
        }, next);
      };
    const count = async (session: Session): Promise<{ ok: true }> => {
      await session.set(
        'transfers',
        (((await session.get('transfers')) as number | undefined) ?? 0) + 1,
      );
      return { ok: true };
    };
    app.get(
      ['/form', '/login'],
      route(async (_req, session) => formPage(await csrf.token(session))),
    );
    app.post(
      '/form',
      route((_req, session) => count(session)),
    );
    app.post(
      '/login',
      route(async (req, session) => {
        await session.bindUser(String((req.body as { user?: unknown }).user));
        return { ok: true };
      }),
    );
    app.get(
      '/state',
      route(async (_req, session) => ({
        transfers: (await session.get('transfers')) ?? 0,
        user: await session.userId(),
      })),
    );
    app.all(
      '/plain',
      route(() => Promise.resolve({ ok: true })),
    );
    app.post(
      '/api/items',
      route((_req, session) => count(session)),
    );
    return listen(app as RequestListener);
  };
}

csrfScenarios('Express 5', expressApp(express));
csrfScenarios('Express 4', expressApp(express4));
