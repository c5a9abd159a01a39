// node:http with what any session library must add to a request, and no session: the handler
// awaits once (session reads are async) and the response carries `Vary: Cookie`. The gap between
// this row and bare node:http is not Latchkey's to close.
import { createServer } from 'node:http';
import { announce } from './listen.js';

let counter = 0;
announce(
  createServer((req, res) => {
    void Promise.resolve().then(() => {
      if (req.url === '/rw') counter++;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Vary', 'Cookie');
      res.end(JSON.stringify({ count: counter }));
    });
  }),
);
