// node:http with no session: the ceiling every session library is compared against.
import { createServer } from 'node:http';
import { announce } from './listen.js';

let counter = 0;
announce(
  createServer((req, res) => {
    if (req.url === '/rw') counter++;
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ count: counter }));
  }),
);
