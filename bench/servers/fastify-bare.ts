// Fastify 5 with no session.
import fastify from 'fastify';
import { announceFastify } from './listen.js';

const app = fastify();
let counter = 0;
app.get('/rw', () => ({ count: ++counter }));
app.get('/ro', () => ({ count: counter }));
await announceFastify(app);
