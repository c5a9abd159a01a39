// The smallest Latchkey app: node:http, the embedded SQLite store, a visit counter and a login
// toggle. Run it with `npm start`, then open http://localhost:3000 (Secure cookies work on
// localhost). Sessions live in ./data/sessions.db (LATCHKEY_DATA_DIR), so they survive restarts.
import { createServer } from 'node:http';
import { createSessions } from 'latchkey';
import { withSession } from 'latchkey/node';
import { join } from 'node:path';
import { sqliteStore } from 'latchkey/stores/sqlite';

const dataDir = process.env.LATCHKEY_DATA_DIR ?? 'data';
const store = sqliteStore({ database: join(dataDir, 'sessions.db') });
await store.ready(); // open the file and create the schema now, not on the first request
const sessions = createSessions<{ visits: number }>({ store });

const server = createServer(
  withSession(sessions, async (req, res) => {
    const session = req.session;
    if (req.method === 'POST' && req.url === '/login') {
      await session.bindUser('demo-user'); // new token: a pre-login token is now worthless
      res.writeHead(303, { Location: '/' }).end();
      return;
    }
    if (req.method === 'POST' && req.url === '/logout') {
      await session.destroy(); // the record is gone; a copied cookie replays as anonymous
      res.writeHead(303, { Location: '/' }).end();
      return;
    }
    const visits = ((await session.get('visits')) ?? 0) + 1;
    await session.set('visits', visits);
    const user = await session.userId();
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><title>Latchkey</title>
<p>Visits in this session: ${visits}</p>
<p>${user === null ? 'Anonymous' : `Logged in as ${user}`}</p>
<form method="post" action="/${user === null ? 'login' : 'logout'}"><button>${user === null ? 'Log in' : 'Log out'}</button></form>`);
  }),
);

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
server.listen(port, host, () => {
  console.log(`Latchkey example listening on http://localhost:${port}`);
});
