// Express with no session middleware.
import { createServer } from 'node:http';
import express from 'express';
import { announce } from './listen.js';

const app = express();
let counter = 0;
app.get('/rw', (_req, res) => {
  counter++;
  res.json({ count: counter });
});
app.get('/ro', (_req, res) => {
  res.json({ count: counter });
});
announce(createServer(app));
