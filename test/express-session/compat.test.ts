/**
 * Differential tests: the same app, written for express-session, runs against the real
 * express-session and against ours; every response (status, body, Set-Cookie and its attributes,
 * whether the cookie changed) must be the same. Then cookies cross over between the two.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '../helpers/http.js';
import { EXPRESSES, ours, SECRET, trace, readmeApp, real, serve } from './fixtures.js';

const CONFIGS: readonly (readonly [string, object, boolean?])[] = [
  ['defaults (resave, saveUninitialized)', { secret: SECRET }],
  [
    'resave: false, saveUninitialized: false',
    { secret: SECRET, resave: false, saveUninitialized: false },
  ],
  [
    'rolling with maxAge',
    {
      secret: SECRET,
      rolling: true,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 60_000 },
    },
  ],
  ['maxAge without rolling', { secret: SECRET, resave: false, cookie: { maxAge: 60_000 } }],
  [
    "unset: 'destroy'",
    { secret: SECRET, unset: 'destroy', resave: false, saveUninitialized: false },
  ],
  ['secret array', { secret: [SECRET, 'old secret'], resave: false }],
  [
    'every cookie attribute',
    {
      secret: SECRET,
      name: 'app.sid',
      saveUninitialized: false,
      cookie: {
        httpOnly: false,
        sameSite: 'strict',
        partitioned: true,
        priority: 'high',
        domain: '127.0.0.1',
        path: '/',
      },
    },
  ],
  [
    'sameSite true, expires',
    { secret: SECRET, cookie: { sameSite: true, expires: new Date(Date.now() + 3_600_000) } },
  ],
  ['cookie path excludes most routes', { secret: SECRET, cookie: { path: '/views' } }],
  [
    'cookie as a function of the request',
    { secret: SECRET, cookie: () => ({ maxAge: 30_000, sameSite: 'lax' }) },
  ],
  [
    "secure/sameSite 'auto' with trust proxy",
    { secret: SECRET, cookie: { secure: 'auto', sameSite: 'auto' } },
    true,
  ],
  [
    "secure 'auto', proxy: false overrides trust proxy",
    { secret: SECRET, proxy: false, cookie: { secure: 'auto' } },
    true,
  ],
  [
    "secure 'auto', proxy: true without trust proxy",
    { secret: SECRET, proxy: true, cookie: { secure: 'auto' } },
  ],
  ['secure: true on plain HTTP (no cookie is sent)', { secret: SECRET, cookie: { secure: true } }],
  ['custom genid', { secret: SECRET, genid: () => `id-${String(Math.random()).slice(2)}` }],
];

for (const [label, express] of EXPRESSES) {
  describe(`an express-session app runs unchanged (${label})`, () => {
    for (const [name, options, trustProxy] of CONFIGS) {
      it(`behaves like express-session: ${name}`, async () => {
        const expected = await trace(express, real, options, trustProxy === true);
        const actual = await trace(express, ours, options, trustProxy === true);
        assert.deepEqual(actual, expected);
      });
    }
  });
}

describe('cookies cross over between express-session and latchkey/express-session', () => {
  for (const [label, express] of EXPRESSES) {
    it(`a cookie from either is accepted by the other with the same secret and store (${label})`, async () => {
      const store = new real.MemoryStore();
      const options = { secret: [SECRET], store, resave: false, saveUninitialized: false };
      const before = await serve(readmeApp(express, real, options));
      const after = await serve(readmeApp(express, ours, options));
      try {
        const browser = new Client(before.url);
        await browser.request('/views');
        const issued = browser.cookies.get('connect.sid');
        // The switch: same browser, same cookie, the new middleware.
        const moved = new Client(after.url);
        for (const [k, v] of browser.cookies) moved.cookies.set(k, v);
        const second = (await (await moved.request('/views')).json()) as { views: number };
        assert.equal(second.views, 2, 'the session issued by express-session is still there');
        assert.equal(
          moved.cookies.get('connect.sid'),
          issued,
          'no new cookie: nobody is logged out',
        );
        // And back (a rollback of the migration loses nothing either).
        await moved.request('/views');
        for (const [k, v] of moved.cookies) browser.cookies.set(k, v);
        const back = (await (await browser.request('/peek')).json()) as { views: number };
        assert.equal(back.views, 3);
      } finally {
        await before.close();
        await after.close();
      }
    });
  }
});
