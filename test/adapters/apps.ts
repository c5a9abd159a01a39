/**
 * The scenario app of test/adapters/scenarios.ts, once per framework: each mounts its Latchkey
 * adapter the way the docs say and answers with the framework's own response methods.
 */
import { createRequire } from 'node:module';
import type { RequestListener, Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import express from 'express';
import fastify from 'fastify';
import { Hono } from 'hono';
import { sessionMiddleware as expressSessions } from '../../src/adapters/express.js';
import { latchkey } from '../../src/adapters/fastify.js';
import { sessionMiddleware as honoSessions, type SessionEnv } from '../../src/adapters/hono.js';
import { withSession } from '../../src/adapters/node.js';
import type { SessionProvider } from '../../src/core/session.js';
import { listen } from '../helpers/http.js';
import { dispatch, sessionOf, type AppFactory, type RunningApp } from './scenarios.js';

/** Express 4, installed under the npm alias `express4`; its API is the one typed for Express 5. */
export const express4 = createRequire(import.meta.url)('express4') as typeof express;

export const nodeApp: AppFactory = (sessions) =>
  listen(
    withSession(sessions, async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const reply = await dispatch(req.method ?? 'GET', path, req.session);
      if (reply === null) {
        res.writeHead(404).end('not found');
        return;
      }
      if (reply.redirect !== undefined) {
        res.writeHead(303, { ...reply.headers, Location: reply.redirect }).end();
        return;
      }
      res.writeHead(reply.status, { ...reply.headers, 'Content-Type': reply.type }).end(reply.body);
    }),
  );

/** The scenario app on Express 4 or 5 (`framework` is the imported `express` or `express4`). */
export function expressApp(framework: typeof express): AppFactory {
  return (sessions) => {
    const app = framework();
    app.set('env', 'test'); // keeps Express's default error handler from logging expected errors
    app.use(expressSessions(sessions));
    app.use((req, res, next) => {
      // Express 4 does not catch rejected promises: pass them to next() by hand (Express 5 would).
      dispatch(req.method, req.path, sessionOf(req)).then((reply) => {
        if (reply === null) {
          next();
          return;
        }
        res.set(reply.headers);
        if (reply.redirect !== undefined) res.redirect(303, reply.redirect);
        else res.status(reply.status).type(reply.type).send(reply.body);
      }, next);
    });
    return listen(app as RequestListener);
  };
}

export function fastifyApp(sessions: SessionProvider): Promise<RunningApp> {
  return (async () => {
    const app = fastify();
    await app.register(latchkey, { sessions });
    app.all('/*', async (request, reply) => {
      const path = new URL(request.url, 'http://x').pathname;
      const result = await dispatch(request.method, path, sessionOf(request));
      if (result === null) return reply.code(404).send('not found');
      reply.headers(result.headers);
      if (result.redirect !== undefined) return reply.redirect(result.redirect, 303);
      return reply.code(result.status).type(result.type).send(result.body);
    });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return { url, close: () => app.close() };
  })();
}

export const honoApp: AppFactory = (sessions) => {
  const app = new Hono<SessionEnv>();
  app.onError((_error, c) => c.text('Internal Server Error', 500)); // quiet: errors are expected
  app.use(honoSessions(sessions));
  app.all('*', async (c) => {
    const reply = await dispatch(c.req.method, c.req.path, c.get('session'));
    if (reply === null) return c.text('not found', 404);
    for (const [name, value] of Object.entries(reply.headers)) c.header(name, value);
    if (reply.redirect !== undefined) return c.redirect(reply.redirect, 303);
    return c.body(reply.body, reply.status as 200, { 'Content-Type': reply.type });
  });
  return listen(createAdaptorServer({ fetch: app.fetch }) as Server);
};
