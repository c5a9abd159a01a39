// Express with what any session middleware must add to a request, and no session: a middleware
// that hooks the response's writeHead (as express-session does, through on-headers) to add
// `Vary: Cookie`, and a route that awaits once (session reads are async).
import { createServer, type ServerResponse } from 'node:http';
import express from 'express';
import { announce } from './listen.js';

const app = express();
app.use((_req, res, next) => {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((...args: unknown[]) => {
    res.setHeader('Vary', 'Cookie');
    return writeHead(...args);
  }) as typeof res.writeHead;
  next();
});
let counter = 0;
app.get('/rw', async (_req, res) => {
  await Promise.resolve();
  counter++;
  res.type('application/json').send(JSON.stringify({ count: counter }));
});
app.get('/ro', async (_req, res) => {
  await Promise.resolve();
  res.type('application/json').send(JSON.stringify({ count: counter }));
});
announce(createServer(app));
