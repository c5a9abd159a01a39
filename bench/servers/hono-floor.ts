// Hono with what any session middleware must add to a request, and no session: an async
// middleware that adds `Vary: Cookie` to the response after the handler (through `c.res.headers`,
// the only way Hono offers once the handler has answered), and a route that awaits once (session
// reads are async).
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { announceHono } from './listen.js';

const app = new Hono();
app.use(async (c, next) => {
  await next();
  c.res.headers.set('Vary', 'Cookie');
});
let counter = 0;
app.get('/:route{rw|ro}', async (c) => {
  await Promise.resolve();
  if (c.req.path === '/rw') counter++;
  return c.body(JSON.stringify({ count: counter }), 200, { 'Content-Type': 'application/json' });
});
announceHono(serve, app.fetch);
