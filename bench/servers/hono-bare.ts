// Hono 4 on @hono/node-server with no session.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { announceHono } from './listen.js';

const app = new Hono();
let counter = 0;
app.get('/rw', (c) => c.json({ count: ++counter }));
app.get('/ro', (c) => c.json({ count: counter }));
announceHono(serve, app.fetch);
