// node:http + Latchkey. Routes: /rw reads and writes the session, /ro only reads it,
// /inc?key=k increments one key (lost-update test), /all returns the whole session.
import { createServer } from 'node:http';
import { createSessions } from 'latchkey';
import { withSession } from 'latchkey/node';
import { announce } from './listen.js';
import { benchStore } from './stores.js';

const sessions = createSessions<Record<string, number>>({ store: await benchStore() });

announce(
  createServer(
    withSession(sessions, async (req, res) => {
      const session = req.session;
      const url = req.url ?? '/';
      res.setHeader('Content-Type', 'application/json');
      if (url === '/rw') {
        const count = ((await session.get('count')) ?? 0) + 1;
        await session.set('count', count);
        res.end(JSON.stringify({ count }));
      } else if (url === '/ro') {
        res.end(JSON.stringify({ count: (await session.get('count')) ?? 0 }));
      } else if (url.startsWith('/inc?key=')) {
        const key = url.slice('/inc?key='.length);
        const value = ((await session.get(key)) ?? 0) + 1;
        await session.set(key, value);
        res.end(JSON.stringify({ value }));
      } else if (url === '/all') {
        res.end(JSON.stringify(Object.fromEntries(await session.entries())));
      } else {
        res.statusCode = 404;
        res.end();
      }
    }),
  ),
);
